/*
 * `micro store ...`: records of the store service in the current namespace's
 * database (spec §8, §3.2): read, list, write, delete, databases, tables, and
 * snapshot/restore/sync, which upstream lists but leaves as stubs and which
 * here really export a database to a file of JSON lines, import one, and copy
 * a table into another. Outputs, texts and exit codes follow upstream's
 * client/cli/store/ sources, except that --offset is sent as the offset (upstream
 * sends it as a second limit) and `list PREFIX` uses PREFIX without -p.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "builtin_util.h"
#include "cli.h"
#include "commands.h"
#include "mc_common.h"
#include "mc_grpc.h"
#include "output.h"

#include "mc_banned.h"

#define STORE_PAGE 500                       /* records per Store.Read while exporting */
#define STORE_LINE_MAX ((size_t)32 << 20)    /* one snapshot line (record + table) */
#define STORE_VALUE_MAX ((size_t)16 << 20)   /* one value from the command line */

/* ---- formatting (pure: unit-tested on canned responses) ------------------------- */

static int64_t json_int(const cJSON *v)
{
    int64_t n = 0;

    if (cJSON_IsString(v) && mc_parse_i64(v->valuestring, &n) == 0)
        return n;
    if (cJSON_IsNumber(v))
        return (int64_t)v->valuedouble;
    return 0;
}

static const char *json_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

    return cJSON_IsString(v) ? v->valuestring : "";
}

/* The record's value bytes (base64 on the wire). */
static int record_value(const cJSON *r, struct mc_buf *val)
{
    const char *b64 = json_str(r, "value");

    return mc_grpc_base64_decode(val, b64, strlen(b64));
}

static int verbose_row(struct mc_table *t, const cJSON *r)
{
    struct mc_buf val, exp;
    int64_t expiry = json_int(cJSON_GetObjectItemCaseSensitive(r, "expiry"));
    int rc;

    mc_buf_init(&val, STORE_LINE_MAX);
    mc_buf_init(&exp, 128);
    if ((rc = record_value(r, &val)) == 0) {
        const char *v = mc_buf_cstr(&val);
        if (mc_go_has_rune_error(v, val.len)) {
            /* Go's %#x of the first 20 bytes */
            struct mc_buf hex;
            mc_buf_init(&hex, 64);
            mc_buf_append_str(&hex, "0x");
            for (size_t i = 0; i < val.len && i < 20; i++)
                mc_buf_appendf(&hex, "%02x", (unsigned char)v[i]);
            mc_buf_reset(&val);
            mc_buf_append(&val, hex.data, hex.len);
            mc_buf_release(&hex);
        }
        if (expiry == 0)
            mc_buf_append_str(&exp, "None");
        else /* humanize.Time(now + expiry), read a moment later */
            mc_go_humanize_ahead(&exp, expiry * 1000000000 - 1);
        rc = mc_table_printf(t, "%s \t %s \t %s\n", json_str(r, "key"), mc_buf_cstr(&val),
                             mc_buf_cstr(&exp));
    }
    mc_buf_release(&val);
    mc_buf_release(&exp);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* One metadata entry: upstream puts the *store.Field itself in the map, so it
 * marshals as {"type","value"} with omitempty. */
static void json_field(struct mc_buf *out, const cJSON *m)
{
    const char *type = json_str(m, "type"), *value = json_str(m, "value");

    mc_buf_append_str(out, "\n      ");
    mc_go_json_string(out, m->string, strlen(m->string));
    mc_buf_append_str(out, ": {");
    if (*type) {
        mc_buf_append_str(out, "\n        \"type\": ");
        mc_go_json_string(out, type, strlen(type));
        if (*value)
            mc_buf_append_byte(out, ',');
    }
    if (*value) {
        mc_buf_append_str(out, "\n        \"value\": ");
        mc_go_json_string(out, value, strlen(value));
    }
    mc_buf_append_str(out, *type || *value ? "\n      }" : "}");
}

/* One element of encoding/json MarshalIndent(records, "", "  ") of []*store.Record. */
static int json_record(struct mc_buf *out, const cJSON *r)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(r, "metadata"), *m;
    int64_t expiry = json_int(cJSON_GetObjectItemCaseSensitive(r, "expiry"));
    const char *key = json_str(r, "key");
    size_t n = 0, i = 0;

    mc_buf_append_str(out, "  {\n    \"key\": ");
    mc_go_json_string(out, key, strlen(key));
    mc_buf_appendf(out, ",\n    \"value\": \"%s\",\n    \"metadata\": {", json_str(r, "value"));
    cJSON_ArrayForEach(m, md)
        n++;
    const cJSON **items = mc_calloc(n ? n : 1, sizeof(*items));
    cJSON_ArrayForEach(m, md)
        items[i++] = m;
    qsort(items, n, sizeof(*items), by_name); /* Go writes map keys sorted */
    for (i = 0; i < n; i++) {
        if (i > 0)
            mc_buf_append_byte(out, ',');
        json_field(out, items[i]);
    }
    free(items);
    mc_buf_append_str(out, n ? "\n    }" : "}");
    if (expiry != 0) /* time.Duration in nanoseconds, omitempty */
        mc_buf_appendf(out, ",\n    \"expiry\": %lld", (long long)expiry * 1000000000LL);
    return mc_buf_append_str(out, "\n  }");
}

