/*
 * `micro new NAME`: the scaffold of a C service on libmicro as string
 * templates, rendered with the service's names and written into a new folder
 * (see new_templates.h for the layout). The scaffold is what the helloworld
 * example is, with a bidirectional stream added, so a new service answers
 * `micro NAME --name=x` as soon as `micro run` has built it.
 */
#include "new_templates.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mc_buf.h"
#include "mc_common.h"
#include "mc_banned.h"

#define RENDER_MAX (256 * 1024)

static const char CMAKELISTS[] =
    "# {{name}}: a micro service in C, built by `micro run` (or by hand) into ONE\n"
    "# executable named like the service, against libmicro found with pkg-config.\n"
    "cmake_minimum_required(VERSION 3.18)\n"
    "project({{name}} C)\n"
    "\n"
    "set(CMAKE_C_STANDARD 11)\n"
    "find_package(PkgConfig REQUIRED)\n"
    "pkg_check_modules(MICRO REQUIRED IMPORTED_TARGET libmicro)\n"
    "find_program(PROTOC_C protoc-c REQUIRED)\n"
    "\n"
    "# proto/*.proto -> C with protoc-c, in the build tree.\n"
    "file(GLOB PROTOS ${CMAKE_CURRENT_SOURCE_DIR}/proto/*.proto)\n"
    "set(GEN_DIR ${CMAKE_CURRENT_BINARY_DIR}/proto)\n"
    "file(MAKE_DIRECTORY ${GEN_DIR})\n"
    "set(GEN_SRCS)\n"
    "foreach(p ${PROTOS})\n"
    "  get_filename_component(n ${p} NAME_WE)\n"
    "  add_custom_command(OUTPUT ${GEN_DIR}/${n}.pb-c.c ${GEN_DIR}/${n}.pb-c.h\n"
    "    COMMAND ${PROTOC_C} --c_out=${GEN_DIR} -I${CMAKE_CURRENT_SOURCE_DIR}/proto ${p}\n"
    "    DEPENDS ${p})\n"
    "  list(APPEND GEN_SRCS ${GEN_DIR}/${n}.pb-c.c)\n"
    "endforeach()\n"
    "\n"
    "add_executable({{name}} main.c handler.c ${GEN_SRCS})\n"
    "target_include_directories({{name}} PRIVATE ${GEN_DIR} ${CMAKE_CURRENT_SOURCE_DIR})\n"
    "target_compile_options({{name}} PRIVATE -Wall -Wextra)\n"
    "target_link_libraries({{name}} PRIVATE PkgConfig::MICRO)\n";

static const char PROTO[] =
    "// The {{name}} service.\n"
    "syntax = \"proto3\";\n"
    "\n"
    "package {{pkg}};\n"
    "\n"
    "service {{Handler}} {\n"
    "  rpc Call(CallRequest) returns (CallResponse) {}\n"
    "  rpc Stream(StreamingRequest) returns (stream StreamingResponse) {}\n"
    "  rpc PingPong(stream Ping) returns (stream Pong) {}\n"
    "}\n"
    "\n"
    "message CallRequest {\n"
    "  string name = 1;\n"
    "}\n"
    "\n"
    "message CallResponse {\n"
    "  string msg = 1;\n"
    "}\n"
    "\n"
    "message StreamingRequest {\n"
    "  int64 count = 1;\n"
    "}\n"
    "\n"
    "message StreamingResponse {\n"
    "  int64 count = 1;\n"
    "}\n"
    "\n"
    "message Ping {\n"
    "  int64 stroke = 1;\n"
    "}\n"
    "\n"
    "message Pong {\n"
    "  int64 stroke = 1;\n"
    "}\n";

