/*
 * The `micro` binary: `micro server` runs the server; the client commands
 * arrive with the client work (issue: the `micro` client). Messages and exit
 * codes follow upstream's CLI (spec/micro-v3-transcript.md).
 */
#include <stdio.h>
#include <string.h>

#include "server.h"

static void usage(FILE *out)
{
    fputs("NAME:\n"
          "   micro - A framework for cloud native development\n"
          "\n"
          "USAGE:\n"
          "   micro [global options] command [command options] [arguments...]\n"
          "\n"
          "VERSION:\n"
          "   " MICRO_VERSION "\n"
          "\n"
          "COMMANDS:\n"
          "   server  Run the micro server\n"
          "\n"
          "GLOBAL OPTIONS:\n"
          "   --help, -h     show help (default: false)\n"
          "   --version, -v  print the version (default: false)\n",
          out);
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;

    if (!cmd) {
        fputs("No command provided to micro. Please refer to 'micro --help'\n", stderr);
        return 1;
    }
    if (strcmp(cmd, "server") == 0)
        return mc_server_main(argc - 1, argv + 1);
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-v") == 0) {
        printf("micro version %s\n", MICRO_VERSION);
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
    }
    fprintf(stderr, "Unrecognized micro command: %s. Please refer to 'micro --help'\n", cmd);
    return 1;
}