int mc_store_format_records(struct mc_buf *out, const cJSON *records, enum mc_store_out how)
{
    const cJSON *r;
    int rc = 0;

    if (how == MC_STORE_OUT_JSON) {
        if (cJSON_GetArraySize(records) == 0) /* a nil slice */
            return mc_buf_append_str(out, "null\n");
        mc_buf_append_str(out, "[\n");
        cJSON_ArrayForEach(r, records) {
            if (r != records->child)
                mc_buf_append_str(out, ",\n");
            json_record(out, r);
        }
        return mc_buf_append_str(out, "\n]\n");
    }
    if (how == MC_STORE_OUT_VERBOSE) {
        /* upstream: tabwriter.NewWriter(os.Stdout, 0, 0, 1, ' ', 0) */
        struct mc_table *t = mc_table_new(0, 1, ' ', false);
        mc_table_printf(t, "%s \t %s \t %s\n", "KEY", "VALUE", "EXPIRY");
        cJSON_ArrayForEach(r, records)
            if ((rc = verbose_row(t, r)) != 0)
                break;
        if (rc != 0) {
            mc_table_free(t);
            return rc;
        }
        return mc_bi_table_flush(t, out);
    }
    cJSON_ArrayForEach(r, records) {
        struct mc_buf val;
        mc_buf_init(&val, STORE_LINE_MAX);
        if ((rc = record_value(r, &val)) == 0 && (rc = mc_buf_append(out, val.data, val.len)) == 0)
            rc = mc_buf_append_byte(out, '\n');
        mc_buf_release(&val);
        if (rc)
            break;
    }
    return rc;
}

int mc_store_format_keys(struct mc_buf *out, const cJSON *keys, bool json)
{
    const cJSON *k;
    int rc = 0;

    if (json && cJSON_GetArraySize(keys) == 0)
        return mc_buf_append_str(out, "null\n");
    if (json)
        mc_buf_append_str(out, "[\n");
    cJSON_ArrayForEach(k, keys) {
        const char *s = cJSON_IsString(k) ? k->valuestring : "";
        if (json) {
            mc_buf_append_str(out, "  ");
            rc = mc_go_json_string(out, s, strlen(s));
            if (rc == 0)
                rc = mc_buf_append_str(out, k->next ? ",\n" : "\n");
        } else if ((rc = mc_buf_append_str(out, s)) == 0) {
            rc = mc_buf_append_byte(out, '\n');
        }
        if (rc)
            return rc;
    }
    return json ? mc_buf_append_str(out, "]\n") : 0;
}

/* ---- calls --------------------------------------------------------------------------- */

static int write_out(struct mc_cli *cli, struct mc_buf *out)
{
    fwrite(out->data, 1, out->len, cli->out);
    mc_buf_release(out);
    return 0;
}

