/*
 * What a runtime `Service.source` names, parsed without touching the network
 * or the disk (spec §10, the issue 5 contract): an uploaded archive
 * ("source://<name>:<version>", kept in the blob store), or a git repository
 * with an optional "@ref" (branch, tag or commit; "latest" or none = the
 * default branch) as an explicit URL (https://, http://, git://, ssh://,
 * file://) or as "host/org/repo[/folder…]" which becomes https://host/org/repo
 * with the rest as the folder to build. Local paths are refused: the CLI
 * uploads those. Also the checks on names that become path components.
 */
#ifndef MC_RUNTIME_SOURCE_H
#define MC_RUNTIME_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#define RT_SOURCE_MAX 1024      /* bytes of a source string */
#define RT_NAME_MAX 128         /* bytes of a service name, version or namespace */

enum rt_source_kind {
    RT_SOURCE_BLOB = 1,         /* url holds the blob key */
    RT_SOURCE_GIT,
};

struct rt_source {
    enum rt_source_kind kind;
    char url[RT_SOURCE_MAX + 16];   /* blob key, or the repository URL (no @ref) */
    char ref[RT_SOURCE_MAX];        /* "" = the default branch */
    char folder[RT_SOURCE_MAX];     /* sub-folder of the repository, "" = its root */
};

/* Parses src into out. Returns 0, or MC_EINVAL with a one-line reason in err
 * ("local paths are not accepted ...", "unsupported source ..."); out is then
 * unspecified. */
int rt_source_parse(const char *src, struct rt_source *out, char *err, size_t errlen);

/* Whether s may be a service name, version or namespace, i.e. one safe path
 * component: 1..RT_NAME_MAX bytes of [A-Za-z0-9._-], not "." or "..". */
bool rt_name_valid(const char *s);

/* Whether s may be a folder inside a source (entrypoint): "" or a relative path
 * of safe components ([A-Za-z0-9._-/], no "." or ".." component, no leading '/'),
 * at most RT_SOURCE_MAX bytes. */
bool rt_folder_valid(const char *s);

#endif
