/*
 * Dynamic commands without a server (client/dynamic.h): splitting the words,
 * endpoint names, flags to request JSON under a schema (every type, nesting
 * with each separator, repeated values, maps, errors), and the help texts
 * byte for byte as spec/micro-v3-transcript.md shows them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth.pb-c.h"
#include "config.pb-c.h"
#include "dynamic.h"
#include "mc_schema.h"
#include "schema_cache.h"
#include "store.pb-c.h"

/* The registry's entry as our server publishes it (shape of the transcript's
 * appendix), cut to what the tests need. */
static const char registry_svc[] =
    "{\"name\":\"registry\",\"version\":\"latest\",\"metadata\":{\"domain\":\"micro\"},"
    "\"endpoints\":["
    "{\"name\":\"Registry.Deregister\",\"request\":{\"name\":\"Service\",\"type\":\"Service\","
    "\"values\":[]},\"metadata\":{}},"
    "{\"name\":\"Registry.GetService\",\"request\":{\"name\":\"GetRequest\",\"type\":"
    "\"GetRequest\",\"values\":[{\"name\":\"service\",\"type\":\"string\",\"values\":[]},"
    "{\"name\":\"options\",\"type\":\"Options\",\"values\":[{\"name\":\"ttl\",\"type\":"
    "\"int64\",\"values\":[]},{\"name\":\"domain\",\"type\":\"string\",\"values\":[]}]}]},"
    "\"metadata\":{}},"
    "{\"name\":\"Registry.ListServices\",\"request\":{\"name\":\"ListRequest\",\"type\":"
    "\"ListRequest\",\"values\":[]},\"metadata\":{}},"
    "{\"name\":\"Registry.Register\",\"request\":{\"name\":\"Service\",\"type\":\"Service\","
    "\"values\":[]},\"metadata\":{}},"
    "{\"name\":\"Registry.Watch\",\"request\":{\"name\":\"WatchRequest\",\"type\":"
    "\"WatchRequest\",\"values\":[]},\"metadata\":{\"stream\":\"true\"}}]}";

/* Every type the flags know, nested three deep. */
static const char typed_request[] =
    "{\"name\":\"Req\",\"type\":\"Req\",\"values\":["
    "{\"name\":\"name\",\"type\":\"string\",\"values\":[]},"
    "{\"name\":\"flag\",\"type\":\"bool\",\"values\":[]},"
    "{\"name\":\"i32\",\"type\":\"int32\",\"values\":[]},"
    "{\"name\":\"i64\",\"type\":\"int64\",\"values\":[]},"
    "{\"name\":\"u32\",\"type\":\"uint32\",\"values\":[]},"
    "{\"name\":\"u64\",\"type\":\"uint64\",\"values\":[]},"
    "{\"name\":\"f64\",\"type\":\"float64\",\"values\":[]},"
    "{\"name\":\"f32\",\"type\":\"float32\",\"values\":[]},"
    "{\"name\":\"blob\",\"type\":\"[]uint8\",\"values\":[]},"
    "{\"name\":\"tags\",\"type\":\"[]string\",\"values\":[]},"
    "{\"name\":\"nums\",\"type\":\"[]int64\",\"values\":[]},"
    "{\"name\":\"bools\",\"type\":\"[]bool\",\"values\":[]},"
    "{\"name\":\"recs\",\"type\":\"[]Record\",\"values\":[]},"
    "{\"name\":\"labels\",\"type\":\"map[string]string\",\"values\":[]},"
    "{\"name\":\"counts\",\"type\":\"map[string]int64\",\"values\":[]},"
    "{\"name\":\"access\",\"type\":\"Access\",\"values\":[]},"
    "{\"name\":\"token_expiry\",\"type\":\"int64\",\"values\":[]},"
    "{\"name\":\"options\",\"type\":\"Options\",\"values\":["
    "  {\"name\":\"domain\",\"type\":\"string\",\"values\":[]},"
    "  {\"name\":\"inner\",\"type\":\"Inner\",\"values\":["
    "    {\"name\":\"deep_key\",\"type\":\"string\",\"values\":[]},"
    "    {\"name\":\"level\",\"type\":\"int32\",\"values\":[]}]}]}]}";

