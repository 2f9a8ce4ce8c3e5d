/*
 * `micro server`: the one process that runs every core service. This header is
 * what the client's main() sees of it.
 */
#ifndef MC_SERVER_H
#define MC_SERVER_H

/* Runs the server until SIGTERM/SIGINT; argv[0] is "server". Returns the exit code. */
int mc_server_main(int argc, char **argv);

#endif