static cJSON *options(cJSON *req, struct mc_cli *cli, const char *table)
{
    cJSON *o = cJSON_AddObjectToObject(req, "options");

    /* upstream: the database is always the current namespace (-d is ignored) */
    cJSON_AddStringToObject(o, "database", cli->namespace_);
    cJSON_AddStringToObject(o, "table", table);
    return o;
}

/* --limit / --offset: Go's UintFlag rejects what is not a uint */
static bool uint_flag(struct mc_cli *cli, const struct mc_args *a, const char *name,
                      long long *v, int *rc)
{
    *v = mc_args_int(a, name, 0);
    if (*v >= 0)
        return true;
    *rc = mc_bi_fail_text(cli, "invalid value \"%lld\" for flag -%s: parse error", *v, name);
    return false;
}

static void add_paging(cJSON *o, struct mc_cli *cli, const struct mc_args *a, int *rc)
{
    long long limit, offset;

    if (!uint_flag(cli, a, "limit", &limit, rc) || !uint_flag(cli, a, "offset", &offset, rc))
        return;
    if (limit > 0)
        cJSON_AddNumberToObject(o, "limit", (double)limit);
    if (offset > 0) /* upstream passes it as a limit: a bug we do not copy */
        cJSON_AddNumberToObject(o, "offset", (double)offset);
    const char *order = mc_args_str(a, "order");
    if (order && *order)
        cJSON_AddStringToObject(o, "order", strcmp(order, "desc") == 0 ? "desc" : "asc");
}

static int store_read(struct mc_cli *cli, const struct mc_args *a)
{
    const char *key = mc_args_arg(a, 0);
    struct mc_cli_failure f;
    cJSON *rsp = NULL;
    int rc = 0;

    if (!key)
        return mc_bi_fail_text(cli, "Key arg is required");
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "key", key);
    cJSON *o = options(req, cli, mc_args_str(a, "table"));
    if (mc_args_bool(a, "prefix"))
        cJSON_AddBoolToObject(o, "prefix", true);
    if (mc_args_bool(a, "suffix"))
        cJSON_AddBoolToObject(o, "suffix", true);
    add_paging(o, cli, a, &rc);
    if (rc) {
        cJSON_Delete(req);
        return rc;
    }
    mc_cli_failure_init(&f);
    if (mc_bi_call(cli, "store", "Store.Read", req, &rsp, &f) < 0) {
        if (f.kind == MC_CLI_MICRO_ERROR && f.error.code == 404)
            rc = mc_bi_fail_text(cli, "not found");
        else
            rc = mc_bi_fail_plain(cli, &f, "Couldn't read %s from store", key);
    } else {
        const char *how = mc_args_str(a, "output");
        struct mc_buf out;
        mc_buf_init(&out, MC_BI_OUT_MAX);
        mc_store_format_records(&out, cJSON_GetObjectItemCaseSensitive(rsp, "records"),
                                strcmp(how, "json") == 0 ? MC_STORE_OUT_JSON
                                : mc_args_bool(a, "verbose") ? MC_STORE_OUT_VERBOSE
                                                             : MC_STORE_OUT_VALUES);
        write_out(cli, &out);
    }
    cJSON_Delete(req);
    cJSON_Delete(rsp);
    mc_cli_failure_release(&f);
    return rc;
}

/* Joins the value words with spaces, as upstream's strings.Join(Tail(), " "). */
static char *join_value(const struct mc_args *a)
{
    struct mc_buf v;

    mc_buf_init(&v, STORE_VALUE_MAX);
    for (int i = 1; i < a->argc; i++)
        if ((i > 1 && mc_buf_append_byte(&v, ' ') < 0) || mc_buf_append_str(&v, a->argv[i]) < 0) {
            mc_buf_release(&v);
            return NULL;
        }
    mc_buf_append(&v, "", 0);
    return mc_buf_detach(&v, NULL);
}