/* Builds the request for argv under schema; returns rc, *out the JSON or the error. */
static int request(const char *schema, char *out, size_t n, int argc, ...)
{
    char *argv[32];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);

    struct mc_dyn_args a;
    char err[512] = "";
    int rc = mc_dyn_split(argc, argv, &a, err, sizeof(err));
    if (rc == 0) {
        cJSON *req = schema ? cJSON_Parse(schema) : NULL;
        char *json = NULL;
        rc = mc_dyn_request(&a, req, &json, err, sizeof(err));
        snprintf(out, n, "%s", rc == 0 ? json : err);
        free(json);
        cJSON_Delete(req);
    } else {
        snprintf(out, n, "%s", err);
    }
    mc_dyn_args_release(&a);
    return rc;
}

#define REQ_OK(want, ...)                                                              \
    do {                                                                               \
        char got_[2048];                                                               \
        int rc_ = request(typed_request, got_, sizeof(got_), __VA_ARGS__);             \
        assert_int_equal(rc_, 0);                                                      \
        assert_string_equal(got_, want);                                               \
    } while (0)

#define REQ_ERR(code, want, ...)                                                       \
    do {                                                                               \
        char got_[2048];                                                               \
        int rc_ = request(typed_request, got_, sizeof(got_), __VA_ARGS__);             \
        assert_int_equal(rc_, code);                                                   \
        assert_string_equal(got_, want);                                               \
    } while (0)

static void test_split(void **state)
{
    (void)state;
    char *argv[] = { "helloworld", "--name=foo", "call", "--n", "1", "--b", "--n=2", "apple",
                     "-h" };
    struct mc_dyn_args a;
    char err[128];
    assert_int_equal(mc_dyn_split(9, argv, &a, err, sizeof(err)), 0);
    assert_int_equal(a.argc, 3);
    assert_string_equal(a.argv[0], "helloworld");
    assert_string_equal(a.argv[1], "call");
    assert_string_equal(a.argv[2], "apple");
    assert_true(a.help);
    assert_int_equal(a.nflags, 3);
    assert_string_equal(a.flags[0].key, "name");
    assert_int_equal(a.flags[0].count, 1);
    assert_string_equal(a.flags[1].key, "n");
    assert_int_equal(a.flags[1].count, 2); /* "--n 1" and "--n=2" accumulate */
    assert_string_equal(a.flags[1].values[0], "1");
    assert_string_equal(a.flags[1].values[1], "2");
    assert_string_equal(a.flags[2].key, "b");
    assert_int_equal(a.flags[2].count, 0); /* a bare flag before another flag */
    mc_dyn_args_release(&a);

    char *bad[] = { "x", "--a=b=c" };
    assert_int_equal(mc_dyn_split(2, bad, &a, err, sizeof(err)), MC_EINVAL);
    assert_string_equal(err, "Invalid flag: --a=b=c. Expected format: --foo=bar");
    mc_dyn_args_release(&a);

    char *help[] = { "registry", "getService", "--help" };
    assert_int_equal(mc_dyn_split(3, help, &a, err, sizeof(err)), 0);
    assert_true(a.help);
    assert_int_equal(a.argc, 2);
    mc_dyn_args_release(&a);
}

static void test_endpoint(void **state)
{
    (void)state;
    char ep[256], err[128];
    const char *one[] = { "helloworld" };
    assert_int_equal(mc_dyn_endpoint(1, one, ep, sizeof(ep), err, sizeof(err)), 0);
    assert_string_equal(ep, "Helloworld.Call");
    const char *two[] = { "registry", "getService" };
    assert_int_equal(mc_dyn_endpoint(2, two, ep, sizeof(ep), err, sizeof(err)), 0);
    assert_string_equal(ep, "Registry.GetService");
    const char *three[] = { "helloworld", "foo", "bar" };
    assert_int_equal(mc_dyn_endpoint(3, three, ep, sizeof(ep), err, sizeof(err)), 0);
    assert_string_equal(ep, "Foo.Bar");
    const char *four[] = { "a", "b", "c", "d" };
    assert_int_equal(mc_dyn_endpoint(4, four, ep, sizeof(ep), err, sizeof(err)), MC_EINVAL);
    assert_string_equal(err, "Incorrect number of arguments");
    const char *blank[] = { "helloworld", "" };
    assert_int_equal(mc_dyn_endpoint(2, blank, ep, sizeof(ep), err, sizeof(err)), MC_EINVAL);

    char cmd[256];
    mc_dyn_command_name("registry", "Registry.GetService", cmd, sizeof(cmd));
    assert_string_equal(cmd, "getService");
    mc_dyn_command_name("helloworld", "Foo.Bar", cmd, sizeof(cmd));
    assert_string_equal(cmd, "foo bar");
    mc_dyn_command_name("helloworld", "Helloworld.Call", cmd, sizeof(cmd));
    assert_string_equal(cmd, "call");
}

