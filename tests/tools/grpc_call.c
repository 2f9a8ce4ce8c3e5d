/*
 * grpc_call: a gRPC client for integration tests, on libmicro's own client.
 *   grpc_call [-m key=value]... [-t timeout_ms] ADDR PATH [JSON]...
 * Sends each JSON argument as one message (application/grpc+json; none: "{}"),
 * half-closes, prints every response message on its own line, and ends with the
 * status: exit 0 for OK, else prints "CODE_NAME<TAB>message" to stdout, exit 1.
 * Usage errors exit 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_grpc_client.h"
#include "mc_loop.h"

struct run {
    struct mc_loop *loop;
    int code;
    bool done;
};

static void on_message(struct mc_grpc_ccall *call, const char *msg, size_t len, void *arg)
{
    fwrite(msg, 1, len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

static void on_done(struct mc_grpc_ccall *call, const struct mc_grpc_status *st, void *arg)
{
    struct run *r = arg;

    r->code = st->code;
    r->done = true;
    if (st->code != MC_GRPC_OK)
        printf("%s\t%s\n", mc_grpc_code_name(st->code), st->message);
    mc_loop_stop(r->loop);
}

static int usage(void)
{
    fputs("usage: grpc_call [-m key=value]... [-t timeout_ms] ADDR PATH [JSON]...\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    static const struct mc_grpc_ccall_handler handler = { NULL, on_message, on_done };
    struct mc_grpc_metadata md;
    struct mc_grpc_call_opts o = { .content_type = "application/grpc+json", .timeout_ms = 10000 };
    struct mc_grpc_client *cl;
    struct mc_grpc_ccall *call;
    struct run r = { 0 };
    int i = 1;

    mc_grpc_metadata_init(&md);
    for (; i < argc && argv[i][0] == '-'; i += 2) {
        const char *eq;
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "-t") == 0) {
            int64_t t;
            if (mc_parse_i64(argv[i + 1], &t) < 0 || t < 0)
                return usage();
            o.timeout_ms = (uint64_t)t;
        } else if (strcmp(argv[i], "-m") == 0 && (eq = strchr(argv[i + 1], '=')) != NULL) {
            mc_grpc_metadata_add(&md, argv[i + 1], (size_t)(eq - argv[i + 1]), eq + 1,
                                 strlen(eq + 1));
        } else {
            return usage();
        }
    }
    if (argc - i < 2)
        return usage();
    o.path = argv[i + 1];
    o.metadata = &md;
    r.loop = mc_loop_new();
    cl = mc_grpc_client_new(r.loop, argv[i], NULL);
    if (mc_grpc_client_call(cl, &o, &handler, &r, &call) < 0) {
        fprintf(stderr, "grpc_call: cannot start the call\n");
        return 2;
    }
    if (argc - i == 2)
        mc_grpc_ccall_send(call, "{}", 2);
    for (int k = i + 2; k < argc; k++)
        mc_grpc_ccall_send(call, argv[k], strlen(argv[k]));
    mc_grpc_ccall_close_send(call);
    while (!r.done)
        mc_loop_run(r.loop);
    mc_grpc_client_free(cl);
    mc_loop_run_once(r.loop, 0);
    mc_loop_free(r.loop);
    mc_grpc_metadata_release(&md);
    return r.code == MC_GRPC_OK ? 0 : 1;
}