/* Writes one record (a Store.Write "record" object) to database/table. */
static int put_record(struct mc_cli *cli, const char *db, const char *table, cJSON *record,
                      struct mc_cli_failure *f)
{
    cJSON *req = cJSON_CreateObject(), *rsp = NULL;
    cJSON_AddItemReferenceToObject(req, "record", record);
    cJSON *o = cJSON_AddObjectToObject(req, "options");
    cJSON_AddStringToObject(o, "database", db);
    cJSON_AddStringToObject(o, "table", table);
    int rc = mc_bi_call(cli, "store", "Store.Write", req, &rsp, f);
    cJSON_Delete(req);
    cJSON_Delete(rsp);
    return rc;
}

static int store_write(struct mc_cli *cli, const struct mc_args *a)
{
    const char *expiry = mc_args_str(a, "expiry");
    int64_t ns = 0;
    char err[256];

    if (a->argc < 2)
        return mc_bi_fail_text(cli, "Key and Value args are required");
    if (expiry && *expiry && mc_go_parse_duration(expiry, &ns, err, sizeof(err)) < 0)
        return mc_bi_fail_text(cli, "expiry flag is invalid: %s", err);
    char *value = join_value(a);
    if (!value)
        return mc_bi_fail_text(cli, "value too large: at most %zu bytes", STORE_VALUE_MAX);
    struct mc_buf b64;
    mc_buf_init(&b64, 2 * STORE_VALUE_MAX);
    mc_go_base64(&b64, value, strlen(value));
    free(value);
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "key", mc_args_arg(a, 0));
    cJSON_AddStringToObject(rec, "value", mc_buf_cstr(&b64));
    mc_buf_release(&b64);
    if (ns / 1000000000 != 0) /* int64(d.Seconds()): truncated toward zero */
        cJSON_AddNumberToObject(rec, "expiry", (double)(ns / 1000000000));
    struct mc_cli_failure f;
    int rc = 0;
    mc_cli_failure_init(&f);
    if (put_record(cli, cli->namespace_, mc_args_str(a, "table"), rec, &f) < 0)
        rc = mc_bi_fail_plain(cli, &f, "couldn't write");
    cJSON_Delete(rec);
    mc_cli_failure_release(&f);
    return rc;
}

struct key_list {
    cJSON *keys;
};

static int on_keys(void *ud, const char *json, size_t len)
{
    struct key_list *kl = ud;
    cJSON *msg = cJSON_ParseWithLength(json, len), *k;

    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(msg, "keys"))
        if (cJSON_IsString(k))
            cJSON_AddItemToArray(kl->keys, cJSON_CreateString(k->valuestring));
    cJSON_Delete(msg);
    return 0;
}

static int store_list(struct mc_cli *cli, const struct mc_args *a)
{
    const char *arg = mc_args_arg(a, 0);
    bool prefix = mc_args_bool(a, "prefix"), suffix = mc_args_bool(a, "suffix");
    struct key_list kl = {cJSON_CreateArray()};
    struct mc_cli_failure f;
    int rc = 0;

    cJSON *req = cJSON_CreateObject();
    cJSON *o = options(req, cli, mc_args_str(a, "table"));
    /* upstream needs -p to use the argument; a bare argument is a prefix here */
    if (arg && (prefix || !suffix))
        cJSON_AddStringToObject(o, "prefix", arg);
    if (arg && suffix)
        cJSON_AddStringToObject(o, "suffix", arg);
    add_paging(o, cli, a, &rc);
    char *body = rc ? NULL : cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    if (rc) {
        cJSON_Delete(kl.keys);
        return rc;
    }
    mc_cli_failure_init(&f);
    if (mc_cli_stream(cli, "store", "Store.List", body, NULL, on_keys, &kl, &f) < 0) {
        rc = mc_bi_fail_plain(cli, &f, "couldn't list");
    } else {
        const char *how = mc_args_str(a, "output");
        struct mc_buf out;
        mc_buf_init(&out, MC_BI_OUT_MAX);
        mc_store_format_keys(&out, kl.keys, how && strcmp(how, "json") == 0);
        write_out(cli, &out);
    }
    cJSON_free(body);
    cJSON_Delete(kl.keys);
    mc_cli_failure_release(&f);
    return rc;
}

