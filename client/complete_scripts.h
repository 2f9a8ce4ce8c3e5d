/*
 * The shell completion scripts that `micro completion bash|zsh` prints. Their
 * one source is completions/micro.bash and completions/micro.zsh: the build
 * embeds those files as these arrays (cmake/embed_text.cmake writes
 * complete_scripts.c into the build tree), so the printed script and the
 * shipped file can never differ.
 */
#ifndef MC_CLIENT_COMPLETE_SCRIPTS_H
#define MC_CLIENT_COMPLETE_SCRIPTS_H

/* NUL-terminated script texts, static storage. */
extern const char mc_complete_script_bash[];
extern const char mc_complete_script_zsh[];

#endif
