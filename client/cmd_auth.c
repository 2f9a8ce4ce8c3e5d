/*
 * `micro auth list|create|delete|update`: the auth service's rules, accounts
 * and tokens in the current namespace (spec §6). Tables, texts and exit codes
 * follow upstream's client/cli/auth (cli.go, rules.go, accounts.go, token.go):
 * tables through a tab-padded tabwriter, "Rule created", "Account created:
 * {json}", and errors on stdout with exit 1 (upstream's formatErr), wrapped
 * as upstream wraps them.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "builtin_util.h"
#include "cli.h"
#include "commands.h"
#include "mc_common.h"
#include "output.h"

#include "mc_banned.h"

/* ---- formatting (pure: unit-tested on canned responses) ------------------------- */

static const char *str_of(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

    return cJSON_IsString(v) ? v->valuestring : "";
}

static long long int_of(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    int64_t n = 0;

    if (cJSON_IsString(v) && mc_parse_i64(v->valuestring, &n) == 0)
        return n;
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

/* Rule.Access.String(): the enum's name; a number on the wire is mapped too. */
static const char *access_name(const cJSON *rule)
{
    static const char *const names[] = {"UNKNOWN", "GRANTED", "DENIED"};
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rule, "access");

    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 2)
        return names[(int)v->valuedouble];
    return cJSON_IsNumber(v) ? "" : "UNKNOWN";
}

static void resource_text(struct mc_buf *b, const cJSON *rule)
{
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(rule, "resource");

    mc_buf_appendf(b, "%s:%s:%s", str_of(res, "type"), str_of(res, "name"),
                   str_of(res, "endpoint"));
}

/* Go's string(rune(p)): UTF-8 of the code point, U+FFFD when it is not one. */
static void append_rune(struct mc_buf *b, long long p)
{
    unsigned char u[4];
    size_t n;

    if (p < 0 || p > 0x10ffff || (p >= 0xd800 && p <= 0xdfff))
        p = 0xfffd;
    if (p < 0x80) {
        u[0] = (unsigned char)p, n = 1;
    } else if (p < 0x800) {
        u[0] = (unsigned char)(0xc0 | (p >> 6)), u[1] = (unsigned char)(0x80 | (p & 0x3f)), n = 2;
    } else if (p < 0x10000) {
        u[0] = (unsigned char)(0xe0 | (p >> 12));
        u[1] = (unsigned char)(0x80 | ((p >> 6) & 0x3f));
        u[2] = (unsigned char)(0x80 | (p & 0x3f)), n = 3;
    } else {
        u[0] = (unsigned char)(0xf0 | (p >> 18));
        u[1] = (unsigned char)(0x80 | ((p >> 12) & 0x3f));
        u[2] = (unsigned char)(0x80 | ((p >> 6) & 0x3f));
        u[3] = (unsigned char)(0x80 | (p & 0x3f)), n = 4;
    }
    mc_buf_append(b, u, n);
}

struct rule_key {
    const cJSON *rule;
    struct mc_buf key; /* resource + string(rune(priority)): may hold NUL */
    size_t pos;
};

/*
 * Upstream sorts with less(i, j) = sort.StringsAreSorted([key_j, key_i]), i.e.
 * by that key descending; ties (which upstream leaves to an unstable sort) keep
 * the server's order.
 */
