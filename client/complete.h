/*
 * The completion engine, one for every front end: the prompt's readline
 * completion (prompt.c), the hidden `micro __complete` command that the bash and
 * zsh scripts call (cobra's protocol), and later the dashboard's `:` command
 * mode. Given the words of a command line (after "micro") and the partial last
 * word, it proposes candidates from the command table (builtins, subcommands,
 * flags), the environments, and, through the session's schema cache
 * (schema_cache.h), service names, endpoint commands and request fields as
 * `--field=` (nested paths, with their types as descriptions), and the values
 * of bools and of enums the client knows (our protos' enums: a registry schema
 * gives an enum field's type name, never its values). Store and config keys come from the server when it answers fast.
 *
 * Time bound: every server access is limited by the caller's budget (a dead
 * server never hangs a shell): past it the engine answers from what it has
 * (the table, cached schemas) and says so with MC_COMP_PARTIAL.
 */
#ifndef MC_CLIENT_COMPLETE_H
#define MC_CLIENT_COMPLETE_H

#include <stddef.h>
#include <stdint.h>

struct mc_cli;

/* cobra's ShellCompDirective bits, printed as ":<n>" on the last line of __complete. */
enum mc_comp_directive {
    MC_COMP_DEFAULT = 0,
    MC_COMP_ERROR = 1,
    MC_COMP_NOSPACE = 2,      /* e.g. after "--name=" the user types the value */
    MC_COMP_NOFILE = 4,       /* never fall back to file names */
    MC_COMP_FILTER_EXT = 8,
    MC_COMP_FILTER_DIRS = 16,
    MC_COMP_KEEP_ORDER = 32,
};

struct mc_completion {
    char *value;        /* the full word to insert ("helloworld", "--name=") */
    char *description;  /* one line ("string", "List services in the registry"), or NULL */
};

struct mc_completions {
    struct mc_completion *v;
    size_t n;
    unsigned directive; /* enum mc_comp_directive bits */
    int partial;        /* 1 when the server did not answer within the budget */
};

/*
 * Completes words[nwords-1] (the partial word, possibly "") in the context of
 * words[0..nwords-2]. cli may be NULL (no session: the command table only).
 * budget_ms bounds the time spent on the server (0 = do not ask it at all).
 * Candidates are those starting with the partial word, in a stable order
 * (table order for builtins, sorted for services, schema order for fields).
 * Returns 0 (out filled; release it) or MC_ENOMEM.
 */
int mc_complete(struct mc_cli *cli, int nwords, const char *const *words, unsigned budget_ms,
                struct mc_completions *out);
void mc_completions_release(struct mc_completions *c);

#endif
