/* Unit tests for the API gateway's path resolution (spec §4.7, upstream's "micro" resolver). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "api/api.h"
#include "mc_common.h"

static void expect(const char *path, const char *svc, const char *ep)
{
    char s[256], e[256];
    assert_int_equal(mc_api_resolve(path, strlen(path), s, sizeof(s), e, sizeof(e)), MC_OK);
    assert_string_equal(s, svc);
    assert_string_equal(e, ep);
}

static void test_upstream_rules(void **state)
{
    (void)state;
    expect("/helloworld", "helloworld", "Helloworld.Call");
    expect("/helloworld/call", "helloworld", "Helloworld.Call");
    expect("/registry/listServices", "registry", "Registry.ListServices");
    expect("/registry/get-service", "registry", "Registry.GetService");
    expect("/registry/debug/health", "registry", "Debug.Health");
    expect("/v1/svc/method", "v1.svc", "Svc.Method");
    expect("/a/b/c/d", "a.b", "C.D");
    expect("/a/b/c/d/e", "a.b.c", "D.E");
    expect("//registry//debug/health/", "registry", "Debug.Health");
}

static void test_rejects_paths_without_a_service(void **state)
{
    char s[256], e[256], tiny[4];
    (void)state;
    assert_int_equal(mc_api_resolve("/", 1, s, sizeof(s), e, sizeof(e)), MC_EINVAL);
    assert_int_equal(mc_api_resolve("", 0, s, sizeof(s), e, sizeof(e)), MC_EINVAL);
    assert_int_equal(mc_api_resolve("/registry/x", 11, tiny, sizeof(tiny), e, sizeof(e)),
                     MC_EINVAL);
    assert_int_equal(mc_api_resolve("/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", 34, s, sizeof(s), e,
                                    sizeof(e)), MC_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upstream_rules),
        cmocka_unit_test(test_rejects_paths_without_a_service),
    };
    return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
