/* Unit tests for mc_auth_rules: every step of the §6.5 algorithm, one case each,
 * plus the seed document's walkthrough (default rule, onlyloggedin, auth-public). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mc_auth_rules.h"

#define G MC_AUTH_ACCESS_GRANTED
#define D MC_AUTH_ACCESS_DENIED
#define U MC_AUTH_ACCESS_UNKNOWN

static const char *admin_scopes[] = { "admin" };
static const char *svc_scopes[] = { "service", "Billing" };
static const struct mc_account admin = { "admin", "user", "micro", "admin", admin_scopes, 1 };
static const struct mc_account svc = { "svc", "service", "micro", "svc", svc_scopes, 2 };
static const struct mc_account noscope = { "jo", "user", "micro", "jo", NULL, 0 };
static const struct mc_account foreign = { "f", "user", "foo", "f", admin_scopes, 1 };

static const struct mc_auth_resource hello = { "service", "helloworld", "Helloworld.Call" };

static struct mc_auth_rule rule(const char *id, const char *scope, const char *type,
                                const char *name, const char *ep, enum mc_auth_access a, int32_t p)
{
    struct mc_auth_rule r = { id, scope, { type, name, ep }, a, p };
    return r;
}

static enum mc_auth_verdict check(const struct mc_auth_rule *r, size_t n,
                                  const struct mc_account *acc, const struct mc_auth_resource *res)
{
    return mc_auth_rules_verify(r, n, acc, res, "micro");
}

static void test_no_rules(void **state)
{
    (void)state;
    assert_int_equal(check(NULL, 0, NULL, &hello), MC_AUTH_UNAUTHORIZED);
    assert_int_equal(check(NULL, 0, &admin, &hello), MC_AUTH_FORBIDDEN);
}

static void test_default_rule_and_walkthrough(void **state)
{
    struct mc_auth_rule def = rule("default", "", "*", "*", "*", G, 0);
    struct mc_auth_rule after[] = {
        rule("auth-public", "", "service", "auth", "*", G, 0),
        rule("onlyloggedin", "*", "*", "*", "*", G, 0),
    };
    struct mc_auth_resource token = { "service", "auth", "Auth.Token" };
    (void)state;

    assert_int_equal(check(&def, 1, NULL, &hello), MC_AUTH_ALLOW);
    assert_int_equal(check(&def, 1, &admin, &hello), MC_AUTH_ALLOW);
    assert_int_equal(check(after, 2, NULL, &hello), MC_AUTH_UNAUTHORIZED);
    assert_int_equal(check(after, 2, &admin, &hello), MC_AUTH_ALLOW);
    assert_int_equal(check(after, 2, NULL, &token), MC_AUTH_ALLOW);
    /* another namespace's account: forbidden at the first non-"+" rule */
    assert_int_equal(check(after, 2, &foreign, &hello), MC_AUTH_FORBIDDEN);
    /* ... but a public rule still lets it in */
    assert_int_equal(check(after, 2, &foreign, &token), MC_AUTH_ALLOW);
}

static void test_matching(void **state)
{
    struct mc_auth_rule r;
    struct mc_auth_resource web = { "web", "dash", "/foo/bar/baz" };
    (void)state;

    r = rule("r", "", "SERVICE", "HelloWorld", "helloworld.call", G, 0);
    assert_true(mc_auth_rule_matches(&r, &hello));   /* case-insensitive */
    r = rule("r", "", "service", "helloworld", "Helloworld.Other", G, 0);
    assert_false(mc_auth_rule_matches(&r, &hello));
    r = rule("r", "", "web", "*", "*", G, 0);
    assert_false(mc_auth_rule_matches(&r, &hello));
    r = rule("r", "", "*", "other", "*", G, 0);
    assert_false(mc_auth_rule_matches(&r, &hello));
    /* endpoint path prefixes: every leading run of whole segments, then a star */
    r = rule("r", "", "web", "dash", "/foo/*", G, 0);
    assert_true(mc_auth_rule_matches(&r, &web));
    r = rule("r", "", "web", "dash", "/*", G, 0);
    assert_true(mc_auth_rule_matches(&r, &web));
    r = rule("r", "", "web", "dash", "/FOO/bar/*", G, 0);
    assert_true(mc_auth_rule_matches(&r, &web));
    r = rule("r", "", "web", "dash", "/foo/bar/baz/*", G, 0);
    assert_true(mc_auth_rule_matches(&r, &web));
    r = rule("r", "", "web", "dash", "/fo/*", G, 0);   /* not a whole segment */
    assert_false(mc_auth_rule_matches(&r, &web));
    r = rule("r", "", "web", "dash", "/foo/ba*", G, 0);
    assert_false(mc_auth_rule_matches(&r, &web));
    r = rule("r", "", "web", "dash", "/other/*", G, 0);
    assert_false(mc_auth_rule_matches(&r, &web));
    /* an endpoint without '/' gets no prefix forms */
    r = rule("r", "", "service", "helloworld", "Helloworld.Call/*", G, 0);
    assert_false(mc_auth_rule_matches(&r, &hello));
    /* NULL strings read as "" */
    r = rule("r", NULL, NULL, NULL, NULL, G, 0);
    assert_false(mc_auth_rule_matches(&r, &hello));
}