static void test_request_nesting(void **state)
{
    (void)state;
    char got[1024];
    static const char getreq[] =
        "{\"name\":\"GetRequest\",\"type\":\"GetRequest\",\"values\":[{\"name\":\"service\","
        "\"type\":\"string\",\"values\":[]},{\"name\":\"options\",\"type\":\"Options\","
        "\"values\":[{\"name\":\"ttl\",\"type\":\"int64\",\"values\":[]},{\"name\":\"domain\","
        "\"type\":\"string\",\"values\":[]}]}]}";
    const char *want = "{\"service\":\"x\",\"options\":{\"domain\":\"y\"}}";
    /* v3.10 '-', v3.0-v3.9 '_' and '.' all reach options.domain */
    assert_int_equal(request(getreq, got, sizeof(got), 3, "registry", "--service=x",
                             "--options-domain=y"), 0);
    assert_string_equal(got, want);
    assert_int_equal(request(getreq, got, sizeof(got), 3, "registry", "--service=x",
                             "--options_domain=y"), 0);
    assert_string_equal(got, want);
    assert_int_equal(request(getreq, got, sizeof(got), 4, "registry", "--service", "x",
                             "--options.domain=y"), 0);
    assert_string_equal(got, want);

    /* three levels, and a field whose own name has '_' (matched by '-' too) */
    REQ_OK("{\"options\":{\"inner\":{\"deep_key\":\"v\",\"level\":3}}}", 3, "svc",
           "--options-inner-deep_key=v", "--options_inner_level=3");
    REQ_OK("{\"options\":{\"inner\":{\"deep_key\":\"v\"}}}", 2, "svc", "--options-inner-deep-key=v");
    REQ_OK("{\"token_expiry\":60}", 2, "svc", "--token-expiry=60");
    /* a message given whole as JSON, then a field of it: merged */
    REQ_OK("{\"options\":{\"domain\":\"d\",\"inner\":{\"level\":1}}}", 3, "svc",
           "--options={\"domain\":\"d\"}", "--options-inner-level=1");
    REQ_OK("{\"options\":{\"inner\":{\"level\":1},\"domain\":\"d\"}}", 3, "svc",
           "--options-inner-level=1", "--options={\"domain\":\"d\"}");
}

static void test_request_types(void **state)
{
    (void)state;
    REQ_OK("{\"flag\":true}", 2, "svc", "--flag");
    REQ_OK("{\"flag\":true,\"name\":\"n\"}", 3, "svc", "--flag", "--name=n");
    REQ_OK("{\"flag\":false}", 2, "svc", "--flag=false");
    REQ_OK("{\"flag\":true}", 2, "svc", "--flag=T");
    REQ_OK("{\"i32\":-42,\"i64\":255,\"u32\":8,\"u64\":18446744073709551615}", 5, "svc",
           "--i32=-42", "--i64=0xff", "--u32=010", "--u64=18446744073709551615");
    REQ_OK("{\"i64\":9223372036854775807}", 2, "svc", "--i64=9223372036854775807");
    REQ_OK("{\"i64\":-9223372036854775808}", 2, "svc", "--i64=-9223372036854775808");
    REQ_OK("{\"i64\":5}", 2, "svc", "--i64=0b101");
    REQ_OK("{\"f64\":1.5,\"f32\":2}", 3, "svc", "--f64=1.5", "--f32=2");
    REQ_OK("{\"f64\":0.5}", 2, "svc", "--f64=.5");
    REQ_OK("{\"name\":\"b\"}", 3, "svc", "--name=a", "--name=b"); /* the last wins */
    REQ_OK("{\"name\":\"\"}", 2, "svc", "--name");
    REQ_OK("{\"blob\":\"aGk=\"}", 3, "svc", "--blob", "aGk="); /* "--blob=aGk=" has two '=' */
    REQ_OK("{\"access\":\"GRANTED\"}", 2, "svc", "--access=GRANTED");
    REQ_OK("{\"access\":1}", 2, "svc", "--access=1");
}

