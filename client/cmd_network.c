/*
 * `micro network connect|connections|graph|nodes|routes|services`: the
 * network service's view of the service network (spec §1.8), printed as
 * upstream's client/cli/network/cli.go prints it: ASCII tables of
 * olekukonko/tablewriter, tab-indented JSON, sorted names. Errors go through
 * mc_cli_fail (upstream wraps these actions in util.Print/CliError).
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

/* fmt.Sprintf("%s", v) of a JSON-decoded value: strings as they are, nil as
 * Go prints it; other kinds do not occur in these responses. */
static const char *go_s(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (cJSON_IsString(v))
        return v->valuestring;
    return v ? "%!s(<bad>)" : "%!s(<nil>)";
}

/* A two-column NODE/ID + ADDRESS table of the "node" objects in list. */
static int node_table(struct mc_buf *out, const char *first, const cJSON *list, bool in_peer)
{
    size_t n = (size_t)cJSON_GetArraySize(list), i = 0;
    const char **cells = mc_calloc(2 * n + 1, sizeof(*cells));
    const char *header[] = {first, "ADDRESS"};
    const cJSON *it;
    int rc;

    cJSON_ArrayForEach(it, list) {
        const cJSON *node = in_peer ? cJSON_GetObjectItemCaseSensitive(it, "node") : it;
        cells[2 * i] = go_s(node, "id");
        cells[2 * i + 1] = go_s(node, "address");
        i++;
    }
    rc = mc_go_ascii_table(out, header, 2, cells, n);
    free(cells);
    return rc;
}

int mc_network_format_nodes(struct mc_buf *out, const cJSON *rsp)
{
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(rsp, "nodes");

    if (!nodes || cJSON_IsNull(nodes))
        return 0;
    return node_table(out, "ID", nodes, false);
}

int mc_network_format_connections(struct mc_buf *out, const cJSON *rsp)
{
    const cJSON *root = cJSON_GetObjectItemCaseSensitive(rsp, "root");
    const cJSON *peers = cJSON_GetObjectItemCaseSensitive(root, "peers");

    if (!root || cJSON_IsNull(root) || !peers || cJSON_IsNull(peers))
        return 0;
    return node_table(out, "NODE", peers, true);
}

struct route_row {
    const char *cells[7];
    char metric[32];
    size_t pos;
};

/* sort.Slice by service; equal services keep the server's order here */
static int route_cmp(const void *a, const void *b)
{
    const struct route_row *x = a, *y = b;
    int c = strcmp(x->cells[0], y->cells[0]);

    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

static void route_metric(struct route_row *row, const cJSON *route)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(route, "metric");
    int64_t v = 0;

    /* ParseInt of the JSON string (protojson's int64); failures leave 0 */
    if (cJSON_IsString(m) && mc_parse_i64(m->valuestring, &v) < 0)
        v = 0;
    else if (cJSON_IsNumber(m))
        v = m->valuedouble >= 9.2233720368547758e18 ? INT64_MAX : (int64_t)m->valuedouble;
    if (v == INT64_MAX)
        snprintf(row->metric, sizeof(row->metric), "\xe2\x88\x9e"); /* ∞ */
    else
        snprintf(row->metric, sizeof(row->metric), "%lld", (long long)v);
}

int mc_network_format_routes(struct mc_buf *out, const cJSON *rsp)
{
    static const char *const header[] = {"SERVICE", "ADDRESS", "GATEWAY", "ROUTER",
                                         "NETWORK", "METRIC",  "LINK"};
    const cJSON *routes = cJSON_GetObjectItemCaseSensitive(rsp, "routes"), *r;
    size_t n = (size_t)cJSON_GetArraySize(routes), i = 0;

    if (!rsp || !rsp->child) /* len(rsp) == 0 */
        return 0;
    struct route_row *rows = mc_calloc(n ? n : 1, sizeof(*rows));
    const char **cells = mc_calloc(7 * n + 1, sizeof(*cells));
    cJSON_ArrayForEach(r, routes) {
        const cJSON *gw = cJSON_GetObjectItemCaseSensitive(r, "gateway");
        rows[i].cells[0] = go_s(r, "service");
        rows[i].cells[1] = go_s(r, "address");
        rows[i].cells[2] = cJSON_IsString(gw) ? gw->valuestring : ""; /* val(): nil is "" */
        rows[i].cells[3] = go_s(r, "router");
        rows[i].cells[4] = go_s(r, "network");
        route_metric(&rows[i], r);
        rows[i].cells[5] = rows[i].metric;
        rows[i].cells[6] = go_s(r, "link");
        rows[i].pos = i;
        i++;
    }
    qsort(rows, n, sizeof(*rows), route_cmp);
    for (i = 0; i < n; i++) {
        rows[i].cells[5] = rows[i].metric; /* the row moved: point at its own copy */
        memcpy(cells + 7 * i, rows[i].cells, sizeof(rows[i].cells));
    }
    int rc = mc_go_ascii_table(out, header, 7, cells, n);
    free(cells);
    free(rows);
    return rc;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int mc_network_format_services(struct mc_buf *out, const cJSON *rsp)
{
    const cJSON *svcs = cJSON_GetObjectItemCaseSensitive(rsp, "services"), *s;
    size_t n = 0;
    int rc = 0;

    if (!rsp || !rsp->child || !svcs || cJSON_IsNull(svcs))
        return 0;
    const char **names = mc_calloc((size_t)cJSON_GetArraySize(svcs) + 1, sizeof(*names));
    cJSON_ArrayForEach(s, svcs)
        names[n++] = cJSON_IsString(s) ? s->valuestring : "";
    qsort(names, n, sizeof(*names), by_string);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = mc_buf_appendf(out, "%s%s", i ? "\n" : "", names[i]);
    free(names);
    return rc;
}

/* ---- calls --------------------------------------------------------------------------- */

typedef int format_fn(struct mc_buf *out, const cJSON *rsp);

/* Calls Network.<endpoint> and prints format's text plus a newline when there
 * is any (upstream's util.Print), or the answer as tab-indented JSON. */
static int network_call(struct mc_cli *cli, const char *endpoint, cJSON *req, format_fn *format)
{
    struct mc_cli_failure f;
    cJSON *rsp = NULL;
    struct mc_buf out;
    int rc = 0;

    mc_cli_failure_init(&f);
    rc = mc_bi_call(cli, "network", endpoint, req, &rsp, &f);
    cJSON_Delete(req);
    if (rc < 0) {
        rc = mc_cli_fail(cli, &f);
        mc_cli_failure_release(&f);
        return rc;
    }
    mc_buf_init(&out, MC_BI_OUT_MAX);
    if (format) {
        format(&out, rsp);
        if (out.len > 0)
            fprintf(cli->out, "%.*s\n", (int)out.len, out.data);
    } else if (mc_go_json_marshal(&out, rsp) == 0) {
        /* json.MarshalIndent(map, "", "\t") of the decoded answer */
        mc_out_json_indent(cli->out, out.data, out.len);
    }
    mc_buf_release(&out);
    cJSON_Delete(rsp);
    mc_cli_failure_release(&f);
    return 0;
}

static int network_connect(struct mc_cli *cli, const struct mc_args *a)
{
    if (a->argc == 0)
        return 0; /* upstream: nothing to connect to, nothing printed */
    cJSON *req = cJSON_CreateObject();
    cJSON *node = cJSON_CreateObject();
    cJSON_AddStringToObject(node, "address", mc_args_arg(a, 0));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(req, "nodes"), node);
    return network_call(cli, "Network.Connect", req, NULL);
}

