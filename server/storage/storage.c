/* The storage layer on sqlite3: see storage.h. Keys are stored as BLOBs so that
 * comparison, prefix ranges and suffixes all work on bytes; a prefix read is an
 * index range scan (key >= prefix AND key < successor(prefix)) on the primary key. */
#include "storage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "mc_log.h"
#include "mc_banned.h"

enum stmt {
    S_EXACT, S_RANGE_ASC, S_RANGE_DESC, S_WRITE, S_DELETE, S_DATABASES, S_TABLES, S_PURGE,
    S_BLOB_PUT, S_BLOB_GET, S_BLOB_DELETE, S_BLOB_KEYS, S_COUNT
};

#define LIVE "(expiry = 0 OR expiry > ?5)"
#define SUFFIX "(length(?6) = 0 OR (length(key) >= length(?6) AND " \
               "substr(key, length(key) - length(?6) + 1) = ?6))"
#define RANGE "SELECT key, value, metadata, expiry FROM records WHERE db = ?1 AND tbl = ?2 " \
              "AND key >= ?3 AND (?4 IS NULL OR key < ?4) AND " LIVE " AND " SUFFIX

static const char *const sql[S_COUNT] = {
    [S_EXACT] = "SELECT key, value, metadata, expiry FROM records WHERE db = ?1 AND tbl = ?2 "
                "AND key = ?3 AND " LIVE,
    [S_RANGE_ASC] = RANGE " ORDER BY key ASC LIMIT ?7 OFFSET ?8",
    [S_RANGE_DESC] = RANGE " ORDER BY key DESC LIMIT ?7 OFFSET ?8",
    [S_WRITE] = "INSERT OR REPLACE INTO records (db, tbl, key, value, metadata, expiry) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_DELETE] = "DELETE FROM records WHERE db = ?1 AND tbl = ?2 AND key = ?3",
    [S_DATABASES] = "SELECT DISTINCT db FROM records WHERE expiry = 0 OR expiry > ?1 "
                    "ORDER BY db",
    [S_TABLES] = "SELECT DISTINCT tbl FROM records WHERE db = ?1 AND "
                 "(expiry = 0 OR expiry > ?2) ORDER BY tbl",
    [S_PURGE] = "DELETE FROM records WHERE expiry != 0 AND expiry <= ?1",
    [S_BLOB_PUT] = "INSERT OR REPLACE INTO blobs (ns, key, data) VALUES (?1, ?2, ?3)",
    [S_BLOB_GET] = "SELECT data FROM blobs WHERE ns = ?1 AND key = ?2",
    [S_BLOB_DELETE] = "DELETE FROM blobs WHERE ns = ?1 AND key = ?2",
    [S_BLOB_KEYS] = "SELECT key FROM blobs WHERE ns = ?1 AND key >= ?2 AND "
                    "(?3 IS NULL OR key < ?3) ORDER BY key",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS records ("
    " db TEXT NOT NULL, tbl TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,"
    " metadata TEXT, expiry INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (db, tbl, key)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS records_expiry ON records (expiry) WHERE expiry != 0;"
    "CREATE TABLE IF NOT EXISTS blobs ("
    " ns TEXT NOT NULL, key BLOB NOT NULL, data BLOB NOT NULL,"
    " PRIMARY KEY (ns, key)) WITHOUT ROWID;";

/* The outcome of one transaction of write-laters (see storage.h). */
struct mc_storage_batch {
    unsigned refs;
    bool open;               /* still the storage's open transaction */
    int rc;                  /* once closed: 0 committed, else why not */
};

struct mc_storage {
    sqlite3 *db;
    sqlite3_stmt *st[S_COUNT];
    struct mc_storage_batch *batch;   /* the open one (the storage holds a reference) */
    mc_storage_batch_hook on_batch;
    void *on_batch_arg;
};

const char *mc_storage_profiles(void)
{
    return "local, test";
}

/* ---- opening ------------------------------------------------------------------------ */

static int make_dir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0700) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
        return MC_EIO;
    }
    return MC_OK;
}