static void test_request_repeated_and_maps(void **state)
{
    (void)state;
    REQ_OK("{\"tags\":[\"a\",\"b\"]}", 2, "svc", "--tags=a,b");
    REQ_OK("{\"tags\":[\"a,b\",\"c\"]}", 3, "svc", "--tags=a,b", "--tags=c");
    REQ_OK("{\"tags\":[\"x y\"]}", 2, "svc", "--tags=[\"x y\"]");
    REQ_OK("{\"nums\":[1,2,3]}", 2, "svc", "--nums=1,2,3");
    REQ_OK("{\"nums\":[1,16]}", 4, "svc", "--nums", "1", "--nums=0x10");
    REQ_OK("{\"bools\":[true,false]}", 2, "svc", "--bools=true,false");
    REQ_OK("{\"recs\":[{\"key\":\"a\"},{\"key\":\"b\"}]}", 3, "svc", "--recs={\"key\":\"a\"}",
           "--recs={\"key\":\"b\"}");
    REQ_OK("{\"labels\":{\"a\":\"1\",\"b\":\"x\"}}", 2, "svc", "--labels={\"a\":\"1\",\"b\":\"x\"}");
    /* key=value pairs go after a space: "--labels=a=1" has two '=' (upstream's rule) */
    REQ_OK("{\"labels\":{\"a\":\"1\",\"b\":\"2\"}}", 3, "svc", "--labels", "a=1,b=2");
    REQ_OK("{\"labels\":{\"a\":\"1\",\"b\":\"2\"}}", 5, "svc", "--labels", "a=1", "--labels",
           "b=2");
    REQ_OK("{\"counts\":{\"a\":7}}", 3, "svc", "--counts", "a=7");
}

static void test_request_errors(void **state)
{
    (void)state;
    REQ_ERR(MC_ENOTFOUND, "Unknown flag: nope", 2, "svc", "--nope=1");
    REQ_ERR(MC_ENOTFOUND, "Unknown flag: options-nope", 2, "svc", "--options-nope=1");
    REQ_ERR(MC_ENOTFOUND, "Unknown flag: name-x", 2, "svc", "--name-x=1");
    REQ_ERR(MC_EINVAL, "Invalid value \"abc\" for flag --i64: expected int64", 2, "svc",
            "--i64=abc");
    REQ_ERR(MC_EINVAL, "Invalid value \"2147483648\" for flag --i32: expected int32", 2, "svc",
            "--i32=2147483648");
    REQ_ERR(MC_EINVAL, "Invalid value \"-1\" for flag --u64: expected uint64", 2, "svc",
            "--u64=-1");
    REQ_ERR(MC_EINVAL, "Invalid value \"18446744073709551616\" for flag --u64: expected uint64",
            2, "svc", "--u64=18446744073709551616");
    REQ_ERR(MC_EINVAL, "Invalid value \"yes\" for flag --flag: expected bool", 2, "svc",
            "--flag=yes");
    REQ_ERR(MC_EINVAL, "Invalid value \"nan\" for flag --f64: expected float64", 2, "svc",
            "--f64=nan");
    REQ_ERR(MC_EINVAL, "Invalid value \"\" for flag --i64: expected int64", 2, "svc", "--i64");
    REQ_ERR(MC_EINVAL, "Invalid value \"x\" for flag --nums: expected int64", 2, "svc",
            "--nums=1,x");
    REQ_ERR(MC_EINVAL, "Invalid value \"notjson\" for flag --options: expected a JSON object", 2,
            "svc", "--options=notjson");
    REQ_ERR(MC_EINVAL,
            "Invalid value \"oops\" for flag --labels: expected a JSON object or key=value pairs",
            2, "svc", "--labels=oops");
    REQ_ERR(MC_EINVAL, "Invalid value \"x\" for flag --counts: expected int64", 3, "svc",
            "--counts", "a=x");
    REQ_ERR(MC_EINVAL, "Invalid flag: --counts=a=x. Expected format: --foo=bar", 2, "svc",
            "--counts=a=x");
    REQ_ERR(MC_EINVAL, "Invalid value \"[1]\" for flag --options: expected a JSON object", 3,
            "svc", "--options=[1]", "--options-domain=x");
}