static int store_delete(struct mc_cli *cli, const struct mc_args *a)
{
    const char *key = mc_args_arg(a, 0);
    struct mc_cli_failure f;
    cJSON *rsp = NULL;
    int rc = 0;

    if (!key)
        return mc_bi_fail_text(cli, "key is required");
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "key", key);
    options(req, cli, mc_args_str(a, "table"));
    mc_cli_failure_init(&f);
    if (mc_bi_call(cli, "store", "Store.Delete", req, &rsp, &f) < 0)
        rc = mc_bi_fail_plain(cli, &f, "couldn't delete key %s", key);
    cJSON_Delete(req);
    cJSON_Delete(rsp);
    mc_cli_failure_release(&f);
    return rc;
}

/* Prints the strings of rsp[field], one a line (databases, tables). */
static int print_names(struct mc_cli *cli, const char *service, const char *endpoint,
                       cJSON *req, const char *field)
{
    struct mc_cli_failure f;
    cJSON *rsp = NULL, *n;
    int rc = 0;

    mc_cli_failure_init(&f);
    if (mc_bi_call(cli, service, endpoint, req, &rsp, &f) < 0) {
        rc = mc_bi_fail_plain(cli, &f, NULL);
    } else {
        cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(rsp, field))
            if (cJSON_IsString(n))
                fprintf(cli->out, "%s\n", n->valuestring);
    }
    cJSON_Delete(req);
    cJSON_Delete(rsp);
    mc_cli_failure_release(&f);
    return rc;
}

static int store_databases(struct mc_cli *cli, const struct mc_args *a)
{
    return print_names(cli, mc_args_str(a, "store"), "Store.Databases", cJSON_CreateObject(),
                       "databases");
}

static int store_tables(struct mc_cli *cli, const struct mc_args *a)
{
    cJSON *req = cJSON_CreateObject();

    /* upstream asks for the current namespace's tables whatever -d says */
    cJSON_AddStringToObject(req, "database", cli->namespace_);
    return print_names(cli, mc_args_str(a, "store"), "Store.Tables", req, "tables");
}

/* ---- snapshot / restore / sync ------------------------------------------------------ */

/* "file:///tmp/x" or a plain path → the path. */
static const char *file_path(const char *url)
{
    return strncmp(url, "file://", 7) == 0 ? url + 7 : url;
}

/* Calls fn for every record of db/table, in key order, a page at a time. */
typedef int record_fn(void *ud, const char *table, cJSON *record);
static int each_record(struct mc_cli *cli, const char *db, const char *table, record_fn *fn,
                       void *ud, struct mc_cli_failure *f)
{
    for (long long offset = 0;; offset += STORE_PAGE) {
        cJSON *req = cJSON_CreateObject(), *rsp = NULL, *r;
        cJSON_AddStringToObject(req, "key", "");
        cJSON *o = cJSON_AddObjectToObject(req, "options");
        cJSON_AddStringToObject(o, "database", db);
        cJSON_AddStringToObject(o, "table", table);
        cJSON_AddBoolToObject(o, "prefix", true);
        cJSON_AddNumberToObject(o, "limit", STORE_PAGE);
        cJSON_AddNumberToObject(o, "offset", (double)offset);
        int rc = mc_bi_call(cli, "store", "Store.Read", req, &rsp, f);
        cJSON_Delete(req);
        if (rc < 0)
            return -1;
        int n = 0;
        cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(rsp, "records")) {
            n++;
            if ((rc = fn(ud, table, r)) != 0)
                break;
        }
        cJSON_Delete(rsp);
        if (rc != 0)
            return rc;
        if (n < STORE_PAGE)
            return 0;
    }
}

/* The tables to export: --table, else every table of the database. */
static cJSON *tables_of(struct mc_cli *cli, const char *db, const char *table,
                        struct mc_cli_failure *f)
{
    cJSON *list = cJSON_CreateArray(), *rsp = NULL, *t;