int mc_storage_open(const char *profile, const char *home, struct mc_storage **out, char *err,
                    size_t errlen)
{
    struct mc_storage *s;
    char dir[4096], path[4200];
    char *msg = NULL;

    *out = NULL;
    if (strcmp(profile, "local") == 0) {
        snprintf(dir, sizeof(dir), "%s/store", home);
        if (make_dir(dir, err, errlen) < 0)
            return MC_EIO;
        /* sqlite says only "unable to open database file" on a read-only disk */
        if (access(dir, W_OK) < 0) {
            snprintf(err, errlen, "cannot write in '%s': %s", dir, strerror(errno));
            return errno == EROFS ? MC_EROFS : MC_EIO;
        }
        snprintf(path, sizeof(path), "%s/store.db", dir);
    } else if (strcmp(profile, "test") == 0) {
        snprintf(path, sizeof(path), ":memory:");
    } else {
        snprintf(err, errlen, "unknown profile \"%s\" (want local or test)", profile);
        return MC_EINVAL;
    }
    s = mc_calloc(1, sizeof(*s));
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                          SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                            "PRAGMA busy_timeout=5000;", NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open the store '%s': %s", path,
                 msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        mc_storage_close(s);
        return MC_EIO;
    }
    if (strcmp(profile, "local") == 0)
        chmod(path, 0600);
    *out = s;
    return MC_OK;
}

void mc_storage_close(struct mc_storage *s)
{
    if (!s)
        return;
    (void)mc_storage_commit(s);
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    free(s);
}

/* The cached statement, reset and ready to bind; NULL on a prepare error. */
static sqlite3_stmt *stmt(struct mc_storage *s, enum stmt which)
{
    if (!s->st[which] &&
        sqlite3_prepare_v3(s->db, sql[which], -1, SQLITE_PREPARE_PERSISTENT, &s->st[which],
                           NULL) != SQLITE_OK) {
        mc_log_error("store: cannot prepare a statement: %s", sqlite3_errmsg(s->db));
        return NULL;
    }
    sqlite3_reset(s->st[which]);
    sqlite3_clear_bindings(s->st[which]);
    return s->st[which];
}

static void batch_close(struct mc_storage *s, int rc);

/* Logs sqlite's message; a full disk and a read-only file get codes of their
 * own, so the user reads why rather than "i/o error". */
static int db_error(struct mc_storage *s, sqlite3_stmt *q)
{
    int code = sqlite3_errcode(s->db) & 0xff;
    int rc = code == SQLITE_FULL ? MC_ENOSPC : code == SQLITE_READONLY ? MC_EROFS : MC_EIO;

    mc_log_error("store: %s", sqlite3_errmsg(s->db));
    if (q)
        sqlite3_reset(q);
    /* some errors roll the whole transaction back: the batch's records are gone */
    if (s->batch && sqlite3_get_autocommit(s->db))
        batch_close(s, rc);
    return rc;
}

/* ---- group commit ----------------------------------------------------------------------- */

void mc_storage_set_batch_hook(struct mc_storage *s, mc_storage_batch_hook fn, void *arg)
{
    s->on_batch = fn;
    s->on_batch_arg = arg;
}

void mc_storage_batch_unref(struct mc_storage_batch *b)
{
    if (b && --b->refs == 0)
        free(b);
}

static void batch_close(struct mc_storage *s, int rc)
{
    struct mc_storage_batch *b = s->batch;

    s->batch = NULL;
    b->open = false;
    b->rc = rc;
    mc_storage_batch_unref(b);
}

static int batch_begin(struct mc_storage *s)
{
    if (s->batch)
        return MC_OK;
    if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return db_error(s, NULL);
    s->batch = mc_calloc(1, sizeof(*s->batch));
    s->batch->refs = 1;
    s->batch->open = true;
    if (s->on_batch)
        s->on_batch(s->on_batch_arg);
    return MC_OK;
}

int mc_storage_commit(struct mc_storage *s)
{
    int rc = MC_OK;

    if (!s->batch)
        return MC_OK;
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_error(s, NULL);
        if (!s->batch)
            return rc;                 /* sqlite rolled it back itself */
        if (!sqlite3_get_autocommit(s->db))
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
    batch_close(s, rc);
    return rc;
}

struct mc_storage_batch *mc_storage_batch_open(struct mc_storage *s)
{
    if (!s->batch)
        return NULL;
    s->batch->refs++;
    return s->batch;
}

