/*
 * Reading what a user types for a command (login's username and password,
 * `user set password`): a prompt, then one line from stdin, with echo turned
 * off for secrets when stdin is a terminal. The terminal's settings are put
 * back on every path, signals included. Ctrl-C (or SIGTERM/SIGHUP) while
 * reading from a terminal ends the read; the signal then goes where it was
 * going before: by default it ends the process as the user asked (a shell
 * sees 130 for Ctrl-C), and when a handler was installed (the prompt's), that
 * handler gets it and the read returns MC_ECANCELED, so that inside the
 * prompt Ctrl-C abandons only the command that asked. When stdin is not a
 * terminal the line is read as it comes (scripts pipe credentials in).
 */
#ifndef MC_CLIENT_TTY_INPUT_H
#define MC_CLIENT_TTY_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define MC_TTY_LINE_MAX 4096
#define MC_TTY_CANCELED_EXIT 130 /* a command abandoned with Ctrl-C (128 + SIGINT) */

/*
 * Writes prompt to out (flushed), reads one line from stdin into buf (without
 * the newline, surrounding whitespace trimmed as upstream does). With secret,
 * echo is off while reading when stdin is a terminal, and a newline is
 * written to out afterwards (the user's Enter was not echoed), as upstream. Returns 0, MC_ECLOSED at
 * end of input before any byte, MC_ETOOBIG for a line longer than buflen-1
 * (the rest of the line is consumed), MC_EIO on a read error, MC_ECANCELED
 * after a signal that a handler of the caller's took (see above; a newline
 * is written to out, the terminal is as it was).
 */
int mc_tty_read_line(FILE *out, const char *prompt, bool secret, char *buf, size_t buflen);

#endif