static const char MAIN_C[] =
    "/* {{name}}: create the service, bind its handlers, run until SIGTERM. */\n"
    "#include <stdio.h>\n"
    "\n"
    "#include <micro.h>\n"
    "\n"
    "#include \"handler.h\"\n"
    "\n"
    "int main(void)\n"
    "{\n"
    "    struct micro_service *svc = micro_service_new(\"{{name}}\");\n"
    "    int rc;\n"
    "\n"
    "    if (!svc) {\n"
    "        fprintf(stderr, \"{{name}}: cannot create the service\\n\");\n"
    "        return 1;\n"
    "    }\n"
    "    rc = {{pkg}}_register(svc);\n"
    "    if (rc == 0)\n"
    "        rc = micro_service_run(svc);\n"
    "    else\n"
    "        micro_log_error(\"cannot bind the handlers: %s\", micro_strerror(rc));\n"
    "    micro_service_free(svc);\n"
    "    return rc < 0 ? 1 : 0;\n"
    "}\n";

static const char HANDLER_H[] =
    "/* The {{Handler}} handler: Call, Stream and PingPong (proto/{{name}}.proto). */\n"
    "#ifndef {{PKG}}_HANDLER_H\n"
    "#define {{PKG}}_HANDLER_H\n"
    "\n"
    "#include <micro.h>\n"
    "\n"
    "/* Binds the {{Handler}} endpoints to svc. 0 or a MICRO_E* code. */\n"
    "int {{pkg}}_register(struct micro_service *svc);\n"
    "\n"
    "#endif\n";

static const char HANDLER_C[] =
    "/*\n"
    " * {{Handler}}'s handlers: Call answers {msg: \"Hello <name>\"}, Stream sends\n"
    " * count messages back, PingPong answers every Ping with a Pong until the\n"
    " * client stops sending. Each call logs a line (`micro logs {{name}}`).\n"
    " */\n"
    "#include \"handler.h\"\n"
    "\n"
    "#include \"{{name}}.pb-c.h\"\n"
    "\n"
    "#define STREAM_MAX 1000\n"
    "\n"
    "static int call(struct micro_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,\n"
    "                void *user)\n"
    "{\n"
    "    const {{Pkg}}__CallRequest *in = (const {{Pkg}}__CallRequest *)req;\n"
    "    {{Pkg}}__CallResponse *out = ({{Pkg}}__CallResponse *)rsp;\n"
    "\n"
    "    (void)user;\n"
    "    micro_log_info(\"Received {{Handler}}.Call request: name=%s\", in->name);\n"
    "    out->msg = micro_ctx_printf(ctx, \"Hello %s\", in->name);\n"
    "    return 0;\n"
    "}\n"
    "\n"
    "/* Server stream: the request is the stream's first message. */\n"
    "static void stream(struct micro_stream *st, const ProtobufCMessage *msg, void *user)\n"
    "{\n"
    "    const {{Pkg}}__StreamingRequest *in = (const {{Pkg}}__StreamingRequest *)msg;\n"
    "    {{Pkg}}__StreamingResponse out = {{PKG}}__STREAMING_RESPONSE__INIT;\n"
    "\n"
    "    (void)user;\n"
    "    micro_log_info(\"Received {{Handler}}.Stream request: count=%lld\", (long long)in->count);\n"
    "    if (in->count < 0 || in->count > STREAM_MAX) {\n"
    "        micro_error_bad_request(micro_stream_ctx(st), NULL, \"count must be between 0 and %d\",\n"
    "                                STREAM_MAX);\n"
    "        micro_stream_finish(st);\n"
    "        return;\n"
    "    }\n"
    "    for (int64_t i = 0; i < in->count; i++) {\n"
    "        out.count = i;\n"
    "        if (micro_stream_send(st, &out.base) < 0)\n"
    "            break;\n"
    "    }\n"
    "    micro_stream_finish(st);\n"
    "}\n"
    "\n"
    "/* Bidirectional stream: a Pong for every Ping, done when the client is. */\n"
    "static void ping(struct micro_stream *st, const ProtobufCMessage *msg, void *user)\n"
    "{\n"
    "    const {{Pkg}}__Ping *in = (const {{Pkg}}__Ping *)msg;\n"
    "    {{Pkg}}__Pong out = {{PKG}}__PONG__INIT;\n"
    "\n"
    "    (void)user;\n"
    "    micro_log_info(\"Got ping %lld\", (long long)in->stroke);\n"
    "    out.stroke = in->stroke;\n"
    "    micro_stream_send(st, &out.base);\n"
    "}\n"
    "\n"
    "static void ping_done(struct micro_stream *st, void *user)\n"
    "{\n"
    "    (void)user;\n"
    "    micro_stream_finish(st);\n"
    "}\n"
    "\n"
    "int {{pkg}}_register(struct micro_service *svc)\n"
    "{\n"
    "    static const struct micro_stream_handler stream_h = { .on_message = stream };\n"
    "    static const struct micro_stream_handler ping_h = { .on_message = ping,\n"
    "                                                        .on_half_close = ping_done };\n"
    "    const ProtobufCServiceDescriptor *sd = &{{pkg}}__{{pkg}}__descriptor;\n"
    "    int rc = micro_service_handle(svc, sd, \"Call\", call, NULL);\n"
    "\n"
    "    if (rc == 0)\n"
    "        rc = micro_service_handle_stream(svc, sd, \"Stream\", MICRO_STREAM_SERVER, &stream_h,\n"
    "                                         NULL);\n"
    "    if (rc == 0)\n"
    "        rc = micro_service_handle_stream(svc, sd, \"PingPong\", MICRO_STREAM_BIDI, &ping_h,\n"
    "                                         NULL);\n"
    "    return rc;\n"
    "}\n";

