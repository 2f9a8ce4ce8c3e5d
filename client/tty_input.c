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

static void restore_echo(void)
{
    if (echo_off) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
        echo_off = 0;
    }
}

/* Puts the terminal back, then lets the default action end the process. */
static void on_signal(int sig)
{
    restore_echo();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int read_line(char *buf, size_t buflen)
{
    size_t n = 0;
    bool any = false, toobig = false;
    int c;

    while ((c = fgetc(stdin)) != EOF) {
        any = true;
        if (c == '\n')
            break;
        if (n + 1 < buflen)
            buf[n++] = (char)c;
        else
            toobig = true;
    }
    buf[n] = '\0';
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

int mc_tty_read_line(FILE *out, const char *prompt, bool secret, char *buf, size_t buflen)
{
    struct sigaction sa, old_int, old_term, old_hup;
    bool hide = secret && isatty(STDIN_FILENO) == 1;
    int rc;

    if (buflen == 0)
        return MC_ETOOBIG;
    fputs(prompt, out);
    fflush(out);
    if (hide && tcgetattr(STDIN_FILENO, &saved_termios) == 0) {
        struct termios t = saved_termios;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        sigaction(SIGHUP, &sa, &old_hup);
        t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
        t.c_lflag |= ICANON;
        echo_off = 1;
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0)
            echo_off = 0;
        rc = read_line(buf, buflen);
        restore_echo();
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGHUP, &old_hup, NULL);
    } else {
        rc = read_line(buf, buflen);
    }
    if (secret) /* upstream ends the password prompt's line itself */
        fputc('\n', out);
    trim(buf);
    return rc;
}