static void test_priority_and_stability(void **state)
{
    struct mc_auth_rule rs[] = {
        rule("deny-low", "", "*", "*", "*", D, 0),
        rule("grant-high", "", "*", "*", "*", G, 10),
    };
    struct mc_auth_rule ties[] = {
        rule("first", "", "*", "*", "*", D, 5),
        rule("second", "", "*", "*", "*", G, 5),
    };
    struct mc_auth_rule neg[] = {
        rule("neg", "", "*", "*", "*", G, -3),
        rule("zero", "", "*", "*", "*", D, 0),
    };
    (void)state;

    assert_int_equal(check(rs, 2, NULL, &hello), MC_AUTH_ALLOW);
    assert_int_equal(check(ties, 2, NULL, &hello), MC_AUTH_UNAUTHORIZED);
    assert_int_equal(check(ties, 2, &admin, &hello), MC_AUTH_FORBIDDEN);
    ties[0].access = G;
    ties[1].access = D;
    assert_int_equal(check(ties, 2, NULL, &hello), MC_AUTH_ALLOW);
    assert_int_equal(check(neg, 2, NULL, &hello), MC_AUTH_UNAUTHORIZED);
}

static void test_public_denied(void **state)
{
    struct mc_auth_rule rs[] = {
        rule("block", "", "service", "helloworld", "*", D, 1),
        rule("default", "", "*", "*", "*", G, 0),
    };
    (void)state;
    assert_int_equal(check(rs, 2, NULL, &hello), MC_AUTH_UNAUTHORIZED);
    assert_int_equal(check(rs, 2, &admin, &hello), MC_AUTH_FORBIDDEN);
}

static void test_scopes(void **state)
{
    struct mc_auth_rule admin_only = rule("a", "admin", "*", "*", "*", G, 0);
    struct mc_auth_rule billing = rule("b", "billing", "*", "*", "*", G, 0);   /* case-insensitive */
    struct mc_auth_rule deny_svc[] = {
        rule("d", "service", "*", "*", "*", D, 1),
        rule("any", "*", "*", "*", "*", G, 0),
    };
    struct mc_auth_rule any_deny = rule("x", "*", "*", "*", "*", D, 0);
    (void)state;

    assert_int_equal(check(&admin_only, 1, &admin, &hello), MC_AUTH_ALLOW);
    assert_int_equal(check(&admin_only, 1, &noscope, &hello), MC_AUTH_FORBIDDEN);
    assert_int_equal(check(&admin_only, 1, NULL, &hello), MC_AUTH_UNAUTHORIZED);
    assert_int_equal(check(&billing, 1, &svc, &hello), MC_AUTH_ALLOW);
    assert_int_equal(check(deny_svc, 2, &svc, &hello), MC_AUTH_FORBIDDEN);
    assert_int_equal(check(deny_svc, 2, &admin, &hello), MC_AUTH_ALLOW);
    assert_int_equal(check(&any_deny, 1, &admin, &hello), MC_AUTH_FORBIDDEN);
}

static void test_namespaces(void **state)
{
    struct mc_auth_rule any_ns = rule("plus", "+", "*", "*", "*", G, 0);
    struct mc_auth_rule mine = rule("star", "*", "*", "*", "*", G, 0);
    struct mc_auth_rule order[] = {
        rule("plus", "+", "*", "*", "*", G, 1),
        rule("star", "*", "*", "*", "*", D, 0),
    };
    struct mc_auth_rule first_forbids[] = {
        rule("admin", "admin", "*", "*", "*", G, 1),
        rule("plus", "+", "*", "*", "*", G, 0),
    };
    (void)state;

    assert_int_equal(check(&any_ns, 1, &foreign, &hello), MC_AUTH_ALLOW);
    assert_int_equal(check(&mine, 1, &foreign, &hello), MC_AUTH_FORBIDDEN);
    assert_int_equal(mc_auth_rules_verify(&mine, 1, &foreign, &hello, "foo"), MC_AUTH_ALLOW);
    assert_int_equal(check(order, 2, &foreign, &hello), MC_AUTH_ALLOW);
    /* the first rule needing the namespace forbids at once, "+" further down is never reached */
    assert_int_equal(check(first_forbids, 2, &foreign, &hello), MC_AUTH_FORBIDDEN);
}

static void test_unknown_access_skipped(void **state)
{
    struct mc_auth_rule rs[] = {
        rule("u1", "", "*", "*", "*", U, 3),
        rule("u2", "*", "*", "*", "*", U, 2),
        rule("u3", "admin", "*", "*", "*", U, 1),
        rule("g", "admin", "*", "*", "*", G, 0),
    };
    (void)state;
    assert_int_equal(check(rs, 4, &admin, &hello), MC_AUTH_ALLOW);
    assert_int_equal(check(rs, 3, &admin, &hello), MC_AUTH_FORBIDDEN);
    assert_int_equal(check(rs, 4, NULL, &hello), MC_AUTH_UNAUTHORIZED);
}

static void test_many_rules(void **state)
{
    size_t n = MC_AUTH_RULES_MAX + 10;
    struct mc_auth_rule *rs = calloc(n, sizeof(*rs));
    (void)state;

    for (size_t i = 0; i < n; i++)
        rs[i] = rule("r", "nobody", "*", "*", "*", G, (int32_t)(i % 7));
    /* past the limit rules are ignored: this public grant is never seen */
    rs[n - 1] = rule("late", "", "*", "*", "*", G, 100);
    assert_int_equal(check(rs, n, NULL, &hello), MC_AUTH_UNAUTHORIZED);
    rs[0] = rule("early", "", "*", "*", "*", G, -1);
    assert_int_equal(check(rs, n, NULL, &hello), MC_AUTH_ALLOW);
    free(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_rules),
        cmocka_unit_test(test_default_rule_and_walkthrough),
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_priority_and_stability),
        cmocka_unit_test(test_public_denied),
        cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_namespaces),
        cmocka_unit_test(test_unknown_access_skipped),
        cmocka_unit_test(test_many_rules),
    };
    return cmocka_run_group_tests_name("auth_rules", tests, NULL, NULL);
}