int mc_storage_batch_commit(struct mc_storage *s, struct mc_storage_batch *b)
{
    if (b->open)
        (void)mc_storage_commit(s);    /* an open batch is always s->batch */
    return b->rc;
}

/* After a change that must be durable when its call returns: a batch it ran
 * inside commits now, and a failed commit is the change's failure too. */
static int settle(struct mc_storage *s, int rc)
{
    int committed = mc_storage_commit(s);
    return rc < 0 ? rc : committed;
}

/* ---- helpers -------------------------------------------------------------------------- */

static const char *name_or_default(const char *name)
{
    return name && *name ? name : MC_STORAGE_DEFAULT;
}

static bool name_ok(const char *name)
{
    return strlen(name_or_default(name)) < MC_STORAGE_NAME_MAX;
}

static void bind_key(sqlite3_stmt *q, int i, const char *key)
{
    sqlite3_bind_blob(q, i, key, (int)strlen(key), SQLITE_STATIC);
}

/* Binds the smallest key greater than every key with this prefix, or NULL when none
 * exists (an empty prefix or one made only of 0xff bytes). buf holds the bytes. */
static void bind_successor(sqlite3_stmt *q, int i, const char *prefix, char *buf)
{
    size_t n = strlen(prefix);

    memcpy(buf, prefix, n);
    while (n > 0 && (unsigned char)buf[n - 1] == 0xff)
        n--;
    if (n == 0) {
        sqlite3_bind_null(q, i);
        return;
    }
    buf[n - 1] = (char)((unsigned char)buf[n - 1] + 1);
    sqlite3_bind_blob(q, i, buf, (int)n, SQLITE_STATIC);
}

static char *column_dup(sqlite3_stmt *q, int col, size_t *len)
{
    const void *p = sqlite3_column_blob(q, col);
    size_t n = (size_t)sqlite3_column_bytes(q, col);
    char *out = mc_malloc(n + 1);

    if (n)
        memcpy(out, p, n);
    out[n] = '\0';
    if (len)
        *len = n;
    return out;
}

static struct mc_storage_item *items_push(struct mc_storage_items *items)
{
    /* capacity 8, then doubling: it is full exactly when n is 8, 16, 32 ... */
    if (items->n == 0 || (items->n >= 8 && (items->n & (items->n - 1)) == 0)) {
        size_t cap = items->n ? items->n * 2 : 8;
        items->v = mc_realloc(items->v, cap * sizeof(*items->v));
    }
    memset(&items->v[items->n], 0, sizeof(items->v[0]));
    return &items->v[items->n++];
}

void mc_storage_items_release(struct mc_storage_items *items)
{
    for (size_t i = 0; i < items->n; i++) {
        free(items->v[i].key);
        free(items->v[i].value);
        free(items->v[i].metadata);
    }
    free(items->v);
    items->v = NULL;
    items->n = 0;
}

/* Collects rows of (key, value, metadata, expiry) into out. */
static int collect(struct mc_storage *s, sqlite3_stmt *q, bool keys_only,
                   struct mc_storage_items *out)
{
    int rc;

    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct mc_storage_item *it = items_push(out);
        it->key = column_dup(q, 0, NULL);
        if (sqlite3_column_count(q) > 1) {
            it->expiry = sqlite3_column_int64(q, 3);
            if (!keys_only) {
                it->value = (uint8_t *)column_dup(q, 1, &it->value_len);
                if (sqlite3_column_type(q, 2) != SQLITE_NULL)
                    it->metadata = column_dup(q, 2, NULL);
            }
        }
    }
    if (rc != SQLITE_DONE)
        return db_error(s, q);
    sqlite3_reset(q);
    return MC_OK;
}

/* ---- records -------------------------------------------------------------------------- */

int mc_storage_read(struct mc_storage *s, const struct mc_storage_query *qr,
                    struct mc_storage_items *out)
{
    const char *prefix = qr->prefix ? qr->prefix : "";
    const char *suffix = qr->suffix ? qr->suffix : "";
    char succ[MC_STORAGE_KEY_MAX];
    sqlite3_stmt *q;
    size_t before = out->n;
    int64_t limit;
    int rc;

