/*
 * Source archives (mc_tar.h): a POSIX ustar writer for `micro run ./dir` and
 * a reader that is the runtime's security boundary. Packing walks the folder
 * with directory fds and O_NOFOLLOW, so a symlink is never followed and the
 * bytes depend only on the tree (owners and times are written as zero).
 * Unpacking resolves every path one component at a time from the target's
 * fd, creating folders with mkdirat and opening them with O_NOFOLLOW: no
 * path string is ever handed to the kernel whole, so neither "..", an
 * absolute name nor a symlink planted by an earlier entry (or already in the
 * target) can lead a write outside the target.
 */
#include "mc_tar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mc_common.h"
#include "mc_banned.h"

#define TAR_BLOCK 512u
#define TAR_NAME_LEN 100u
#define TAR_PREFIX_LEN 155u
#define TAR_DIR_MAX_NAMES 100000u /* names read from one folder */
#define TAR_MAX_FILE (MC_TAR_MAX_BYTES)

/* The ustar header: offsets of the fields in one 512-byte block. */
enum {
    H_NAME = 0,
    H_MODE = 100,
    H_UID = 108,
    H_GID = 116,
    H_SIZE = 124,
    H_MTIME = 136,
    H_CHKSUM = 148,
    H_TYPE = 156,
    H_MAGIC = 257,
    H_VERSION = 263,
    H_PREFIX = 345,
};

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The first error wins: callers return what this returns. */
static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* ---- packing ------------------------------------------------------------------- */

struct packer {
    struct mc_buf *out;
    const char *const *skip;
    char path[MC_TAR_PATH_MAX + 2]; /* the entry being written, relative */
    size_t entries;
    char *err;
    size_t errlen;
};

static void put_octal(uint8_t *field, size_t width, uint64_t v)
{
    /* width-1 digits, zero-padded, then NUL (as GNU and Go write them) */
    field[width - 1] = '\0';
    for (size_t i = width - 1; i-- > 0;) {
        field[i] = (uint8_t)('0' + (v & 7u));
        v >>= 3;
    }
}

static unsigned header_sum(const uint8_t *h)
{
    unsigned sum = 0;

    for (size_t i = 0; i < TAR_BLOCK; i++)
        sum += (i >= H_CHKSUM && i < H_CHKSUM + 8) ? (unsigned)' ' : h[i];
    return sum;
}

/* Splits path into ustar's prefix and name fields; false when it cannot fit. */
static bool split_path(const char *path, uint8_t *h)
{
    size_t n = strlen(path);

    if (n <= TAR_NAME_LEN) {
        memcpy(h + H_NAME, path, n);
        return true;
    }
    /* the prefix ends at a '/' that leaves at most 100 bytes for the name */
    for (size_t cut = n - 1; cut > 0; cut--) {
        if (path[cut] != '/' || cut == n - 1)
            continue; /* a folder's final slash belongs to its name */
        if (n - cut - 1 > TAR_NAME_LEN)
            break; /* further left only makes the name longer */
        if (cut <= TAR_PREFIX_LEN) {
            memcpy(h + H_PREFIX, path, cut);
            memcpy(h + H_NAME, path + cut + 1, n - cut - 1);
            return true;
        }
    }
    return false;
}

