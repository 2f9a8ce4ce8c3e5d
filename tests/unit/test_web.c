/* Unit tests for the web dashboard's pure parts: the token cookie and the embedded assets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mc_common.h"
#include "web/web.h"
#include "web/web_assets.h"

static void expect_cookie(const char *header, const char *name, const char *want)
{
    struct mc_slice v = mc_web_cookie(mc_slice_cstr(header), name);
    assert_int_equal(v.len, strlen(want));
    assert_memory_equal(v.ptr, want, v.len);
}

static void test_cookie(void **state)
{
    (void)state;
    expect_cookie("micro-token=abc", "micro-token", "abc");
    expect_cookie("a=b; micro-token=abc.def; c=d", "micro-token", "abc.def");
    expect_cookie("a=b;micro-token=x", "micro-token", "x");
    /* a cookie whose name only ends or starts with the name is another cookie */
    expect_cookie("old-micro-token=x; micro-tokens=y", "micro-token", "");
    expect_cookie("micro-token=", "micro-token", "");
    expect_cookie("", "micro-token", "");
    expect_cookie("micro-token", "micro-token", "");
}

static void test_assets(void **state)
{
    (void)state;
    const struct mc_web_asset *page = mc_web_asset_find(MC_SLICE_LIT("index.html"));
    assert_non_null(page);
    assert_string_equal(page->content_type, "text/html; charset=utf-8");
    assert_int_equal(page->len, strlen(page->data));
    /* the page loads only what is embedded beside it */
    assert_non_null(strstr(page->data, "/assets/app.js"));
    assert_non_null(strstr(page->data, "/assets/form.js"));
    assert_non_null(strstr(page->data, "/assets/app.css"));
    assert_null(strstr(page->data, "http"));
    assert_non_null(mc_web_asset_find(MC_SLICE_LIT("app.js")));
    assert_null(mc_web_asset_find(MC_SLICE_LIT("../web.c")));
    assert_null(mc_web_asset_find(MC_SLICE_LIT("app.j")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cookie),
        cmocka_unit_test(test_assets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