    if (table && *table) {
        cJSON_AddItemToArray(list, cJSON_CreateString(table));
        return list;
    }
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "database", db);
    int rc = mc_bi_call(cli, "store", "Store.Tables", req, &rsp, f);
    cJSON_Delete(req);
    if (rc < 0) {
        cJSON_Delete(list);
        return NULL;
    }
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(rsp, "tables"))
        if (cJSON_IsString(t))
            cJSON_AddItemToArray(list, cJSON_CreateString(t->valuestring));
    cJSON_Delete(rsp);
    return list;
}

static int snapshot_line(void *ud, const char *table, cJSON *record)
{
    FILE *out = ud;
    cJSON *line = cJSON_CreateObject();

    cJSON_AddStringToObject(line, "table", table);
    cJSON_AddItemReferenceToObject(line, "record", record);
    char *text = cJSON_PrintUnformatted(line);
    cJSON_Delete(line);
    int rc = fprintf(out, "%s\n", text) < 0 ? -1 : 0;
    cJSON_free(text);
    return rc;
}

static const char *db_flag(struct mc_cli *cli, const struct mc_args *a, const char *name)
{
    const char *db = mc_args_str(a, name);

    return db && *db ? db : cli->namespace_;
}

static int store_snapshot(struct mc_cli *cli, const struct mc_args *a)
{
    const char *db = db_flag(cli, a, "database");
    const char *path = file_path(mc_args_str(a, "destination"));
    struct mc_cli_failure f;
    int rc = 0;

    mc_cli_failure_init(&f);
    cJSON *tables = tables_of(cli, db, mc_args_str(a, "table"), &f), *t;
    if (!tables) {
        rc = mc_bi_fail_plain(cli, &f, "couldn't list the tables of %s", db);
        mc_cli_failure_release(&f);
        return rc;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!out) {
        rc = mc_bi_fail_text(cli, "cannot create '%s': %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        cJSON_Delete(tables);
        return rc;
    }
    cJSON_ArrayForEach(t, tables) {
        int r = each_record(cli, db, t->valuestring, snapshot_line, out, &f);
        if (r < 0 && f.kind != MC_CLI_OK) {
            rc = mc_bi_fail_plain(cli, &f, "couldn't read table %s", t->valuestring);
            break;
        }
        if (r != 0) {
            rc = mc_bi_fail_text(cli, "cannot write '%s': %s", path, strerror(errno));
            break;
        }
    }
    if (fclose(out) != 0 && rc == 0)
        rc = mc_bi_fail_text(cli, "cannot write '%s': %s", path, strerror(errno));
    cJSON_Delete(tables);
    mc_cli_failure_release(&f);
    return rc;
}

/* Restores one snapshot line; 0, or the exit code after reporting. */
static int restore_line(struct mc_cli *cli, const struct mc_args *a, const char *line,
                        size_t lineno)
{
    cJSON *obj = cJSON_Parse(line);
    cJSON *rec = cJSON_GetObjectItemCaseSensitive(obj, "record");
    const char *table = mc_args_str(a, "table");
    struct mc_cli_failure f;
    int rc = 0;

    if (!table || !*table)
        table = json_str(obj, "table");
    if (!cJSON_IsObject(rec) || !*table) {
        cJSON_Delete(obj);
        return mc_bi_fail_text(cli, "invalid snapshot: line %zu is not a record", lineno);
    }
    mc_cli_failure_init(&f);
    if (put_record(cli, db_flag(cli, a, "database"), table, rec, &f) < 0)
        rc = mc_bi_fail_plain(cli, &f, "couldn't write");
    mc_cli_failure_release(&f);
    cJSON_Delete(obj);
    return rc;
}

static int store_restore(struct mc_cli *cli, const struct mc_args *a)
{
    const char *path = file_path(mc_args_str(a, "source"));
    FILE *in = fopen(path, "re");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int rc = 0;

    if (!in)
        return mc_bi_fail_text(cli, "cannot open '%s': %s", path, strerror(errno));
    while (rc == 0 && (n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        if ((size_t)n > STORE_LINE_MAX) {
            rc = mc_bi_fail_text(cli, "invalid snapshot: line %zu is too long", lineno);
            break;
        }
        if (n <= 1)
            continue;
        rc = restore_line(cli, a, line, lineno);
    }
    free(line);
    fclose(in);
    return rc;
}

struct sync_target {
    struct mc_cli *cli;
    const char *db, *table;
    struct mc_cli_failure *f;
};

static int sync_record(void *ud, const char *table, cJSON *record)
{
    struct sync_target *t = ud;

    (void)table;
    return put_record(t->cli, t->db, t->table, record, t->f) < 0 ? 1 : 0;
}

static int store_sync(struct mc_cli *cli, const struct mc_args *a)
{
    struct mc_cli_failure f;
    struct sync_target to = {cli, db_flag(cli, a, "to-database"), mc_args_str(a, "to-table"), &f};
    const char *from_db = db_flag(cli, a, "from-database");
    const char *from_table = mc_args_str(a, "from-table");
    int rc = 0;

    if (strcmp(from_db, to.db) == 0 && strcmp(from_table, to.table) == 0)
        return mc_bi_fail_text(cli, "the source and the destination are the same store");
    mc_cli_failure_init(&f);
    int r = each_record(cli, from_db, from_table, sync_record, &to, &f);
    if (r < 0)
        rc = mc_bi_fail_plain(cli, &f, "from: couldn't read %s/%s", from_db, from_table);
    else if (r > 0)
        rc = mc_bi_fail_plain(cli, &f, "to: couldn't write %s/%s", to.db, to.table);
    mc_cli_failure_release(&f);
    return rc;
}

/* ---- the table -------------------------------------------------------------------------- */

#define DB_FLAG(use) {"database", "d", MC_FLAG_STRING, "micro", use, NULL}
#define TABLE_FLAG(use) {"table", "t", MC_FLAG_STRING, "micro", use, NULL}
#define PAGING_FLAGS(what)                                                                   \
    {"prefix", "p", MC_FLAG_BOOL, NULL, what " prefix", NULL},                               \
    {"suffix", "s", MC_FLAG_BOOL, NULL, what " suffix", NULL},                               \
    {"limit", "l", MC_FLAG_INT, NULL, "list limit", NULL},                                   \
    {"offset", "o", MC_FLAG_INT, NULL, "list offset", NULL},                                 \
    {"order", NULL, MC_FLAG_STRING, NULL, "the key order: asc or desc", NULL}

static const struct mc_flag read_flags[] = {
    DB_FLAG("database to write to"),
    TABLE_FLAG("table to write to"),
    PAGING_FLAGS("read"),
    {"verbose", "v", MC_FLAG_BOOL, NULL, "show keys and headers (only values shown by default)",
     NULL},
    {"output", NULL, MC_FLAG_STRING, "table", "output format (json, table)", NULL},
    {0},
};

static const struct mc_flag list_flags[] = {
    DB_FLAG("database to list from"),
    TABLE_FLAG("table to write to"),
    {"output", NULL, MC_FLAG_STRING, NULL, "output format (json)", NULL},
    PAGING_FLAGS("list"),
    {0},
};

static const struct mc_flag write_flags[] = {
    {"expiry", "e", MC_FLAG_STRING, NULL, "expiry in time.ParseDuration format", NULL},
    DB_FLAG("database to write to"),
    TABLE_FLAG("table to write to"),
    {0},
};

static const struct mc_flag delete_flags[] = {
    {"database", NULL, MC_FLAG_STRING, "micro", "database to delete from", NULL},
    {"table", NULL, MC_FLAG_STRING, "micro", "table to delete from", NULL},
    {0},
};

static const struct mc_flag databases_flags[] = {
    {"store", NULL, MC_FLAG_STRING, "store", "store service to call", NULL},
    {0},
};

static const struct mc_flag tables_flags[] = {
    {"store", NULL, MC_FLAG_STRING, "store", "store service to call", NULL},
    DB_FLAG("database to list tables of"),
    {0},
};

static const struct mc_flag snapshot_flags[] = {
    {"database", NULL, MC_FLAG_STRING, NULL,
     "Database to back up (default: the current namespace)", "MICRO_STORE_DATABASE"},
    {"table", NULL, MC_FLAG_STRING, NULL, "Table to back up (default: every table)",
     "MICRO_STORE_TABLE"},
    {"destination", NULL, MC_FLAG_STRING, "file:///tmp/store-snapshot", "Backup destination",
     "MICRO_SNAPSHOT_DESTINATION"},
    {0},
};

static const struct mc_flag restore_flags[] = {
    {"database", NULL, MC_FLAG_STRING, NULL,
     "Database to restore into (default: the current namespace)", "MICRO_STORE_DATABASE"},
    {"table", NULL, MC_FLAG_STRING, NULL,
     "Table to restore into (default: each record's table in the snapshot)",
     "MICRO_STORE_TABLE"},
    {"source", NULL, MC_FLAG_STRING, "file:///tmp/store-snapshot", "Backup source", NULL},
    {0},
};

static const struct mc_flag sync_flags[] = {
    {"from-database", NULL, MC_FLAG_STRING, NULL,
     "Database to copy from (default: the current namespace)", NULL},
    {"from-table", NULL, MC_FLAG_STRING, "micro", "Table to copy from", NULL},
    {"to-database", NULL, MC_FLAG_STRING, NULL,
     "Database to copy into (default: the current namespace)", NULL},
    {"to-table", NULL, MC_FLAG_STRING, "micro", "Table to copy into", NULL},
    {0},
};

static const struct mc_cmd store_read_cmd = {
    .name = "read",
    .summary = "read a record from the store",
    .args_usage = "key",
    .flags = read_flags,
    .run = store_read,
    .max_args = -1,
};

static const struct mc_cmd store_list_cmd = {
    .name = "list",
    .summary = "list all keys from a store",
    .args_usage = "[prefix]",
    .flags = list_flags,
    .run = store_list,
    .max_args = -1,
};

static const struct mc_cmd store_write_cmd = {
    .name = "write",
    .summary = "write a record to the store",
    .args_usage = "key value",
    .flags = write_flags,
    .run = store_write,
    .max_args = -1,
};

static const struct mc_cmd store_delete_cmd = {
    .name = "delete",
    .summary = "delete a key from the store",
    .args_usage = "key",
    .flags = delete_flags,
    .run = store_delete,
    .max_args = -1,
};

static const struct mc_cmd store_databases_cmd = {
    .name = "databases",
    .summary = "List all databases known to the store service",
    .flags = databases_flags,
    .run = store_databases,
    .max_args = -1,
};

static const struct mc_cmd store_tables_cmd = {
    .name = "tables",
    .summary = "List all tables in the specified database known to the store service",
    .flags = tables_flags,
    .run = store_tables,
    .max_args = -1,
};

static const struct mc_cmd store_snapshot_cmd = {
    .name = "snapshot",
    .summary = "Back up a store",
    .description = "Writes every record of a database (or of one --table) to the destination "
                   "file, one JSON line per record.",
    .flags = snapshot_flags,
    .run = store_snapshot,
    .max_args = 0,
};

static const struct mc_cmd store_sync_cmd = {
    .name = "sync",
    .summary = "Copy all records of one store into another store",
    .description = "Copies every record of --from-database/--from-table into "
                   "--to-database/--to-table on the same server.",
    .flags = sync_flags,
    .run = store_sync,
    .max_args = 0,
};

static const struct mc_cmd store_restore_cmd = {
    .name = "restore",
    .summary = "restore a store snapshot",
    .description = "Writes the records of a snapshot file back, into each record's table "
                   "unless --table is given.",
    .flags = restore_flags,
    .run = store_restore,
    .max_args = 0,
};

static const struct mc_cmd *const store_subs[] = {
    &store_read_cmd,     &store_list_cmd,     &store_write_cmd, &store_delete_cmd,
    &store_databases_cmd, &store_tables_cmd, &store_snapshot_cmd, &store_sync_cmd,
    &store_restore_cmd,  NULL,
};

const struct mc_cmd mc_cmd_store = {
    .name = "store",
    .summary = "Commands for accessing the store",
    .subs = store_subs,
    .max_args = -1,
};
