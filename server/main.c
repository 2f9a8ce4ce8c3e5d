/* Entry of `micro server` (being wired up: see the session notes). */
#include "server.h"

#include <stdio.h>

int mc_server_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "micro server: starting\n");
    return 0;
}
