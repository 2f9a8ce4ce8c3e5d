/* Unit tests for shared/mc_tar: pack/unpack round trips, the stable order,
 * the skip list, modes, long names, and the unpacking safety rules (paths
 * that climb out, absolute paths, symlinks already in the target, entry
 * types we refuse), malformed and truncated archives, and the limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mc_buf.h"
#include "mc_common.h"
#include "mc_tar.h"

#define BIG (64u * 1024u * 1024u)

static char base[64]; /* a fresh temporary folder per test */

static int setup(void **state)
{
    (void)state;
    snprintf(base, sizeof(base), "/tmp/mc_tar_XXXXXX");
    assert_non_null(mkdtemp(base));
    return 0;
}

static int teardown(void **state)
{
    char cmd[256];

    (void)state;
    snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'; rm -rf '%s'", base, base);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void at(char *out, size_t n, const char *rel)
{
    snprintf(out, n, "%s/%.440s", base, rel);
}

static void mkdir_rel(const char *rel)
{
    char p[512];
    at(p, sizeof(p), rel);
    assert_int_equal(mkdir(p, 0755), 0);
}

static void write_rel(const char *rel, const void *data, size_t n, mode_t mode)
{
    char p[512];
    at(p, sizeof(p), rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

/* The contents of base/rel (heap) and its size; NULL when missing. */
static char *read_rel(const char *rel, size_t *n)
{
    char p[512];
    struct stat st;
    at(p, sizeof(p), rel);
    int fd = open(p, O_RDONLY | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    assert_int_equal(fstat(fd, &st), 0);
    char *buf = malloc((size_t)st.st_size + 1);
    assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
    buf[st.st_size] = '\0';
    close(fd);
    *n = (size_t)st.st_size;
    return buf;
}

static bool exists_rel(const char *rel)
{
    char p[512];
    struct stat st;
    at(p, sizeof(p), rel);
    return lstat(p, &st) == 0;
}

static mode_t mode_rel(const char *rel)
{
    char p[512];
    struct stat st;
    at(p, sizeof(p), rel);
    assert_int_equal(lstat(p, &st), 0);
    return st.st_mode & 07777;
}

static int pack_rel(const char *rel, const char *const *skip, struct mc_buf *out, char *err)
{
    char p[512];
    at(p, sizeof(p), rel);
    return mc_tar_pack(p, skip, out, err, 256);
}

static int unpack_rel(const struct mc_buf *b, size_t len, const char *rel, char *err)
{
    char p[512];
    at(p, sizeof(p), rel);
    return mc_tar_unpack((const uint8_t *)b->data, len, p, err, 256);
}

/* A source tree with the things packing must keep, skip and drop. */
static void make_tree(void)
{
    static const uint8_t bin[] = { 0, 1, 2, 0xff, 0, 'x' };
    char big[1500];

    memset(big, 'b', sizeof(big));
    mkdir_rel("src");
    write_rel("src/CMakeLists.txt", "project(x C)\n", 13, 0644);
    write_rel("src/build.sh", "#!/bin/sh\n", 10, 0755);
    write_rel("src/empty", "", 0, 0600);
    write_rel("src/blob.bin", bin, sizeof(bin), 0644);
    write_rel("src/big.txt", big, sizeof(big), 0644);
    mkdir_rel("src/proto");
    write_rel("src/proto/x.proto", "syntax = \"proto3\";\n", 19, 0644);
    mkdir_rel("src/proto/deep");
    write_rel("src/proto/deep/y", "y", 1, 0400);
    mkdir_rel("src/.git");
    write_rel("src/.git/HEAD", "ref\n", 4, 0644);
    mkdir_rel("src/build");
    write_rel("src/build/out.o", "obj", 3, 0644);
    mkdir_rel("src/proto/build"); /* skipped at any depth */
    char p[512], t[512];
    at(p, sizeof(p), "src/link");
    assert_int_equal(symlink("/etc/passwd", p), 0);
    at(p, sizeof(p), "src/dirlink");
    at(t, sizeof(t), "src/proto");
    assert_int_equal(symlink(t, p), 0);
}

static const char *const skip_list[] = { ".git", "build", ".micro", NULL };

static void test_round_trip(void **state)
{
    struct mc_buf b;
    char err[256] = "";
    size_t n;
    char *got;

    (void)state;
    make_tree();
    mc_buf_init(&b, BIG);
    assert_int_equal(pack_rel("src", skip_list, &b, err), 0);
    assert_int_equal(b.len % 512, 0);
    mkdir_rel("dst");
    assert_int_equal(unpack_rel(&b, b.len, "dst", err), 0);

    got = read_rel("dst/CMakeLists.txt", &n);
    assert_non_null(got);
    assert_int_equal(n, 13);
    assert_memory_equal(got, "project(x C)\n", 13);
    free(got);
    got = read_rel("dst/blob.bin", &n);
    assert_int_equal(n, 6);
    assert_memory_equal(got, "\0\1\2\xff\0x", 6);
    free(got);
    got = read_rel("dst/big.txt", &n);
    assert_int_equal(n, 1500);
    assert_int_equal(got[1499], 'b');
    free(got);
    got = read_rel("dst/empty", &n);
    assert_int_equal(n, 0);
    free(got);
    got = read_rel("dst/proto/deep/y", &n);
    assert_int_equal(n, 1);
    free(got);

    /* modes kept: the executable bit matters for build scripts */
    assert_int_equal(mode_rel("dst/build.sh"), 0755);
    assert_int_equal(mode_rel("dst/empty"), 0600);
    assert_int_equal(mode_rel("dst/proto/deep/y"), 0400);
    /* skipped folders at any depth, symlinks dropped */
    assert_false(exists_rel("dst/.git"));
    assert_false(exists_rel("dst/build"));
    assert_false(exists_rel("dst/proto/build"));
    assert_false(exists_rel("dst/link"));
    assert_false(exists_rel("dst/dirlink"));
    mc_buf_release(&b);
}

/* The names of the entries of an archive, in order, joined with ',' */
static void entry_names(const struct mc_buf *b, char *out, size_t n)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t off = 0; off + 512 <= b->len;) {
        const char *h = b->data + off;
        if (h[0] == '\0')
            break;
        unsigned long long size = strtoull(h + 124, NULL, 8);
        o += (size_t)snprintf(out + o, n - o, "%s%.155s%s%.100s", o ? "," : "", h + 345,
                              h[345] ? "/" : "", h);
        off += 512 + (size_t)((size + 511) / 512 * 512);
    }
}

static void test_stable_order(void **state)
{
    struct mc_buf a, b;
    char err[256], names[1024];

    (void)state;
    make_tree();
    mc_buf_init(&a, BIG);
    mc_buf_init(&b, BIG);
    assert_int_equal(pack_rel("src", skip_list, &a, err), 0);
    assert_int_equal(pack_rel("src", skip_list, &b, err), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    entry_names(&a, names, sizeof(names));
    assert_string_equal(names, "CMakeLists.txt,big.txt,blob.bin,build.sh,empty,proto/,"
                               "proto/deep/,proto/deep/y,proto/x.proto");
    /* without a skip list, .git and build are archived */
    mc_buf_reset(&b);
    assert_int_equal(pack_rel("src", NULL, &b, err), 0);
    entry_names(&b, names, sizeof(names));
    assert_non_null(strstr(names, ".git/HEAD"));
    assert_non_null(strstr(names, "build/out.o"));
    mc_buf_release(&a);
    mc_buf_release(&b);
}

static void test_pack_appends_and_limits(void **state)
{
    struct mc_buf b;
    char err[256] = "";

    (void)state;
    make_tree();
    mc_buf_init(&b, 4096);
    mc_buf_append_str(&b, "head");
    assert_int_equal(pack_rel("src", skip_list, &b, err), MC_ETOOBIG);
    /* unchanged on failure */
    assert_int_equal(b.len, 4);
    assert_string_equal(mc_buf_cstr(&b), "head");
    mc_buf_release(&b);

    mc_buf_init(&b, BIG);
    assert_int_equal(pack_rel("nope", skip_list, &b, err), MC_EIO);
    assert_non_null(strstr(err, "nope"));
    assert_int_equal(b.len, 0);
    mc_buf_release(&b);
}

static void test_long_names(void **state)
{
    struct mc_buf b;
    char err[256] = "", rel[512], seg[90];
    size_t n;

    (void)state;
    /* two folders of 75 bytes and a 90-byte name: 242 bytes, split into the
     * 155-byte prefix and the 100-byte name fields */
    char fname[100];
    memset(seg, 'd', 75);
    seg[75] = '\0';
    memset(fname, 'f', 90);
    fname[90] = '\0';
    mkdir_rel("src");
    snprintf(rel, sizeof(rel), "src/%s", seg);
    mkdir_rel(rel);
    snprintf(rel, sizeof(rel), "src/%s/%s", seg, seg);
    mkdir_rel(rel);
    snprintf(rel, sizeof(rel), "src/%s/%s/%s", seg, seg, fname);
    write_rel(rel, "long", 4, 0644);
    mc_buf_init(&b, BIG);
    assert_int_equal(pack_rel("src", NULL, &b, err), 0);
    mkdir_rel("dst");
    assert_int_equal(unpack_rel(&b, b.len, "dst", err), 0);
    snprintf(rel, sizeof(rel), "dst/%s/%s/%s", seg, seg, fname);
    char *got = read_rel(rel, &n);
    assert_non_null(got);
    assert_int_equal(n, 4);
    free(got);

    /* past MC_TAR_PATH_MAX (3*76 + 30 = 258): refused, nothing appended */
    snprintf(rel, sizeof(rel), "src/%s/%s/%s", seg, seg, seg);
    mkdir_rel(rel);
    snprintf(rel, sizeof(rel), "src/%s/%s/%s/%.30s", seg, seg, seg, fname);
    write_rel(rel, "x", 1, 0644);
    mc_buf_reset(&b);
    assert_int_equal(pack_rel("src", NULL, &b, err), MC_EINVAL);
    assert_non_null(strstr(err, "path too long"));
    assert_int_equal(b.len, 0);
    mc_buf_release(&b);

    /* a name of 101 bytes fits no ustar split */
    char name[110];
    memset(name, 'n', 101);
    name[101] = '\0';
    mkdir_rel("src2");
    snprintf(rel, sizeof(rel), "src2/%s", name);
    write_rel(rel, "x", 1, 0644);
    mc_buf_init(&b, BIG);
    assert_int_equal(pack_rel("src2", NULL, &b, err), MC_EINVAL);
    mc_buf_release(&b);
}

/* ---- crafted archives -------------------------------------------------------- */

/* Appends a ustar header for name (split at 100 bytes into prefix when
 * prefix is given), with a correct checksum unless bad_sum. */
static void craft(struct mc_buf *b, const char *prefix, const char *name, char type,
                  const char *content, size_t size)
{
    uint8_t h[512];
    unsigned sum = 0;

    memset(h, 0, sizeof(h));
    memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
    snprintf((char *)h + 100, 8, "%07o", 0644);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011zo", size);
    snprintf((char *)h + 136, 12, "%011o", 0);
    h[156] = (uint8_t)type;
    if (type == '2')
        memcpy(h + 157, "/etc", 4);
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    if (prefix)
        memcpy(h + 345, prefix, strlen(prefix));
    memset(h + 148, ' ', 8);
    for (size_t i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    mc_buf_append(b, h, sizeof(h));
    if (size) {
        char pad[512] = { 0 };
        mc_buf_append(b, content, size);
        mc_buf_append(b, pad, (512 - size % 512) % 512);
    }
}

static void end_marker(struct mc_buf *b)
{
    char z[1024] = { 0 };
    mc_buf_append(b, z, sizeof(z));
}

/* Unpacks a one-entry crafted archive into base/dst; returns the result. */
static int unpack_one(const char *prefix, const char *name, char type, char *err)
{
    struct mc_buf b;
    mc_buf_init(&b, BIG);
    craft(&b, prefix, name, type, "pwned", 5);
    end_marker(&b);
    int rc = unpack_rel(&b, b.len, "dst", err);
    mc_buf_release(&b);
    return rc;
}

static void test_traversal_refused(void **state)
{
    char err[256];
    static const char *const bad[] = {
        "../x", "/abs", "a/../../x", "a/..", "..", "./../x", "a/b/../../../x", "//x", ".", "./",
    };

    (void)state;
    mkdir_rel("dst");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(unpack_one(NULL, bad[i], '0', err), MC_EINVAL);
        assert_non_null(strstr(err, "unsafe path"));
    }
    /* a prefix field that climbs out is caught as well */
    assert_int_equal(unpack_one("..", "x", '0', err), MC_EINVAL);
    assert_int_equal(unpack_one("/tmp", "x", '0', err), MC_EINVAL);
    /* nothing was written next to dst or at the root of base */
    assert_false(exists_rel("x"));
    assert_false(exists_rel("abs"));
    assert_false(exists_rel("dst/a"));
    /* "./a" and "a//b" are harmless spellings */
    assert_int_equal(unpack_one(NULL, "./a", '0', err), 0);
    assert_true(exists_rel("dst/a"));
    assert_int_equal(unpack_one(NULL, "d//b", '0', err), 0);
    assert_true(exists_rel("dst/d/b"));
}

static void test_symlink_in_target(void **state)
{
    char err[256] = "", p[512], t[512];
    size_t n;

    (void)state;
    mkdir_rel("dst");
    mkdir_rel("outside");
    write_rel("outside/keep", "safe", 4, 0644);
    at(p, sizeof(p), "dst/evil");
    at(t, sizeof(t), "outside");
    assert_int_equal(symlink(t, p), 0);
    /* through a symlinked folder: refused */
    assert_int_equal(unpack_one(NULL, "evil/x", '0', err), MC_EINVAL);
    assert_non_null(strstr(err, "symlink"));
    assert_false(exists_rel("outside/x"));
    assert_int_equal(unpack_one(NULL, "evil/sub/", '5', err), MC_EINVAL);
    assert_false(exists_rel("outside/sub"));
    /* a file entry named like a symlink to a file replaces the link and never
     * writes through it */
    at(p, sizeof(p), "dst/keep");
    at(t, sizeof(t), "outside/keep");
    assert_int_equal(symlink(t, p), 0);
    assert_int_equal(unpack_one(NULL, "keep", '0', err), 0);
    char *got = read_rel("outside/keep", &n);
    assert_memory_equal(got, "safe", 4);
    free(got);
    got = read_rel("dst/keep", &n);
    assert_non_null(got); /* a regular file now: read_rel uses O_NOFOLLOW */
    assert_memory_equal(got, "pwned", 5);
    free(got);
}

static void test_symlink_planted_by_archive(void **state)
{
    char err[256] = "";

    (void)state;
    mkdir_rel("dst");
    mkdir_rel("outside");
    /* entry types other than files and folders are refused: no link is made */
    assert_int_equal(unpack_one(NULL, "ln", '2', err), MC_EINVAL);
    assert_non_null(strstr(err, "unsupported entry type '2'"));
    assert_false(exists_rel("dst/ln"));
    assert_int_equal(unpack_one(NULL, "hard", '1', err), MC_EINVAL);
    assert_int_equal(unpack_one(NULL, "fifo", '6', err), MC_EINVAL);
    assert_int_equal(unpack_one(NULL, "pax", 'x', err), MC_EINVAL);
}

static void test_overwrite_and_dirs(void **state)
{
    struct mc_buf b;
    char err[256] = "";
    size_t n;

    (void)state;
    mkdir_rel("dst");
    write_rel("dst/f", "old contents", 12, 0444);
    mc_buf_init(&b, BIG);
    craft(&b, NULL, "f", '0', "new", 3);
    craft(&b, NULL, "sub/", '5', NULL, 0);
    craft(&b, NULL, "sub/g", '\0', "g", 1); /* old-style regular file type */
    end_marker(&b);
    assert_int_equal(unpack_rel(&b, b.len, "dst", err), 0);
    char *got = read_rel("dst/f", &n);
    assert_int_equal(n, 3);
    assert_memory_equal(got, "new", 3);
    free(got);
    assert_true(exists_rel("dst/sub/g"));
    /* a file where a folder is needed: an i/o error, not a crash */
    mc_buf_reset(&b);
    craft(&b, NULL, "f/x", '0', "x", 1);
    end_marker(&b);
    assert_int_equal(unpack_rel(&b, b.len, "dst", err), MC_EIO);
    mc_buf_release(&b);
}

static void test_truncated_and_garbage(void **state)
{
    struct mc_buf b;
    char err[256] = "";

    (void)state;
    mkdir_rel("dst");
    mc_buf_init(&b, BIG);
    craft(&b, NULL, "file", '0', "0123456789", 10);
    size_t full = b.len;
    end_marker(&b);
    assert_int_equal(unpack_rel(&b, b.len, "dst", err), 0);
    /* no end marker */
    assert_int_equal(unpack_rel(&b, full, "dst", err), MC_EINVAL);
    assert_non_null(strstr(err, "truncated"));
    /* cut inside the content */
    assert_int_equal(unpack_rel(&b, 512 + 4, "dst", err), MC_EINVAL);
    /* cut inside the header */
    assert_int_equal(unpack_rel(&b, 100, "dst", err), MC_EINVAL);
    /* empty input */
    assert_int_equal(unpack_rel(&b, 0, "dst", err), MC_EINVAL);
    /* a flipped byte breaks the checksum */
    b.data[10] ^= 1;
    assert_int_equal(unpack_rel(&b, b.len, "dst", err), MC_EINVAL);
    assert_non_null(strstr(err, "checksum"));
    b.data[10] ^= 1;
    /* not ustar */
    memcpy(b.data + 257, "gnutar", 6);
    assert_int_equal(unpack_rel(&b, b.len, "dst", err), MC_EINVAL);
    /* random bytes */
    mc_buf_reset(&b);
    srand(7);
    for (int i = 0; i < 4096; i++)
        mc_buf_append_byte(&b, (char)(rand() & 0xff));
    assert_int_equal(unpack_rel(&b, b.len, "dst", err), MC_EINVAL);
    /* a size field that is not octal */
    mc_buf_reset(&b);
    craft(&b, NULL, "file", '0', "x", 1);
    end_marker(&b);
    memcpy(b.data + 124, "9999", 4);
    assert_int_equal(unpack_rel(&b, b.len, "dst", err), MC_EINVAL);
    /* a size that claims more than there is */
    mc_buf_reset(&b);
    craft(&b, NULL, "file", '0', "x", 1);
    end_marker(&b);
    {
        /* rewrite the size to 1 MiB and fix the checksum */
        uint8_t *h = (uint8_t *)b.data;
        unsigned sum = 0;
        snprintf((char *)h + 124, 12, "%011o", 1u << 20);
        memset(h + 148, ' ', 8);
        for (size_t i = 0; i < 512; i++)
            sum += h[i];
        snprintf((char *)h + 148, 8, "%06o", sum);
        h[155] = ' ';
    }
    assert_int_equal(unpack_rel(&b, b.len, "dst", err), MC_EINVAL);
    assert_non_null(strstr(err, "truncated"));
    mc_buf_release(&b);
}

static void test_unpack_limits(void **state)
{
    char err[256] = "", p[512];

    (void)state;
    mkdir_rel("dst");
    /* larger than MC_TAR_MAX_BYTES: refused before a byte is read */
    size_t len = (size_t)MC_TAR_MAX_BYTES + 1;
    uint8_t *huge = calloc(1, len);
    assert_non_null(huge);
    at(p, sizeof(p), "dst");
    assert_int_equal(mc_tar_unpack(huge, len, p, err, sizeof(err)), MC_ETOOBIG);
    free(huge);
    /* a missing target */
    at(p, sizeof(p), "missing");
    uint8_t z[1024] = { 0 };
    assert_int_equal(mc_tar_unpack(z, sizeof(z), p, err, sizeof(err)), MC_EIO);
    /* an empty archive (just the end marker) into an existing target */
    at(p, sizeof(p), "dst");
    assert_int_equal(mc_tar_unpack(z, sizeof(z), p, err, sizeof(err)), 0);
}

/* Our archives are plain ustar: GNU tar lists them, and we read its ustar. */
static void test_interop_with_tar(void **state)
{
    struct mc_buf b;
    char err[256] = "", cmd[1024];
    size_t n;

    (void)state;
    if (system("tar --version >/dev/null 2>&1") != 0)
        skip();
    make_tree();
    mc_buf_init(&b, BIG);
    assert_int_equal(pack_rel("src", skip_list, &b, err), 0);
    write_rel("a.tar", b.data, b.len, 0644);
    snprintf(cmd, sizeof(cmd), "tar -tf '%s/a.tar' | tr '\\n' , > '%s/list'", base, base);
    assert_int_equal(system(cmd), 0);
    char *list = read_rel("list", &n);
    assert_string_equal(list, "CMakeLists.txt,big.txt,blob.bin,build.sh,empty,proto/,"
                              "proto/deep/,proto/deep/y,proto/x.proto,");
    free(list);
    snprintf(cmd, sizeof(cmd),
             "cd '%s/src' && tar --format=ustar --exclude=.git --exclude=build "
             "--exclude=link --exclude=dirlink -cf ../b.tar .",
             base);
    assert_int_equal(system(cmd), 0);
    mc_buf_release(&b);
    char *tar = read_rel("b.tar", &n);
    mc_buf_init(&b, BIG);
    mc_buf_append(&b, tar, n);
    free(tar);
    mkdir_rel("dst");
    assert_int_equal(unpack_rel(&b, b.len, "dst", err), 0);
    assert_int_equal(mode_rel("dst/build.sh"), 0755);
    assert_true(exists_rel("dst/proto/deep/y"));
    mc_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stable_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pack_appends_and_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_traversal_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_in_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_planted_by_archive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overwrite_and_dirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_and_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unpack_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interop_with_tar, setup, teardown),
    };
    return cmocka_run_group_tests_name("tar", tests, NULL, NULL);
}