    if (!name_ok(qr->database) || !name_ok(qr->table) ||
        (qr->key && strlen(qr->key) > MC_STORAGE_KEY_MAX) || strlen(prefix) > MC_STORAGE_KEY_MAX ||
        strlen(suffix) > MC_STORAGE_KEY_MAX)
        return MC_EINVAL;
    q = stmt(s, qr->key ? S_EXACT : qr->desc ? S_RANGE_DESC : S_RANGE_ASC);
    if (!q)
        return MC_EIO;
    sqlite3_bind_text(q, 1, name_or_default(qr->database), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, name_or_default(qr->table), -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 5, mc_unix_time());
    if (qr->key) {
        bind_key(q, 3, qr->key);
    } else {
        bind_key(q, 3, prefix);
        bind_successor(q, 4, prefix, succ);
        bind_key(q, 6, suffix);
        limit = qr->limit == 0 || qr->limit > MC_STORAGE_RESULTS_MAX ? MC_STORAGE_RESULTS_MAX
                                                                      : (int64_t)qr->limit;
        sqlite3_bind_int64(q, 7, limit);
        sqlite3_bind_int64(q, 8, qr->offset > INT64_MAX ? INT64_MAX : (int64_t)qr->offset);
    }
    rc = collect(s, q, qr->keys_only, out);
    if (rc == MC_OK && qr->key && out->n == before)
        return MC_ENOTFOUND;
    return rc;
}

static int write_record(struct mc_storage *s, const char *database, const char *table,
                        const struct mc_storage_record *r)
{
    sqlite3_stmt *q;

    if (!name_ok(database) || !name_ok(table) || !r->key || strlen(r->key) > MC_STORAGE_KEY_MAX ||
        r->value_len > MC_STORAGE_VALUE_MAX)
        return MC_EINVAL;
    if (!(q = stmt(s, S_WRITE)))
        return MC_EIO;
    sqlite3_bind_text(q, 1, name_or_default(database), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, name_or_default(table), -1, SQLITE_STATIC);
    bind_key(q, 3, r->key);
    sqlite3_bind_blob(q, 4, r->value_len ? r->value : "", (int)r->value_len, SQLITE_STATIC);
    if (r->metadata)
        sqlite3_bind_text(q, 5, r->metadata, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 6, r->expiry);
    if (sqlite3_step(q) != SQLITE_DONE)
        return db_error(s, q);
    sqlite3_reset(q);
    return MC_OK;
}

int mc_storage_write(struct mc_storage *s, const char *database, const char *table,
                     const struct mc_storage_record *r)
{
    return settle(s, write_record(s, database, table, r));
}

int mc_storage_write_later(struct mc_storage *s, const char *database, const char *table,
                           const struct mc_storage_record *r)
{
    int rc = batch_begin(s);
    return rc < 0 ? rc : write_record(s, database, table, r);
}

int mc_storage_delete(struct mc_storage *s, const char *database, const char *table,
                      const char *key)
{
    sqlite3_stmt *q;

    if (!name_ok(database) || !name_ok(table) || strlen(key) > MC_STORAGE_KEY_MAX)
        return MC_EINVAL;
    if (!(q = stmt(s, S_DELETE)))
        return MC_EIO;
    sqlite3_bind_text(q, 1, name_or_default(database), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, name_or_default(table), -1, SQLITE_STATIC);
    bind_key(q, 3, key);
    if (sqlite3_step(q) != SQLITE_DONE)
        return settle(s, db_error(s, q));
    sqlite3_reset(q);
    return settle(s, MC_OK);
}

int mc_storage_databases(struct mc_storage *s, struct mc_storage_items *out)
{
    sqlite3_stmt *q = stmt(s, S_DATABASES);

    if (!q)
        return MC_EIO;
    sqlite3_bind_int64(q, 1, mc_unix_time());
    return collect(s, q, true, out);
}

int mc_storage_tables(struct mc_storage *s, const char *database, struct mc_storage_items *out)
{
    sqlite3_stmt *q;

    if (!name_ok(database))
        return MC_EINVAL;
    if (!(q = stmt(s, S_TABLES)))
        return MC_EIO;
    sqlite3_bind_text(q, 1, name_or_default(database), -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, mc_unix_time());
    return collect(s, q, true, out);
}