static int network_connections(struct mc_cli *cli, const struct mc_args *a)
{
    cJSON *req = cJSON_CreateObject();

    (void)a;
    cJSON_AddNumberToObject(req, "depth", 1);
    return network_call(cli, "Network.Graph", req, mc_network_format_connections);
}

static int network_graph(struct mc_cli *cli, const struct mc_args *a)
{
    (void)a;
    return network_call(cli, "Network.Graph", cJSON_CreateObject(), NULL);
}

static int network_nodes(struct mc_cli *cli, const struct mc_args *a)
{
    (void)a;
    return network_call(cli, "Network.Nodes", cJSON_CreateObject(), mc_network_format_nodes);
}

static int network_routes(struct mc_cli *cli, const struct mc_args *a)
{
    static const char *const filters[] = {"service", "address", "gateway", "router", "network"};
    cJSON *req = cJSON_CreateObject();
    cJSON *query = cJSON_AddObjectToObject(req, "query");

    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
        const char *v = mc_args_str(a, filters[i]);
        if (v && *v)
            cJSON_AddStringToObject(query, filters[i], v);
    }
    return network_call(cli, "Network.Routes", req, mc_network_format_routes);
}

static int network_services(struct mc_cli *cli, const struct mc_args *a)
{
    (void)a;
    return network_call(cli, "Network.Services", cJSON_CreateObject(),
                        mc_network_format_services);
}

/* ---- the table -------------------------------------------------------------------------- */

static const struct mc_flag routes_flags[] = {
    {"service", NULL, MC_FLAG_STRING, NULL, "Filter by service", NULL},
    {"address", NULL, MC_FLAG_STRING, NULL, "Filter by address", NULL},
    {"gateway", NULL, MC_FLAG_STRING, NULL, "Filter by gateway", NULL},
    {"router", NULL, MC_FLAG_STRING, NULL, "Filter by router", NULL},
    {"network", NULL, MC_FLAG_STRING, NULL, "Filter by network", NULL},
    {0},
};

static const struct mc_cmd connect_cmd = {
    .name = "connect",
    .summary = "connect to the network. specify nodes e.g connect ip:port",
    .run = network_connect,
    .max_args = -1,
};
static const struct mc_cmd connections_cmd = {
    .name = "connections",
    .summary = "List the immediate connections to the network",
    .run = network_connections,
    .max_args = -1,
};
static const struct mc_cmd graph_cmd = {
    .name = "graph", .summary = "Get the network graph", .run = network_graph, .max_args = -1,
};
static const struct mc_cmd nodes_cmd = {
    .name = "nodes", .summary = "List nodes in the network", .run = network_nodes,
    .max_args = -1,
};
static const struct mc_cmd routes_cmd = {
    .name = "routes", .summary = "List network routes", .flags = routes_flags,
    .run = network_routes, .max_args = -1,
};
static const struct mc_cmd services_cmd = {
    .name = "services", .summary = "Get the network services", .run = network_services,
    .max_args = -1,
};

static const struct mc_cmd *const network_subs[] = {
    &connect_cmd, &connections_cmd, &graph_cmd, &nodes_cmd, &routes_cmd, &services_cmd, NULL,
};

const struct mc_cmd mc_cmd_network = {
    .name = "network",
    .summary = "Manage the micro service network",
    .subs = network_subs,
    .max_args = -1,
};
