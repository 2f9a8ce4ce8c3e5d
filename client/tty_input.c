/*
 * Prompted input with echo control (see tty_input.h). termios on stdin; the
 * saved settings live in a static so the SIGINT handler can restore them.
 */
#include "tty_input.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "mc_common.h"

#include "mc_banned.h"

static struct termios saved_termios;
static volatile sig_atomic_t echo_off;
static volatile sig_atomic_t got_signal; /* the signal that ended the read, or 0 */

static const int watched[] = { SIGINT, SIGTERM, SIGHUP };
#define NWATCHED (sizeof(watched) / sizeof(watched[0]))

static void restore_echo(void)
{
    if (echo_off) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
        echo_off = 0;
    }
}

/* Puts the terminal back at once and ends the read (no SA_RESTART: the
 * read fails with EINTR); what the signal means is decided after it. */
static void on_signal(int sig)
{
    restore_echo();
    got_signal = sig;
}

static int read_line(char *buf, size_t buflen)
{
    size_t n = 0;
    bool any = false, toobig = false;
    int c = EOF;

    while (!got_signal && (c = fgetc(stdin)) != EOF) {
        any = true;
        if (c == '\n')
            break;
        if (n + 1 < buflen)
            buf[n++] = (char)c;
        else
            toobig = true;
    }
    buf[n] = '\0';
    if (got_signal) {
        clearerr(stdin);
        return MC_ECANCELED;
    }
    if (c == EOF && ferror(stdin))
        return MC_EIO;
    if (!any)
        return MC_ECLOSED;
    return toobig ? MC_ETOOBIG : 0;
}

static void trim(char *s)
{
    size_t len = strlen(s), start = 0;

    while (len > 0 && strchr(" \t\r\n\v\f", s[len - 1]))
        s[--len] = '\0';
    while (s[start] && strchr(" \t\r\n\v\f", s[start]))
        start++;
    memmove(s, s + start, len - start + 1);
}

/* Our handlers for the signals not ignored; old gets what was there. */
static void handlers_install(struct sigaction old[NWATCHED])
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    got_signal = 0;
    for (size_t i = 0; i < NWATCHED; i++) {
        sigaction(watched[i], NULL, &old[i]);
        if (old[i].sa_handler != SIG_IGN)
            sigaction(watched[i], &sa, NULL);
    }
}

/*
 * Puts the handlers back and passes on the signal that ended the read: to
 * the handler found (the prompt's: Ctrl-C abandons this command only), else
 * by its default action, which ends the process as the user asked (a shell
 * sees 130 for Ctrl-C) now that the terminal is back.
 */
static void handlers_restore(const struct sigaction old[NWATCHED])
{
    int sig = got_signal;

    got_signal = 0;
    for (size_t i = 0; i < NWATCHED; i++) {
        sigaction(watched[i], &old[i], NULL);
        if (watched[i] != sig)
            continue;
        if (old[i].sa_handler == SIG_DFL) {
            raise(sig);
        } else if (old[i].sa_handler != SIG_IGN) {
            if (old[i].sa_flags & SA_SIGINFO)
                raise(sig); /* no siginfo to hand it: let the kernel deliver it */
            else
                old[i].sa_handler(sig);
        }
    }
}

int mc_tty_read_line(FILE *out, const char *prompt, bool secret, char *buf, size_t buflen)
{
    struct sigaction old[NWATCHED];
    bool tty = isatty(STDIN_FILENO) == 1;
    int rc;

    if (buflen == 0)
        return MC_ETOOBIG;
    fputs(prompt, out);
    fflush(out);
    if (!tty) {
        rc = read_line(buf, buflen);
        if (secret) /* upstream ends the password prompt's line itself */
            fputc('\n', out);
        trim(buf);
        return rc;
    }
    handlers_install(old);
    if (secret && tcgetattr(STDIN_FILENO, &saved_termios) == 0) {
        struct termios t = saved_termios;
        t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
        t.c_lflag |= ICANON;
        echo_off = 1;
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0)
            echo_off = 0;
    }
    rc = read_line(buf, buflen);
    restore_echo();
    /* the Enter was not echoed, nor was the line ended by Ctrl-C */
    if (secret || rc == MC_ECANCELED)
        fputc('\n', out);
    fflush(out);
    trim(buf);
    handlers_restore(old);
    return rc;
}