int mc_storage_purge(struct mc_storage *s)
{
    sqlite3_stmt *q = stmt(s, S_PURGE);
    int n, rc;

    if (!q)
        return MC_EIO;
    sqlite3_bind_int64(q, 1, mc_unix_time());
    if (sqlite3_step(q) != SQLITE_DONE)
        return settle(s, db_error(s, q));
    sqlite3_reset(q);
    n = sqlite3_changes(s->db);
    rc = settle(s, MC_OK);
    return rc < 0 ? rc : n;
}

int mc_storage_get(struct mc_storage *s, const char *database, const char *table,
                   const char *key, char **value, size_t *len)
{
    struct mc_storage_items items = { 0 };
    struct mc_storage_query q = { .database = database, .table = table, .key = key };
    int rc = mc_storage_read(s, &q, &items);

    *value = NULL;
    if (rc == MC_OK) {
        *value = (char *)items.v[0].value;
        if (len)
            *len = items.v[0].value_len;
        items.v[0].value = NULL;
    }
    mc_storage_items_release(&items);
    return rc;
}

int mc_storage_put(struct mc_storage *s, const char *database, const char *table,
                   const char *key, const void *value, size_t len)
{
    struct mc_storage_record r = { .key = key, .value = value, .value_len = len };
    return mc_storage_write(s, database, table, &r);
}

/* ---- blobs ------------------------------------------------------------------------------ */

static bool blob_args_ok(const char *ns, const char *key)
{
    return name_ok(ns) && key && strlen(key) <= MC_STORAGE_KEY_MAX;
}

int mc_storage_blob_put(struct mc_storage *s, const char *ns, const char *key, const void *data,
                        size_t len)
{
    sqlite3_stmt *q;

    if (!blob_args_ok(ns, key) || len > MC_STORAGE_VALUE_MAX)
        return MC_EINVAL;
    if (!(q = stmt(s, S_BLOB_PUT)))
        return MC_EIO;
    sqlite3_bind_text(q, 1, name_or_default(ns), -1, SQLITE_STATIC);
    bind_key(q, 2, key);
    sqlite3_bind_blob(q, 3, len ? data : "", (int)len, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE)
        return settle(s, db_error(s, q));
    sqlite3_reset(q);
    return settle(s, MC_OK);
}

int mc_storage_blob_get(struct mc_storage *s, const char *ns, const char *key, uint8_t **data,
                        size_t *len)
{
    sqlite3_stmt *q;
    int rc;

    *data = NULL;
    if (!blob_args_ok(ns, key))
        return MC_EINVAL;
    if (!(q = stmt(s, S_BLOB_GET)))
        return MC_EIO;
    sqlite3_bind_text(q, 1, name_or_default(ns), -1, SQLITE_STATIC);
    bind_key(q, 2, key);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *data = (uint8_t *)column_dup(q, 0, len);
        sqlite3_reset(q);
        return MC_OK;
    }
    if (rc != SQLITE_DONE)
        return db_error(s, q);
    sqlite3_reset(q);
    return MC_ENOTFOUND;
}

int mc_storage_blob_delete(struct mc_storage *s, const char *ns, const char *key)
{
    sqlite3_stmt *q;

    if (!blob_args_ok(ns, key))
        return MC_EINVAL;
    if (!(q = stmt(s, S_BLOB_DELETE)))
        return MC_EIO;
    sqlite3_bind_text(q, 1, name_or_default(ns), -1, SQLITE_STATIC);
    bind_key(q, 2, key);
    if (sqlite3_step(q) != SQLITE_DONE)
        return settle(s, db_error(s, q));
    sqlite3_reset(q);
    return settle(s, MC_OK);
}

int mc_storage_blob_keys(struct mc_storage *s, const char *ns, const char *prefix,
                         struct mc_storage_items *out)
{
    char succ[MC_STORAGE_KEY_MAX];
    sqlite3_stmt *q;

    prefix = prefix ? prefix : "";
    if (!blob_args_ok(ns, prefix))
        return MC_EINVAL;
    if (!(q = stmt(s, S_BLOB_KEYS)))
        return MC_EIO;
    sqlite3_bind_text(q, 1, name_or_default(ns), -1, SQLITE_STATIC);
    bind_key(q, 2, prefix);
    bind_successor(q, 3, prefix, succ);
    return collect(s, q, true, out);
}
