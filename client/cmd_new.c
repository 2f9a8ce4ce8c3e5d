/*
 * `micro new NAME` (spec §3.2): scaffolds a C service into ./NAME with
 * new_templates.h's mc_new_scaffold (proto, handler, build file, README),
 * then prints what upstream prints: "Creating service NAME", the tree of
 * the files made, and the next steps, adapted to C (protoc-c and libmicro
 * instead of Go's tools; `micro run .` builds it on the server). An existing
 * file or folder of that name is refused and left untouched.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cmd.h"
#include "commands.h"
#include "mc_common.h"
#include "new_templates.h"
#include "run_util.h"
#include "mc_banned.h"

#define TREE_MAX_DEPTH 8
#define TREE_MAX_NAMES 1000

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir, sorted (heap array of heap strings); *n gets their count. */
static char **list_dir(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    char **v = NULL;
    size_t cap = 0;
    struct dirent *e;

    *n = 0;
    if (!d)
        return NULL;
    while ((e = readdir(d)) != NULL && *n < TREE_MAX_NAMES) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            v = mc_realloc(v, cap * sizeof(*v));
        }
        v[(*n)++] = mc_strdup(e->d_name);
    }
    closedir(d);
    if (*n > 1)
        qsort(v, *n, sizeof(*v), cmp_names);
    return v;
}

/* xlab/treeprint's layout: "├── " / "└── " before a name, "│   " / "    "
 * before the names inside a folder. */
static void print_tree(FILE *out, const char *dir, char *indent, size_t ilen, int depth)
{
    size_t n;
    char **names = list_dir(dir, &n);

    for (size_t i = 0; i < n; i++) {
        bool last = i + 1 == n;
        char path[4096];
        struct stat st;

        fprintf(out, "%.*s%s %s\n", (int)ilen, indent, last ? "└──" : "├──", names[i]);
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (depth < TREE_MAX_DEPTH && lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            const char *more = last ? "    " : "│   ";
            size_t ml = strlen(more);
            memcpy(indent + ilen, more, ml);
            print_tree(out, path, indent, ilen + ml, depth + 1);
        }
        free(names[i]);
    }
    free(names);
}

static int run_new(struct mc_cli *cli, const struct mc_args *args)
{
    const char *name = mc_args_arg(args, 0);
    char err[512] = "";
    char indent[TREE_MAX_DEPTH * 8 + 8];
    struct stat st;

    if (!name || !*name) {
        fputs("specify service name\n", cli->out);
        return 0;
    }
    if (!mc_run_name_valid(name) || strchr(name, '.'))
        return mc_cli_fail_local(cli, "invalid service name '%s': use letters, digits, '-' "
                                 "and '_'", name);
    if (lstat(name, &st) == 0 || errno != ENOENT)
        return mc_cli_fail_local(cli, "%s already exists", name);
    fprintf(cli->out, "Creating service %s\n\n", name);
    if (mc_new_scaffold(name, name, err, sizeof(err)) < 0)
        return mc_cli_fail_local(cli, "%s", *err ? err : "cannot create the service");
    fputs(".\n", cli->out);
    print_tree(cli->out, name, indent, 0, 0);
    fprintf(cli->out,
            "\n"
            "\ninstall protoc-c, pkg-config and libmicro (cmake --install in micro's build "
            "folder):\n\n"
            "visit https://github.com/protobuf-c/protobuf-c\n"
            "\nbuild and run the service on the server:\n\n"
            "cd %s\n"
            "micro run .\n\n",
            name);
    return 0;
}

const struct mc_cmd mc_cmd_new = {
    .name = "new",
    .summary = "Create a service template",
    .args_usage = "NAME",
    .description = "'micro new' scaffolds a new service skeleton. Example: 'micro new my-app "
                   "&& cd my-app'",
    .run = run_new,
    .max_args = 1,
};