static void test_request_schemaless(void **state)
{
    (void)state;
    char got[512];
    assert_int_equal(request(NULL, got, sizeof(got), 2, "helloworld", "--name=Alice"), 0);
    assert_string_equal(got, "{\"name\":\"Alice\"}");
    assert_int_equal(request(NULL, got, sizeof(got), 5, "h", "--a-b=1", "--a.c", "2", "--t"), 0);
    assert_string_equal(got, "{\"a\":{\"b\":\"1\",\"c\":\"2\"},\"t\":true}");
    assert_int_equal(request(NULL, got, sizeof(got), 3, "h", "--x=1", "--x=2"), 0);
    assert_string_equal(got, "{\"x\":[\"1\",\"2\"]}");
    assert_int_equal(request(NULL, got, sizeof(got), 3, "h", "--a=1", "--a-b=2"), MC_EINVAL);
    assert_string_equal(got, "Flag --a-b conflicts with the value given for a");
    assert_int_equal(request(NULL, got, sizeof(got), 2, "h", "--a-=1"), MC_ENOTFOUND);
    assert_string_equal(got, "Unknown flag: a-");
}

static char *render(bool endpoint, const char *sub)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cJSON *svc = cJSON_Parse(registry_svc);
    if (endpoint)
        assert_int_equal(mc_dyn_help_endpoint(f, "registry", sub, svc), 0);
    else
        mc_dyn_help_service(f, "registry", svc);
    cJSON_Delete(svc);
    fclose(f);
    return buf;
}

/* spec/micro-v3-transcript.md: `micro registry --help`, 141 bytes */
static void test_help_service(void **state)
{
    (void)state;
    char *got = render(false, NULL);
    assert_string_equal(got, "NAME:\n\tmicro registry\n\nVERSION:\n\tlatest\n\nUSAGE:\n\tmicro "
                             "registry [command]\n\nCOMMANDS:\n\tderegister\n\tgetService\n\t"
                             "listServices\n\tregister\n\twatch\n\n");
    assert_int_equal(strlen(got), 141);
    free(got);
}

/* spec/micro-v3-transcript.md: `micro registry getService --help`, 149 bytes */
static void test_help_endpoint(void **state)
{
    (void)state;
    char *got = render(true, "getService");
    assert_string_equal(got, "NAME:\n\tmicro registry getService\n\nUSAGE:\n\tmicro registry "
                             "getService [flags]\n\nFLAGS:\n\t--service string\n\t--options_ttl "
                             "int64\n\t--options_domain string\n\n");
    assert_int_equal(strlen(got), 149);
    free(got);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cJSON *svc = cJSON_Parse(registry_svc);
    assert_int_equal(mc_dyn_help_endpoint(f, "registry", "nope", svc), MC_ENOTFOUND);
    cJSON_Delete(svc);
    fclose(f);
    assert_int_equal(len, 0);
    free(buf);
}

static void test_builtin_names(void **state)
{
    (void)state;
    assert_true(mc_dyn_builtin_service("registry"));
    assert_true(mc_dyn_builtin_service("events"));
    assert_true(mc_dyn_builtin_service("router"));
    assert_false(mc_dyn_builtin_service("helloworld"));
    assert_false(mc_dyn_builtin_service("web"));
}

/* A core service's registry entry as our server builds it from its descriptors. */
static cJSON *core_entry(const char *name, const ProtobufCServiceDescriptor *const *handlers)
{
    cJSON *svc = cJSON_CreateObject();
    cJSON_AddStringToObject(svc, "name", name);
    cJSON_AddStringToObject(svc, "version", "latest");
    cJSON *eps = cJSON_AddArrayToObject(svc, "endpoints");
    for (; *handlers; handlers++) {
        Registry__Endpoint **list = NULL;
        size_t n = 0;
        assert_int_equal(mc_schema_service_endpoints(*handlers, NULL, 0, &list, &n), 0);
        for (size_t i = 0; i < n; i++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "name", list[i]->name);
            cJSON_AddItemToObject(e, "request", mc_schema_value_to_json(list[i]->request));
            cJSON_AddItemToArray(eps, e);
        }
        mc_schema_endpoints_free(list, n);
    }
    return svc;
}

