/*
 * libFuzzer target for mc_tar_unpack, the runtime's boundary for uploaded
 * sources. Each input is unpacked into a fresh folder that already holds a
 * symlink to a sibling folder "outside" (as a hostile earlier entry or a
 * reused build folder might); besides memory safety it checks the promise
 * of mc_tar.h: whatever the archive says, nothing is ever written outside
 * the target, so "outside" stays empty and the scratch root holds only the
 * two folders. Seeds: tests/fuzz/corpus/tar/.
 */
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mc_tar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64], target[96], outside[96];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;

    if (!d)
        abort();
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void setup_once(void)
{
    if (root[0])
        return;
    snprintf(root, sizeof(root), "/tmp/fuzz_tar_XXXXXX");
    if (!mkdtemp(root))
        abort();
    snprintf(target, sizeof(target), "%s/target", root);
    snprintf(outside, sizeof(outside), "%s/outside", root);
    if (mkdir(outside, 0700) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256], link[128];

    setup_once();
    if (mkdir(target, 0700) != 0)
        abort();
    snprintf(link, sizeof(link), "%s/link", target);
    if (symlink("../outside", link) != 0)
        abort();
    (void)mc_tar_unpack(data, size, target, err, sizeof(err));
    /* the promise: nothing outside the target */
    if (count_entries(outside) != 0 || count_entries(root) != 2)
        abort();
    chmod(target, 0700);
    if (nftw(target, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        abort();
    return 0;
}