static int append_header(struct packer *p, char type, mode_t mode, uint64_t size)
{
    uint8_t h[TAR_BLOCK];

    memset(h, 0, sizeof(h));
    if (strlen(p->path) > MC_TAR_PATH_MAX || !split_path(p->path, h))
        return fail(p->err, p->errlen, MC_EINVAL, "path too long for the archive: '%s'",
                    p->path);
    if (++p->entries > MC_TAR_MAX_ENTRIES)
        return fail(p->err, p->errlen, MC_ETOOBIG, "more than %u files to archive",
                    MC_TAR_MAX_ENTRIES);
    put_octal(h + H_MODE, 8, (uint64_t)(mode & 07777));
    put_octal(h + H_UID, 8, 0);
    put_octal(h + H_GID, 8, 0);
    put_octal(h + H_SIZE, 12, size);
    put_octal(h + H_MTIME, 12, 0);
    h[H_TYPE] = (uint8_t)type;
    memcpy(h + H_MAGIC, "ustar", 6);
    memcpy(h + H_VERSION, "00", 2);
    /* checksum: six octal digits, NUL, space */
    put_octal(h + H_CHKSUM, 7, header_sum(h));
    h[H_CHKSUM + 7] = ' ';
    if (mc_buf_append(p->out, h, sizeof(h)) < 0)
        return fail(p->err, p->errlen, MC_ETOOBIG, "archive too big at '%s'", p->path);
    return 0;
}

/* Appends size bytes of fd and the zero padding to the next block. */
static int append_content(struct packer *p, int fd, uint64_t size)
{
    size_t padded = (size_t)((size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK);
    char *dst = padded ? mc_buf_reserve(p->out, padded) : NULL;
    size_t got = 0;

    if (padded == 0)
        return 0; /* an empty file: the header says it all */
    if (!dst)
        return fail(p->err, p->errlen, MC_ETOOBIG, "archive too big at '%s'", p->path);
    while (got < size) {
        ssize_t n = read(fd, dst + got, (size_t)size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(p->err, p->errlen, MC_EIO, "cannot read '%s': %s", p->path,
                        strerror(errno));
        if (n == 0)
            return fail(p->err, p->errlen, MC_EIO, "cannot read '%s': file changed while "
                        "reading", p->path);
        got += (size_t)n;
    }
    memset(dst + size, 0, padded - (size_t)size);
    mc_buf_commit(p->out, padded);
    return 0;
}

static bool skipped(const struct packer *p, const char *name)
{
    for (const char *const *s = p->skip; s && *s; s++)
        if (strcmp(*s, name) == 0)
            return true;
    return false;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dirfd (not "." and ".."), sorted; *count gets their number. */
static int read_names(struct packer *p, int dirfd, char ***names, size_t *count)
{
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    size_t n = 0, cap = 0;
    char **v = NULL;
    struct dirent *e;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return fail(p->err, p->errlen, MC_EIO, "cannot read folder '%s': %s",
                    p->path[0] ? p->path : ".", strerror(errno));
    }
    rewinddir(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n == TAR_DIR_MAX_NAMES)
            break; /* append_header reports the entry limit */
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            v = mc_realloc(v, cap * sizeof(*v));
        }
        v[n++] = mc_strdup(e->d_name);
    }
    closedir(d);
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_names);
    *names = v;
    *count = n;
    return 0;
}

static int pack_dir(struct packer *p, int dirfd);

/* One entry of a folder: p->path already names it. */
static int pack_entry(struct packer *p, int dirfd, const char *name)
{
    struct stat st;
    int fd, rc;

    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return fail(p->err, p->errlen, MC_EIO, "cannot stat '%s': %s", p->path,
                    strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        if (skipped(p, name))
            return 0;
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return fail(p->err, p->errlen, MC_EIO, "cannot open folder '%s': %s", p->path,
                        strerror(errno));
        size_t n = strlen(p->path);
        p->path[n] = '/'; /* ustar marks folders with a final slash */
        p->path[n + 1] = '\0';
        rc = append_header(p, '5', st.st_mode, 0);
        p->path[n] = '\0';
        if (rc == 0)
            rc = pack_dir(p, fd);
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode))
        return 0; /* symlinks, sockets, devices: not part of a source tree */
    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fail(p->err, p->errlen, MC_EIO, "cannot open '%s': %s", p->path,
                    strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(p->err, p->errlen, MC_EIO, "cannot read '%s': not a regular file",
                    p->path);
    }
    if ((uint64_t)st.st_size > TAR_MAX_FILE) {
        close(fd);
        return fail(p->err, p->errlen, MC_ETOOBIG, "file too big to archive: '%s'", p->path);
    }
    rc = append_header(p, '0', st.st_mode, (uint64_t)st.st_size);
    if (rc == 0)
        rc = append_content(p, fd, (uint64_t)st.st_size);
    close(fd);
    return rc;
}

