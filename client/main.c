/* The `micro` binary: dispatches `micro server` to the server, everything else to the client. */
#include <stdio.h>
#include <string.h>

#include "server.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "server") == 0)
        return mc_server_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("micro version %s\n", MICRO_VERSION);
        return 0;
    }
    fprintf(stderr, "Unrecognized micro command: %s. Please refer to 'micro --help'\n",
            argc > 1 ? argv[1] : "");
    return 1;
}
