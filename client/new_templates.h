/*
 * The scaffold of `micro new NAME`: a C service on libmicro that builds and
 * runs as it is (with `micro run` or by hand), laid out as the runtime expects
 * (a CMakeLists.txt at the top building one executable named NAME):
 *
 *   NAME/CMakeLists.txt        pkg-config libmicro, protoc-c, executable NAME
 *   NAME/proto/NAME.proto      Call (unary), Stream (server stream), PingPong (bidi)
 *   NAME/main.c                new / handle / run / free
 *   NAME/handler.c, handler.h  the three handlers, with a log line per call
 *   NAME/README.md, .gitignore
 *
 * The files are C string templates with {{name}} (the service name),
 * {{Handler}} (the proto service: "Foo" for "foo", "Foobar" for "foo-bar"),
 * {{pkg}} (the proto package, "foobar") and {{PKG}} ("FOOBAR") filled in.
 */
#ifndef MC_NEW_TEMPLATES_H
#define MC_NEW_TEMPLATES_H

#include <stddef.h>

/* Longest service name a scaffold accepts. */
#define MC_NEW_NAME_MAX 64

/* One file of the scaffold: its path inside the folder and its template. */
struct mc_new_file {
    const char *path;        /* may hold {{name}} */
    const char *tmpl;
};

/* The scaffold's files (a static table) and their count. */
const struct mc_new_file *mc_new_files(size_t *n);

/*
 * Whether name can name a scaffolded service: 1 to MC_NEW_NAME_MAX bytes of
 * [A-Za-z0-9_-], starting with a letter (it becomes a C identifier and a proto
 * package once the - and _ are dropped).
 */
int mc_new_name_ok(const char *name);

/*
 * Renders tmpl for name into a malloc'd string (*out, caller frees).
 * Returns 0, or MC_EINVAL for a bad name (*out NULL).
 */
int mc_new_render(const char *tmpl, const char *name, char **out);

/*
 * Creates the folder dir (which must not exist; its parent must) and writes the
 * scaffold of service name into it. Returns 0, or a negative MC_E* code with
 * the reason in err (lower case, no final period): MC_EINVAL for a bad name,
 * MC_EEXIST when dir exists ("<dir> already exists"), MC_EIO when a file or
 * folder cannot be written (the partial folder is removed).
 */
int mc_new_scaffold(const char *dir, const char *name, char *err, size_t errlen);

#endif
