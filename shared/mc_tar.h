/*
 * Source archives for `micro run ./dir`: the CLI packs a folder into a tar
 * stream (POSIX ustar, uncompressed) and uploads it with Source.Upload; the
 * runtime unpacks it into the service's build folder. Both sides are ours, so
 * the format is the plainest tar: regular files and directories only
 * (symlinks, devices and the like are skipped when packing and refused when
 * unpacking), paths relative and at most MC_TAR_PATH_MAX bytes, file modes kept
 * (the executable bit matters for build scripts), owners and times ignored.
 *
 * Unpacking is the security boundary (an archive comes from a client): an
 * entry whose path is absolute, contains a ".." component, or would leave the
 * target folder through an existing symlink is refused with MC_EINVAL and
 * nothing outside the target is ever written. Sizes are bounded by limits.
 */
#ifndef MC_TAR_H
#define MC_TAR_H

#include <stddef.h>
#include <stdint.h>

#include "mc_buf.h"

#define MC_TAR_PATH_MAX 255                        /* ustar: 100-byte name + 155-byte prefix */
#define MC_TAR_MAX_BYTES (256u * 1024u * 1024u)     /* a whole archive */
#define MC_TAR_MAX_ENTRIES 100000u

/*
 * Packs the folder dir into out (appended; out's limit applies: MC_ETOOBIG past
 * it). Entries are named relative to dir, in a stable order (sorted per folder),
 * so packing the same tree twice gives the same bytes. Folders whose name is in
 * skip (NULL-terminated list of base names, e.g. {".git", "build", NULL}) are
 * left out. Errors: MC_EIO with errno-based text in err (unreadable file,
 * missing dir), MC_ETOOBIG, MC_EINVAL (a path longer than MC_TAR_PATH_MAX).
 */
int mc_tar_pack(const char *dir, const char *const *skip, struct mc_buf *out, char *err,
                size_t errlen);

/*
 * Unpacks len bytes of a tar stream into the existing folder target. Returns 0,
 * or MC_EINVAL (malformed header, bad checksum, unsafe path, unsupported entry
 * type, more than MC_TAR_MAX_ENTRIES), MC_EIO (cannot write), MC_ETOOBIG; err
 * names the entry. Files already there are overwritten.
 */
int mc_tar_unpack(const uint8_t *data, size_t len, const char *target, char *err, size_t errlen);

#endif