static int pack_dir(struct packer *p, int dirfd)
{
    size_t base = strlen(p->path), count = 0;
    char **names = NULL;
    int rc = read_names(p, dirfd, &names, &count);

    for (size_t i = 0; rc == 0 && i < count; i++) {
        size_t need = base + (base ? 1 : 0) + strlen(names[i]);
        if (need > MC_TAR_PATH_MAX) {
            rc = fail(p->err, p->errlen, MC_EINVAL, "path too long for the archive: "
                      "'%s/%s'", p->path, names[i]);
            break;
        }
        snprintf(p->path + base, sizeof(p->path) - base, "%s%s", base ? "/" : "", names[i]);
        rc = pack_entry(p, dirfd, names[i]);
        p->path[base] = '\0';
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return rc;
}

int mc_tar_pack(const char *dir, const char *const *skip, struct mc_buf *out, char *err,
                size_t errlen)
{
    struct packer p = { .out = out, .skip = skip, .err = err, .errlen = errlen };
    size_t start = out->len;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return fail(err, errlen, MC_EIO, "cannot open folder '%s': %s", dir, strerror(errno));
    rc = pack_dir(&p, fd);
    close(fd);
    if (rc == 0) {
        /* the end of an archive: two zero blocks */
        char *z = mc_buf_reserve(out, 2 * TAR_BLOCK);
        if (!z)
            rc = fail(err, errlen, MC_ETOOBIG, "archive too big");
        else {
            memset(z, 0, 2 * TAR_BLOCK);
            mc_buf_commit(out, 2 * TAR_BLOCK);
        }
    }
    if (rc < 0) {
        /* leave out as it was: drop what this call appended */
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return rc;
}

/* ---- unpacking ----------------------------------------------------------------- */

struct unpacker {
    int root;           /* the target folder */
    char path[MC_TAR_PATH_MAX + 2]; /* the entry being unpacked */
    char *err;
    size_t errlen;
};

static bool zero_block(const uint8_t *b)
{
    for (size_t i = 0; i < TAR_BLOCK; i++)
        if (b[i])
            return false;
    return true;
}

/* An octal field: digits, optionally led by spaces and ended by NUL or space. */
static bool parse_octal(const uint8_t *f, size_t width, uint64_t *out)
{
    size_t i = 0;
    uint64_t v = 0;
    bool digits = false;

    while (i < width && f[i] == ' ')
        i++;
    for (; i < width && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v >> 60)
            return false;
        v = v * 8 + (uint64_t)(f[i] - '0');
        digits = true;
    }
    for (; i < width; i++)
        if (f[i] != '\0' && f[i] != ' ')
            return false;
    *out = v;
    return digits;
}

/* A NUL-padded field as a string of at most width bytes, appended to out. */
static size_t field_len(const uint8_t *f, size_t width)
{
    const uint8_t *nul = memchr(f, '\0', width);
    return nul ? (size_t)(nul - f) : width;
}

/* The entry's path (prefix "/" name) into u->path; false when malformed. */
static bool entry_path(struct unpacker *u, const uint8_t *h)
{
    size_t pl = field_len(h + H_PREFIX, TAR_PREFIX_LEN);
    size_t nl = field_len(h + H_NAME, TAR_NAME_LEN);
    size_t o = 0;

    if (nl == 0)
        return false;
    if (pl) {
        memcpy(u->path, h + H_PREFIX, pl);
        o = pl;
        u->path[o++] = '/';
    }
    memcpy(u->path + o, h + H_NAME, nl);
    u->path[o + nl] = '\0';
    return true;
}

/*
 * Whether path is safe to create under the target: relative, no ".."
 * component, no control bytes. Empty and "." components are harmless and
 * skipped by the walk ("./" is the target itself, which tar writes first).
 */
static bool safe_path(const char *path)
{
    if (path[0] == '/')
        return false;
    for (const char *s = path; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return false;
        s += n;
        while (*s == '/')
            s++;
    }
    for (const unsigned char *c = (const unsigned char *)path; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

/* Opens (creating when missing) the folder comp inside dirfd, never through a
 * symlink. Returns the new fd, or a negative MC_E* with err set. */
static int open_dir_at(struct unpacker *u, int dirfd, const char *comp)
{
    struct stat st;
    int fd;

    if (mkdirat(dirfd, comp, 0755) < 0 && errno != EEXIST)
        return fail(u->err, u->errlen, MC_EIO, "cannot create folder for '%s': %s", u->path,
                    strerror(errno));
    fd = openat(dirfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0)
        return fd;
    if (fstatat(dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
        return fail(u->err, u->errlen, MC_EINVAL, "unsafe path in archive: '%s' goes "
                    "through a symlink", u->path);
    return fail(u->err, u->errlen, MC_EIO, "cannot open folder for '%s': %s", u->path,
                strerror(errno));
}

/*
 * Walks u->path from the root, creating folders, and leaves in *last the
 * final component (a pointer into the copy in comp) and returns the fd of its
 * parent folder (the caller closes it unless it is u->root).
 */
static int walk_parent(struct unpacker *u, char *comp, const char **last)
{
    int dirfd = u->root;
    char *s = comp;

    for (;;) {
        while (*s == '/')
            s++;
        char *end = s + strcspn(s, "/");
        const char *next = end;
        while (*next == '/')
            next++;
        bool final = *next == '\0';
        bool dot = end - s == 1 && s[0] == '.';
        if (final) {
            *end = '\0';
            *last = dot ? "." : s;
            return dirfd;
        }
        if (!dot) {
            *end = '\0';
            int fd = open_dir_at(u, dirfd, s);
            if (dirfd != u->root)
                close(dirfd);
            if (fd < 0)
                return fd;
            dirfd = fd;
        }
        s = (char *)next;
    }
}

static void close_parent(const struct unpacker *u, int fd)
{
    if (fd >= 0 && fd != u->root)
        close(fd);
}

static int unpack_dir(struct unpacker *u, mode_t mode)
{
    char comp[sizeof(u->path)];
    const char *last;
    int parent, fd;

    memcpy(comp, u->path, sizeof(comp));
    parent = walk_parent(u, comp, &last);
    if (parent < 0)
        return parent;
    if (strcmp(last, ".") == 0) {
        close_parent(u, parent);
        return 0;
    }
    fd = open_dir_at(u, parent, last);
    close_parent(u, parent);
    if (fd < 0)
        return fd;
    /* keep the folder writable for the entries that follow it */
    if (fchmod(fd, (mode & 0777) | 0700) < 0) {
        close(fd);
        return fail(u->err, u->errlen, MC_EIO, "cannot set the mode of '%s': %s", u->path,
                    strerror(errno));
    }
    close(fd);
    return 0;
}

static int unpack_file(struct unpacker *u, mode_t mode, const uint8_t *data, size_t size)
{
    char comp[sizeof(u->path)];
    const char *last;
    int parent, fd, rc = 0;

    memcpy(comp, u->path, sizeof(comp));
    parent = walk_parent(u, comp, &last);
    if (parent < 0)
        return parent;
    if (strcmp(last, ".") == 0) {
        close_parent(u, parent);
        return fail(u->err, u->errlen, MC_EINVAL, "unsafe path in archive: '%s'", u->path);
    }
    /* Replace rather than write through: whatever is there (a file, or a
     * symlink planted to redirect the write) is removed, never followed. */
    if (unlinkat(parent, last, 0) < 0 && errno != ENOENT) {
        int e = errno;
        close_parent(u, parent);
        return fail(u->err, u->errlen, MC_EIO, "cannot replace '%s': %s", u->path,
                    strerror(e));
    }
    fd = openat(parent, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    close_parent(u, parent);
    if (fd < 0)
        return fail(u->err, u->errlen, MC_EIO, "cannot create '%s': %s", u->path,
                    strerror(errno));
    if (mc_write_all(fd, data, size) < 0 || fchmod(fd, mode & 0777) < 0)
        rc = fail(u->err, u->errlen, MC_EIO, "cannot write '%s': %s", u->path,
                  strerror(errno));
    if (close(fd) < 0 && rc == 0)
        rc = fail(u->err, u->errlen, MC_EIO, "cannot write '%s': %s", u->path,
                  strerror(errno));
    return rc;
}

/* Checks one header block; fills path, *type, *mode and *size. */
static int parse_header(struct unpacker *u, const uint8_t *h, char *type, mode_t *mode,
                        uint64_t *size)
{
    uint64_t sum, m;

    if (!parse_octal(h + H_CHKSUM, 8, &sum) || sum != header_sum(h))
        return fail(u->err, u->errlen, MC_EINVAL, "malformed archive: bad header checksum");
    if (memcmp(h + H_MAGIC, "ustar", 5) != 0)
        return fail(u->err, u->errlen, MC_EINVAL, "malformed archive: not a ustar header");
    if (!entry_path(u, h))
        return fail(u->err, u->errlen, MC_EINVAL, "malformed archive: empty entry name");
    if (!parse_octal(h + H_MODE, 8, &m) || !parse_octal(h + H_SIZE, 12, size))
        return fail(u->err, u->errlen, MC_EINVAL, "malformed archive: bad header of '%s'",
                    u->path);
    if (!safe_path(u->path))
        return fail(u->err, u->errlen, MC_EINVAL, "unsafe path in archive: '%s'", u->path);
    *type = (char)h[H_TYPE];
    *mode = (mode_t)(m & 0777);
    return 0;
}

int mc_tar_unpack(const uint8_t *data, size_t len, const char *target, char *err, size_t errlen)
{
    struct unpacker u = { .err = err, .errlen = errlen };
    size_t off = 0, entries = 0;
    int rc = 0;

    if (len > MC_TAR_MAX_BYTES)
        return fail(err, errlen, MC_ETOOBIG, "archive larger than %u bytes", MC_TAR_MAX_BYTES);
    u.root = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (u.root < 0)
        return fail(err, errlen, MC_EIO, "cannot open folder '%s': %s", target,
                    strerror(errno));
    for (;;) {
        char type = 0;
        mode_t mode = 0;
        uint64_t size = 0;

        if (len - off < TAR_BLOCK) {
            rc = fail(err, errlen, MC_EINVAL, "malformed archive: truncated");
            break;
        }
        if (zero_block(data + off))
            break; /* the end marker; what follows it is not read */
        if (++entries > MC_TAR_MAX_ENTRIES) {
            rc = fail(err, errlen, MC_EINVAL, "malformed archive: more than %u entries",
                      MC_TAR_MAX_ENTRIES);
            break;
        }
        rc = parse_header(&u, data + off, &type, &mode, &size);
        if (rc < 0)
            break;
        off += TAR_BLOCK;
        if (size > len - off) {
            rc = fail(err, errlen, MC_EINVAL, "malformed archive: '%s' is truncated", u.path);
            break;
        }
        if (type == '5')
            rc = unpack_dir(&u, mode);
        else if (type == '0' || type == '\0')
            rc = unpack_file(&u, mode, data + off, (size_t)size);
        else
            rc = fail(err, errlen, MC_EINVAL, "unsupported entry type '%c' in archive: '%s'",
                      type >= 0x20 && type < 0x7f ? type : '?', u.path);
        if (rc < 0)
            break;
        size_t padded = (size_t)((size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK);
        off += padded <= len - off ? padded : len - off;
    }
    close(u.root);
    return rc;
}
