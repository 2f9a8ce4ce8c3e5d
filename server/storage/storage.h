/*
 * The server's storage layer: records addressed by (database, table, key) with
 * value bytes, metadata and an expiry, and blobs addressed by (namespace, key).
 * Every stateful core service keeps its data here (store, config, auth, and later
 * events and runtime), in upstream's databases and tables (spec §8).
 *
 * Profiles (MICRO_PROFILE / --profile):
 *   local  one sqlite3 file, $MICRO_HOME/store/store.db, in WAL mode with
 *          synchronous=NORMAL: a write that returned has reached the OS, so it
 *          survives kill -9 of the server (not a power loss: that needs FULL).
 *   test   an in-memory sqlite3 database: nothing is kept between starts.
 * Both run the same SQL, so both behave alike to the byte. Keys compare as bytes.
 * Expired records are invisible to every read and are purged by mc_storage_purge().
 *
 * Single-threaded: call everything from the server's loop thread.
 */
#ifndef MC_STORAGE_H
#define MC_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_common.h"

#define MC_STORAGE_DEFAULT "micro"              /* default database and table */
#define MC_STORAGE_KEY_MAX 4096                 /* bytes in a key */
#define MC_STORAGE_VALUE_MAX (32u * 1024u * 1024u)   /* bytes in a value or blob */
#define MC_STORAGE_NAME_MAX 256                 /* database, table, namespace */
#define MC_STORAGE_RESULTS_MAX 1000000          /* records or keys in one answer */

struct mc_storage;

/* A record to write (all borrowed). metadata: NULL or JSON object text. */
struct mc_storage_record {
    const char *key;
    const void *value;
    size_t value_len;
    const char *metadata;
    int64_t expiry;          /* absolute unix seconds, 0 = never */
};

/* A record read back (owned by the list it is in). */
struct mc_storage_item {
    char *key;
    uint8_t *value;          /* value_len bytes plus a NUL */
    size_t value_len;
    char *metadata;          /* NULL when none */
    int64_t expiry;
};

struct mc_storage_items {
    struct mc_storage_item *v;
    size_t n;
};
void mc_storage_items_release(struct mc_storage_items *items);

/* What to read. NULL or "" database/table mean "micro". key set: exactly that key;
 * otherwise every key with the prefix and the suffix (either may be NULL). limit 0
 * = all; offset skips first; desc reverses byte order (before offset and limit). */
struct mc_storage_query {
    const char *database;
    const char *table;
    const char *key;
    const char *prefix;
    const char *suffix;
    uint64_t limit;
    uint64_t offset;
    bool desc;
    bool keys_only;          /* leave value and metadata empty */
};

/* Opens the storage of profile ("local" or "test") under home. On failure *out is
 * NULL and err says why: MC_EINVAL `unknown profile "x" (want local or test)`,
 * MC_EIO when the directory or the database cannot be opened. */
int mc_storage_open(const char *profile, const char *home, struct mc_storage **out, char *err,
                    size_t errlen);
void mc_storage_close(struct mc_storage *s);
/* The names of the profiles, for help texts: "local, test". */
const char *mc_storage_profiles(void);

/* Reads matching records into out (appended; release it). With q->key set and no
 * live record: MC_ENOTFOUND. MC_EINVAL for names or keys past the limits, MC_EIO on
 * a database error. */
int mc_storage_read(struct mc_storage *s, const struct mc_storage_query *q,
                    struct mc_storage_items *out);
/* Inserts or replaces a record. MC_EINVAL past the limits, MC_EIO on error. */
int mc_storage_write(struct mc_storage *s, const char *database, const char *table,
                     const struct mc_storage_record *r);
/*
 * Group commit. mc_storage_write_later() writes like mc_storage_write() but
 * leaves the record in an open transaction (the batch), opened by the first such
 * write; every write-later of the same loop round joins it, so one commit makes
 * many records durable. The record is not durable, and its write must not be
 * acknowledged, until the batch commits: the RPC layer holds or commits the
 * answers of calls made while a batch is open (see mc_rpc_durability in
 * mc_rpc.h). Any other write, delete or blob call made while a batch is open
 * runs inside it and commits it before returning, so a caller of those sees
 * its own change durable as before. Reads see the batch's records.
 *
 * A batch is a reference to the outcome of one transaction: take one with
 * mc_storage_batch_open() (NULL: nothing uncommitted), learn its outcome with
 * mc_storage_batch_commit(), which commits it first when it is still open, and
 * drop it with mc_storage_batch_unref(). On a failed commit the batch is rolled
 * back and every holder of it gets the same error (MC_ENOSPC, MC_EIO ...).
 */
struct mc_storage_batch;
int mc_storage_write_later(struct mc_storage *s, const char *database, const char *table,
                           const struct mc_storage_record *r);
struct mc_storage_batch *mc_storage_batch_open(struct mc_storage *s);
int mc_storage_batch_commit(struct mc_storage *s, struct mc_storage_batch *b);
void mc_storage_batch_unref(struct mc_storage_batch *b);
/* Called when a batch opens, so that the owner of the loop commits it at the end
 * of the round at the latest (the server adds a 0 ms timer). */
typedef void (*mc_storage_batch_hook)(void *arg);
void mc_storage_set_batch_hook(struct mc_storage *s, mc_storage_batch_hook fn, void *arg);
/* Commits the open batch, if any: its outcome, or 0 when none was open. */
int mc_storage_commit(struct mc_storage *s);

/* Removes a record (a missing one is not an error). */
int mc_storage_delete(struct mc_storage *s, const char *database, const char *table,
                      const char *key);
/* Databases, and the tables of a database, that hold live records (keys of out),
 * sorted. Derived from the data: a table whose records are all gone is not listed. */
int mc_storage_databases(struct mc_storage *s, struct mc_storage_items *out);
int mc_storage_tables(struct mc_storage *s, const char *database, struct mc_storage_items *out);
/* Deletes expired records; returns how many, or MC_EIO. */
int mc_storage_purge(struct mc_storage *s);

/* One value by key, for services keeping documents (config, auth): *value is a
 * malloc'd copy (NUL-terminated) or MC_ENOTFOUND. */
int mc_storage_get(struct mc_storage *s, const char *database, const char *table,
                   const char *key, char **value, size_t *len);
int mc_storage_put(struct mc_storage *s, const char *database, const char *table,
                   const char *key, const void *value, size_t len);

/* Blobs by (namespace, key). get: *data malloc'd (NUL-terminated) or MC_ENOTFOUND;
 * keys: the keys with prefix (NULL: all), sorted, as the keys of out. */
int mc_storage_blob_put(struct mc_storage *s, const char *ns, const char *key, const void *data,
                        size_t len);
int mc_storage_blob_get(struct mc_storage *s, const char *ns, const char *key, uint8_t **data,
                        size_t *len);
int mc_storage_blob_delete(struct mc_storage *s, const char *ns, const char *key);
int mc_storage_blob_keys(struct mc_storage *s, const char *ns, const char *prefix,
                         struct mc_storage_items *out);

#endif