static char *capture_help(const char *alias, const cJSON *svc, const char *sub)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (sub)
        assert_int_equal(mc_dyn_help_endpoint(f, alias, sub, svc), 0);
    else
        mc_dyn_help_service(f, alias, svc);
    fclose(f);
    return buf;
}

/* Every endpoint of the core services the command table shadows (store, config,
 * auth) renders its help, and a flag of each request maps to JSON. */
static void test_core_services_help(void **state)
{
    (void)state;
    static const ProtobufCServiceDescriptor *const store_h[] = {
        &store__store__descriptor, &store__blob_store__descriptor, NULL };
    static const ProtobufCServiceDescriptor *const config_h[] = { &config__config__descriptor,
                                                                  NULL };
    static const ProtobufCServiceDescriptor *const auth_h[] = {
        &auth__auth__descriptor, &auth__accounts__descriptor, &auth__rules__descriptor, NULL };
    static const struct {
        const char *alias;
        const ProtobufCServiceDescriptor *const *handlers;
        const char *commands;
    } core[] = {
        { "store", store_h, "\tblobStore delete\n\tblobStore list\n\tblobStore read\n\tblobStore "
                            "write\n\tdatabases\n\tdelete\n\tlist\n\tread\n\ttables\n\twrite\n\n" },
        { "config", config_h, "\tdelete\n\tget\n\tread\n\tset\n\n" },
        { "auth", auth_h, "\taccounts changeSecret\n\taccounts delete\n\taccounts list\n\t"
                          "generate\n\tinspect\n\trules create\n\trules delete\n\trules list\n\t"
                          "token\n\n" },
    };
    for (size_t k = 0; k < sizeof(core) / sizeof(core[0]); k++) {
        cJSON *svc = core_entry(core[k].alias, core[k].handlers);
        char *help = capture_help(core[k].alias, svc, NULL);
        const char *cmds = strstr(help, "COMMANDS:\n");
        assert_non_null(cmds);
        assert_string_equal(cmds + strlen("COMMANDS:\n"), core[k].commands);
        free(help);
        for (int i = 0; i < mc_schema_endpoint_count(svc); i++) {
            char cmd[256], head[2048];
            mc_dyn_command_name(core[k].alias, mc_schema_endpoint_name(svc, i), cmd, sizeof(cmd));
            help = capture_help(core[k].alias, svc, cmd);
            snprintf(head, sizeof(head), "NAME:\n\tmicro %s %s\n\nUSAGE:\n\tmicro %s %s [flags]"
                     "\n\nFLAGS:\n", core[k].alias, cmd, core[k].alias, cmd);
            assert_memory_equal(help, head, strlen(head));
            /* the first flag the help shows is accepted and lands in the request */
            char flag[256] = "";
            if (sscanf(help + strlen(head), "\t--%255s", flag) == 1) {
                char arg[300], *argv[] = { (char *)core[k].alias, arg };
                snprintf(arg, sizeof(arg), "--%s", flag);
                struct mc_dyn_args a;
                char err[256], *json = NULL;
                assert_int_equal(mc_dyn_split(2, argv, &a, err, sizeof(err)), 0);
                const cJSON *ep = cJSON_GetArrayItem(cJSON_GetObjectItem(svc, "endpoints"), i);
                int rc = mc_dyn_request(&a, mc_schema_endpoint_request(ep), &json, err,
                                        sizeof(err));
                /* a bare flag is true for bools, "" for strings, an error for numbers */
                assert_true(rc == 0 || rc == MC_EINVAL);
                if (rc == MC_EINVAL)
                    assert_non_null(strstr(err, "Invalid value \"\" for flag"));
                free(json);
                mc_dyn_args_release(&a);
            }
            free(help);
        }
        cJSON_Delete(svc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_endpoint),
        cmocka_unit_test(test_request_nesting),
        cmocka_unit_test(test_request_types),
        cmocka_unit_test(test_request_repeated_and_maps),
        cmocka_unit_test(test_request_errors),
        cmocka_unit_test(test_request_schemaless),
        cmocka_unit_test(test_help_service),
        cmocka_unit_test(test_help_endpoint),
        cmocka_unit_test(test_builtin_names),
        cmocka_unit_test(test_core_services_help),
    };
    return cmocka_run_group_tests_name("dynamic", tests, NULL, NULL);
}