static int rule_cmp(const void *a, const void *b)
{
    const struct rule_key *x = a, *y = b;
    size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = memcmp(y->key.data, x->key.data, n);

    if (c == 0)
        c = (y->key.len > x->key.len) - (y->key.len < x->key.len);
    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

int mc_auth_format_rules(struct mc_buf *out, const cJSON *rules)
{
    size_t n = (size_t)cJSON_GetArraySize(rules), i = 0;
    struct rule_key *keys = mc_calloc(n ? n : 1, sizeof(*keys));
    /* upstream: tabwriter.NewWriter(os.Stdout, 0, 8, 1, '\t', 0) */
    struct mc_table *t = mc_table_new(0, 1, '\t', false);
    const cJSON *r;

    cJSON_ArrayForEach(r, rules) {
        keys[i].rule = r;
        keys[i].pos = i;
        mc_buf_init(&keys[i].key, 4096);
        resource_text(&keys[i].key, r);
        append_rune(&keys[i].key, int_of(r, "priority"));
        i++;
    }
    qsort(keys, n, sizeof(*keys), rule_cmp);
    mc_table_write(t, "ID\t\tScope\t\tAccess\t\tResource\t\tPriority\n");
    for (i = 0; i < n; i++) {
        struct mc_buf res;
        const char *scope = str_of(keys[i].rule, "scope");
        mc_buf_init(&res, 4096);
        resource_text(&res, keys[i].rule);
        mc_table_printf(t, "%s\t\t%s\t\t%s\t\t%s\t\t%lld\n", str_of(keys[i].rule, "id"),
                        *scope ? scope : "<public>", access_name(keys[i].rule),
                        mc_buf_cstr(&res), int_of(keys[i].rule, "priority"));
        mc_buf_release(&res);
        mc_buf_release(&keys[i].key);
    }
    free(keys);
    return mc_bi_table_flush(t, out);
}

static int by_key(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* "k=v " per metadata entry (sorted: Go's map order is random), or "n/a". */
static void metadata_text(struct mc_buf *b, const cJSON *md)
{
    size_t n = (size_t)cJSON_GetArraySize(md), i = 0;
    const cJSON **items = mc_calloc(n ? n : 1, sizeof(*items)), *m;

    cJSON_ArrayForEach(m, md)
        items[i++] = m;
    qsort(items, n, sizeof(*items), by_key);
    for (i = 0; i < n; i++)
        mc_buf_appendf(b, "%s=%s ", items[i]->string,
                       cJSON_IsString(items[i]) ? items[i]->valuestring : "");
    free(items);
    if (n == 0)
        mc_buf_append_str(b, "n/a");
}

int mc_auth_format_accounts(struct mc_buf *out, const cJSON *accounts)
{
    struct mc_table *t = mc_table_new(0, 1, '\t', false);
    const cJSON *acc, *s;

    mc_table_write(t, "ID\t\tName\t\tScopes\t\tMetadata\n");
    cJSON_ArrayForEach(acc, accounts) {
        struct mc_buf scopes, md;
        mc_buf_init(&scopes, 65536);
        mc_buf_init(&md, 65536);
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(acc, "scopes"))
            mc_buf_appendf(&scopes, "%s%s", scopes.len ? ", " : "",
                           cJSON_IsString(s) ? s->valuestring : "");
        if (scopes.len == 0)
            mc_buf_append_str(&scopes, "n/a");
        metadata_text(&md, cJSON_GetObjectItemCaseSensitive(acc, "metadata"));
        mc_table_printf(t, "%s\t\t%s\t\t%s\t\t%s\n", str_of(acc, "id"), str_of(acc, "name"),
                        mc_buf_cstr(&scopes), mc_buf_cstr(&md));
        mc_buf_release(&scopes);
        mc_buf_release(&md);
    }
    return mc_bi_table_flush(t, out);
}

static void json_field(struct mc_buf *out, const char *name, const char *value, bool comma)
{
    mc_buf_appendf(out, "\"%s\":", name);
    mc_go_json_string(out, value, strlen(value));
    if (comma)
        mc_buf_append_byte(out, ',');
}

int mc_auth_format_account_json(struct mc_buf *out, const cJSON *acc)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(acc, "metadata");
    const cJSON *scopes = cJSON_GetObjectItemCaseSensitive(acc, "scopes");

    /* the field order of Go's auth.Account; nil map and slice marshal as null */
    mc_buf_append_byte(out, '{');
    json_field(out, "id", str_of(acc, "id"), true);
    json_field(out, "type", str_of(acc, "type"), true);
    json_field(out, "issuer", str_of(acc, "issuer"), true);
    mc_buf_append_str(out, "\"metadata\":");
    if (cJSON_IsObject(md) && md->child)
        mc_go_json_marshal(out, md);
    else
        mc_buf_append_str(out, "null");
    mc_buf_append_str(out, ",\"scopes\":");
    if (cJSON_IsArray(scopes) && scopes->child)
        mc_go_json_marshal(out, scopes);
    else
        mc_buf_append_str(out, "null");
    mc_buf_append_byte(out, ',');
    json_field(out, "secret", str_of(acc, "secret"), true);
    json_field(out, "name", str_of(acc, "name"), false);
    return mc_buf_append_byte(out, '}');
}

int mc_auth_format_token_json(struct mc_buf *out, const cJSON *tok)
{
    mc_buf_append_byte(out, '{');
    json_field(out, "access_token", str_of(tok, "access_token"), true);
    json_field(out, "refresh_token", str_of(tok, "refresh_token"), true);
    mc_buf_append_str(out, "\"created\":");
    mc_go_time_json(out, int_of(tok, "created"));
    mc_buf_append_str(out, ",\"expiry\":");
    mc_go_time_json(out, int_of(tok, "expiry"));
    return mc_buf_append_byte(out, '}');
}

/* ---- calls --------------------------------------------------------------------------- */

static cJSON *ns_request(const char *ns)
{
    cJSON *req = cJSON_CreateObject();
    cJSON *o = cJSON_AddObjectToObject(req, "options");

    cJSON_AddStringToObject(o, "namespace", ns);
    return req;
}

/* --namespace, else the session's namespace. */
static const char *ns_flag(struct mc_cli *cli, const struct mc_args *a)
{
    const char *ns = mc_args_str(a, "namespace");

    return ns && *ns ? ns : cli->namespace_;
}

/*
 * Calls endpoint; on failure reports it as upstream's fmt.Errorf(what + ": %v")
 * (what != NULL) or fmt.Errorf("Error: %v", detail) (what == NULL) and returns
 * the exit code; on success *rsp is the answer (if rsp) and returns 0.
 */
static int auth_call(struct mc_cli *cli, const char *endpoint, cJSON *req, const char *what,
                     cJSON **rsp)
{
    struct mc_cli_failure f;
    cJSON *answer = NULL;
    int rc = 0;

    mc_cli_failure_init(&f);
    if (mc_bi_call(cli, "auth", endpoint, req, &answer, &f) < 0) {
        if (what)
            rc = mc_bi_fail_plain(cli, &f, "%s", what);
        else if (f.kind == MC_CLI_DIAL)
            rc = mc_cli_fail(cli, &f);
        else /* errors.FromError(err).Detail: the detail, never the JSON */
            rc = mc_bi_fail_text(cli, "Error: %s", f.error.detail ? f.error.detail : "");
    }
    cJSON_Delete(req);
    mc_cli_failure_release(&f);
    if (rc == 0 && rsp)
        *rsp = answer;
    else
        cJSON_Delete(answer);
    return rc;
}

static int print_buf(struct mc_cli *cli, struct mc_buf *b, const char *prefix)
{
    fprintf(cli->out, "%s%.*s", prefix, (int)b->len, b->data);
    mc_buf_release(b);
    return 0;
}

static int list_rules(struct mc_cli *cli, const struct mc_args *a)
{
    cJSON *rsp = NULL;
    int rc;

    (void)a;
    if ((rc = auth_call(cli, "Rules.List", ns_request(cli->namespace_), "Error listing rules",
                        &rsp)) != 0)
        return rc;
    struct mc_buf out;
    mc_buf_init(&out, MC_BI_OUT_MAX);
    mc_auth_format_rules(&out, cJSON_GetObjectItemCaseSensitive(rsp, "rules"));
    cJSON_Delete(rsp);
    return print_buf(cli, &out, "");
}

static int list_accounts(struct mc_cli *cli, const struct mc_args *a)
{
    cJSON *rsp = NULL;
    int rc;

    (void)a;
    if ((rc = auth_call(cli, "Accounts.List", ns_request(cli->namespace_),
                        "Error listing accounts", &rsp)) != 0)
        return rc;
    struct mc_buf out;
    mc_buf_init(&out, MC_BI_OUT_MAX);
    mc_auth_format_accounts(&out, cJSON_GetObjectItemCaseSensitive(rsp, "accounts"));
    cJSON_Delete(rsp);
    return print_buf(cli, &out, "");
}

/* upstream's constructRule: the same checks, texts and order */
static cJSON *construct_rule(struct mc_cli *cli, const struct mc_args *a, int *rc)
{
    const char *access = mc_args_str(a, "access");
    const char *resource = mc_args_str(a, "resource");
    char type[256], name[256], endpoint[1024];

    if (a->argc != 1) {
        *rc = mc_bi_fail_text(cli, "Too many arguments, expected one argument: ID");
        return NULL;
    }
    if (strcmp(access, "granted") != 0 && strcmp(access, "denied") != 0) {
        *rc = mc_bi_fail_text(cli, "Invalid access: %s, must be granted or denied", access);
        return NULL;
    }
    const char *c1 = resource ? strchr(resource, ':') : NULL;
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2 || strchr(c2 + 1, ':') || (size_t)(c1 - resource) >= sizeof(type) ||
        (size_t)(c2 - c1 - 1) >= sizeof(name) || strlen(c2 + 1) >= sizeof(endpoint)) {
        *rc = mc_bi_fail_text(cli, "Invalid resource, must be in the format type:name:endpoint");
        return NULL;
    }
    snprintf(type, sizeof(type), "%.*s", (int)(c1 - resource), resource);
    snprintf(name, sizeof(name), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
    snprintf(endpoint, sizeof(endpoint), "%s", c2 + 1);

    cJSON *rule = cJSON_CreateObject();
    cJSON_AddStringToObject(rule, "id", mc_args_arg(a, 0));
    cJSON_AddStringToObject(rule, "scope", mc_args_str(a, "scope") ? mc_args_str(a, "scope") : "");
    cJSON *res = cJSON_AddObjectToObject(rule, "resource");
    cJSON_AddStringToObject(res, "type", type);
    cJSON_AddStringToObject(res, "name", name);
    cJSON_AddStringToObject(res, "endpoint", endpoint);
    cJSON_AddStringToObject(rule, "access", strcmp(access, "granted") == 0 ? "GRANTED" : "DENIED");
    /* int32(ctx.Int("priority")): Go truncates to 32 bits */
    long long p = mc_args_int(a, "priority", 0);
    cJSON_AddNumberToObject(rule, "priority", (double)(int32_t)(uint32_t)(unsigned long long)p);
    return rule;
}

static int create_rule(struct mc_cli *cli, const struct mc_args *a)
{
    int rc = 0;
    cJSON *rule = construct_rule(cli, a, &rc);

    if (!rule)
        return rc;
    cJSON *req = ns_request(cli->namespace_);
    cJSON_AddItemToObject(req, "rule", rule);
    if ((rc = auth_call(cli, "Rules.Create", req, NULL, NULL)) != 0)
        return rc;
    fputs("Rule created\n", cli->out);
    return 0;
}

static int delete_rule(struct mc_cli *cli, const struct mc_args *a)
{
    int rc;

    if (a->argc != 1)
        return mc_bi_fail_text(cli, "Expected one argument: ID");
    cJSON *req = ns_request(cli->namespace_);
    cJSON_AddStringToObject(req, "id", mc_args_arg(a, 0));
    if ((rc = auth_call(cli, "Rules.Delete", req, NULL, NULL)) != 0)
        return rc;
    fputs("Rule deleted\n", cli->out);
    return 0;
}

/* --scopes a,b (repeatable): urfave's StringSlice splits on commas and trims. */
static void add_scopes(cJSON *req, const struct mc_args *a)
{
    const char *const *vals;
    int n = mc_args_strings(a, "scopes", &vals);

    if (n == 0)
        return;
    cJSON *arr = cJSON_AddArrayToObject(req, "scopes");
    for (int i = 0; i < n; i++) {
        const char *s = vals[i];
        for (;;) {
            const char *end = strchr(s, ',');
            size_t len = end ? (size_t)(end - s) : strlen(s);
            while (len && (*s == ' ' || *s == '\t'))
                s++, len--;
            while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
            char *one = mc_strndup(s, len);
            cJSON_AddItemToArray(arr, cJSON_CreateString(one));
            free(one);
            if (!end)
                break;
            s = end + 1;
        }
    }
}

static int create_account(struct mc_cli *cli, const struct mc_args *a)
{
    const char *secret = mc_args_str(a, "secret");
    cJSON *rsp = NULL;
    int rc;

    if (a->argc == 0)
        return mc_bi_fail_text(cli, "Missing argument: ID");
    cJSON *req = ns_request(ns_flag(cli, a));
    cJSON_AddStringToObject(req, "id", mc_args_arg(a, 0));
    add_scopes(req, a);
    if (secret && *secret)
        cJSON_AddStringToObject(req, "secret", secret);
    if ((rc = auth_call(cli, "Auth.Generate", req, "Error creating account", &rsp)) != 0)
        return rc;
    struct mc_buf out;
    mc_buf_init(&out, MC_BI_OUT_MAX);
    mc_auth_format_account_json(&out, cJSON_GetObjectItemCaseSensitive(rsp, "account"));
    mc_buf_append_byte(&out, '\n');
    cJSON_Delete(rsp);
    return print_buf(cli, &out, "Account created: ");
}

static int create_token(struct mc_cli *cli, const struct mc_args *a)
{
    const char *id = mc_args_str(a, "id"), *secret = mc_args_str(a, "secret");
    long long expiry = mc_args_int(a, "expiry", 0);
    cJSON *rsp = NULL;
    int rc;

    if (!id || !*id)
        return mc_bi_fail_text(cli, "Missing account ID");
    if (!secret || !*secret)
        return mc_bi_fail_text(cli, "Missing account secret");
    cJSON *req = ns_request(ns_flag(cli, a));
    cJSON_AddStringToObject(req, "id", id);
    cJSON_AddStringToObject(req, "secret", secret);
    /* the auth client's default expiry is one minute */
    cJSON_AddNumberToObject(req, "token_expiry", expiry > 0 ? (double)expiry : 60);
    if ((rc = auth_call(cli, "Auth.Token", req, "Error creating token", &rsp)) != 0)
        return rc;
    struct mc_buf out;
    mc_buf_init(&out, MC_BI_OUT_MAX);
    mc_auth_format_token_json(&out, cJSON_GetObjectItemCaseSensitive(rsp, "token"));
    mc_buf_append_byte(&out, '\n');
    cJSON_Delete(rsp);
    return print_buf(cli, &out, "Token created: ");
}

static int delete_account(struct mc_cli *cli, const struct mc_args *a)
{
    if (a->argc == 0)
        return mc_bi_fail_text(cli, "Missing argument: ID");
    cJSON *req = ns_request(cli->namespace_);
    cJSON_AddStringToObject(req, "id", mc_args_arg(a, 0));
    return auth_call(cli, "Accounts.Delete", req, "Error deleting account", NULL);
}

static int update_secret(struct mc_cli *cli, const struct mc_args *a)
{
    const char *old_secret = mc_args_str(a, "old_secret");
    const char *new_secret = mc_args_str(a, "new_secret");
    int rc;

    if (a->argc == 0)
        return mc_bi_fail_text(cli, "Missing argument: ID");
    cJSON *req = ns_request(ns_flag(cli, a));
    cJSON_AddStringToObject(req, "id", mc_args_arg(a, 0));
    cJSON_AddStringToObject(req, "old_secret", old_secret ? old_secret : "");
    cJSON_AddStringToObject(req, "new_secret", new_secret ? new_secret : "");
    if ((rc = auth_call(cli, "Accounts.ChangeSecret", req, "Error updating accounts", NULL)) != 0)
        return rc;
    fputs("Account updated\n", cli->out);
    return 0;
}

/* ---- the table -------------------------------------------------------------------------- */

static const struct mc_flag rule_flags[] = {
    {"scope", NULL, MC_FLAG_STRING, NULL,
     "the scope to amend, e.g. 'user' or '*', leave blank to make public", NULL},
    {"resource", NULL, MC_FLAG_STRING, NULL,
     "The resource to amend in the format type:name:endpoint, e.g. service:auth:*", NULL},
    {"access", NULL, MC_FLAG_STRING, "granted", "The access level, must be granted or denied",
     NULL},
    {"priority", NULL, MC_FLAG_INT, "0",
     "The priority level, default is 0, the greater the number the higher the priority", NULL},
    {0},
};

#define ACCOUNT_FLAGS                                                                        \
    {"secret", NULL, MC_FLAG_STRING, NULL, "The account secret (password)", NULL},           \
    {"scopes", NULL, MC_FLAG_STRINGS, NULL, "Comma seperated list of scopes to give the account", \
     NULL}

static const struct mc_flag account_flags[] = {
    ACCOUNT_FLAGS,
    {0},
};

static const struct mc_flag create_account_flags[] = {
    ACCOUNT_FLAGS,
    {"namespace", NULL, MC_FLAG_STRING, NULL, "Namespace to use when creating the account", NULL},
    {0},
};

static const struct mc_flag update_secret_flags[] = {
    ACCOUNT_FLAGS,
    {"namespace", NULL, MC_FLAG_STRING, NULL, "Namespace to use when updating the account", NULL},
    {"old_secret", NULL, MC_FLAG_STRING, NULL, "The old account secret (password)", NULL},
    {"new_secret", NULL, MC_FLAG_STRING, NULL, "The new account secret (password)", NULL},
    {0},
};

static const struct mc_flag token_flags[] = {
    {"id", NULL, MC_FLAG_STRING, NULL, "The account ID", NULL},
    {"secret", NULL, MC_FLAG_STRING, NULL, "The account secret (password)", NULL},
    {"expiry", NULL, MC_FLAG_INT, NULL, "Token expiry in seconds (default: 60)", NULL},
    {"namespace", NULL, MC_FLAG_STRING, NULL, "Namespace to use when creating the token", NULL},
    {0},
};

static const struct mc_cmd list_rules_cmd = {
    .name = "rules", .summary = "List auth rules", .run = list_rules, .max_args = -1,
};
static const struct mc_cmd list_accounts_cmd = {
    .name = "accounts", .summary = "List auth accounts", .run = list_accounts, .max_args = -1,
};
static const struct mc_cmd *const list_subs[] = {&list_rules_cmd, &list_accounts_cmd, NULL};

static const struct mc_cmd create_rule_cmd = {
    .name = "rule", .summary = "Create an auth rule", .args_usage = "ID",
    .flags = rule_flags, .run = create_rule, .max_args = -1,
};
static const struct mc_cmd create_account_cmd = {
    .name = "account", .summary = "Create an auth account", .args_usage = "ID",
    .flags = create_account_flags, .run = create_account, .max_args = -1,
};
static const struct mc_cmd create_token_cmd = {
    .name = "token", .summary = "Create an auth token", .flags = token_flags,
    .run = create_token, .max_args = -1,
};
static const struct mc_cmd *const create_subs[] = {
    &create_rule_cmd, &create_account_cmd, &create_token_cmd, NULL,
};

static const struct mc_cmd delete_rule_cmd = {
    .name = "rule", .summary = "Delete an auth rule", .args_usage = "ID",
    .flags = rule_flags, .run = delete_rule, .max_args = -1,
};
static const struct mc_cmd delete_account_cmd = {
    .name = "account", .summary = "Delete an auth account", .args_usage = "ID",
    .flags = account_flags, .run = delete_account, .max_args = -1,
};
static const struct mc_cmd *const delete_subs[] = {&delete_rule_cmd, &delete_account_cmd, NULL};

static const struct mc_cmd update_secret_cmd = {
    .name = "secret", .summary = "Update an auth account secret", .args_usage = "ID",
    .flags = update_secret_flags, .run = update_secret, .max_args = -1,
};
static const struct mc_cmd *const update_subs[] = {&update_secret_cmd, NULL};

static const struct mc_cmd auth_list_cmd = {
    .name = "list", .summary = "List auth resources", .subs = list_subs, .max_args = -1,
};
static const struct mc_cmd auth_create_cmd = {
    .name = "create", .summary = "Create an auth resource", .subs = create_subs, .max_args = -1,
};
static const struct mc_cmd auth_delete_cmd = {
    .name = "delete", .summary = "Delete a auth resource", .subs = delete_subs, .max_args = -1,
};
static const struct mc_cmd auth_update_cmd = {
    .name = "update", .summary = "Update an auth resource", .subs = update_subs, .max_args = -1,
};
static const struct mc_cmd *const auth_subs[] = {
    &auth_list_cmd, &auth_create_cmd, &auth_delete_cmd, &auth_update_cmd, NULL,
};

const struct mc_cmd mc_cmd_auth = {
    .name = "auth",
    .summary = "Manage authentication, accounts and rules",
    .subs = auth_subs,
    .max_args = -1,
};