static const char README[] =
    "# {{name}}\n"
    "\n"
    "A micro service in C on libmicro, made by `micro new {{name}}`.\n"
    "\n"
    "- `proto/{{name}}.proto`: the API ({{Handler}}.Call, {{Handler}}.Stream, {{Handler}}.PingPong)\n"
    "- `handler.c`: the handlers\n"
    "- `main.c`: the service (new, handle, run, free)\n"
    "\n"
    "## Run it\n"
    "\n"
    "```\n"
    "micro run .\n"
    "micro {{name}} --name=Alice\n"
    "micro logs {{name}}\n"
    "```\n"
    "\n"
    "## Build it yourself\n"
    "\n"
    "Needs protoc-c, CMake and libmicro (installed, or a build tree's\n"
    "`pkgconfig-uninstalled` folder on `PKG_CONFIG_PATH`):\n"
    "\n"
    "```\n"
    "cmake -S . -B build && cmake --build build\n"
    "```\n";

static const char GITIGNORE[] = ".micro/\nbuild/\n";

static const struct mc_new_file files[] = {
    { "CMakeLists.txt", CMAKELISTS },
    { "proto/{{name}}.proto", PROTO },
    { "main.c", MAIN_C },
    { "handler.h", HANDLER_H },
    { "handler.c", HANDLER_C },
    { "README.md", README },
    { ".gitignore", GITIGNORE },
};

const struct mc_new_file *mc_new_files(size_t *n)
{
    *n = MC_ARRAY_LEN(files);
    return files;
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

int mc_new_name_ok(const char *name)
{
    size_t len = name ? strlen(name) : 0;

    if (len == 0 || len > MC_NEW_NAME_MAX || !is_alpha(name[0]))
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_alnum(name[i]) && name[i] != '-' && name[i] != '_')
            return 0;
    }
    return 1;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* The derived names: pkg "foobar", Pkg "Foobar" (protoc-c's type prefix and the
 * proto service), PKG "FOOBAR". */
struct names {
    char pkg[MC_NEW_NAME_MAX + 1];
    char Pkg[MC_NEW_NAME_MAX + 1];
    char PKG[MC_NEW_NAME_MAX + 1];
};

static void derive(const char *name, struct names *nm)
{
    size_t k = 0;

    for (const char *p = name; *p; p++) {
        if (!is_alnum(*p))
            continue;
        nm->pkg[k] = lower(*p);
        nm->Pkg[k] = k == 0 ? upper(*p) : lower(*p);
        nm->PKG[k] = upper(*p);
        k++;
    }
    nm->pkg[k] = nm->Pkg[k] = nm->PKG[k] = '\0';
}

int mc_new_render(const char *tmpl, const char *name, char **out)
{
    struct names nm;
    struct mc_buf b;
    const char *p = tmpl;

    *out = NULL;
    if (!tmpl || !mc_new_name_ok(name))
        return MC_EINVAL;
    derive(name, &nm);
    mc_buf_init(&b, RENDER_MAX);
    while (*p) {
        const char *open = strstr(p, "{{");
        const char *close = open ? strstr(open, "}}") : NULL;
        const char *value = NULL;
        size_t keylen;

        if (!open || !close) {
            mc_buf_append_str(&b, p);
            break;
        }
        mc_buf_append(&b, p, (size_t)(open - p));
        keylen = (size_t)(close - open - 2);
        if (keylen == 4 && strncmp(open + 2, "name", 4) == 0)
            value = name;
        else if (keylen == 7 && strncmp(open + 2, "Handler", 7) == 0)
            value = nm.Pkg;
        else if (keylen == 3 && strncmp(open + 2, "pkg", 3) == 0)
            value = nm.pkg;
        else if (keylen == 3 && strncmp(open + 2, "Pkg", 3) == 0)
            value = nm.Pkg;
        else if (keylen == 3 && strncmp(open + 2, "PKG", 3) == 0)
            value = nm.PKG;
        if (value)
            mc_buf_append_str(&b, value);
        else
            mc_buf_append(&b, open, (size_t)(close + 2 - open));
        p = close + 2;
    }
    *out = mc_buf_detach(&b, NULL);
    return MC_OK;
}

static int write_file(const char *path, const char *text)
{
    size_t len = strlen(text);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

    if (fd < 0)
        return MC_EIO;
    if (mc_write_all(fd, text, len) < 0) {
        close(fd);
        return MC_EIO;
    }
    return close(fd) == 0 ? MC_OK : MC_EIO;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Writes one file of the table under dir (creating its folder). */
static int write_one(const char *dir, const struct mc_new_file *f, const char *name,
                     char *err, size_t errlen)
{
    char *rel = NULL, *text = NULL, path[4096];
    char *slash;
    int rc = mc_new_render(f->path, name, &rel);

    if (rc == MC_OK)
        rc = mc_new_render(f->tmpl, name, &text);
    if (rc == MC_OK && (size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel) >= sizeof(path))
        rc = MC_EINVAL;
    if (rc == MC_OK && (slash = strrchr(path, '/')) && slash > path + strlen(dir)) {
        *slash = '\0';
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            rc = MC_EIO;
        *slash = '/';
    }
    if (rc == MC_OK)
        rc = write_file(path, text);
    if (rc < 0)
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
    free(rel);
    free(text);
    return rc;
}

int mc_new_scaffold(const char *dir, const char *name, char *err, size_t errlen)
{
    struct stat st;
    int rc = MC_OK;

    if (!dir || !*dir || !mc_new_name_ok(name)) {
        snprintf(err, errlen, "invalid service name '%s'", name ? name : "");
        return MC_EINVAL;
    }
    if (stat(dir, &st) == 0) {
        snprintf(err, errlen, "%s already exists", dir);
        return MC_EEXIST;
    }
    if (mkdir(dir, 0755) < 0) {
        snprintf(err, errlen, "cannot create '%s': %s", dir, strerror(errno));
        return MC_EIO;
    }
    for (size_t i = 0; i < MC_ARRAY_LEN(files) && rc == MC_OK; i++)
        rc = write_one(dir, &files[i], name, err, errlen);
    if (rc < 0)
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
