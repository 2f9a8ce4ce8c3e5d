/*
 * The §6.5 rule verification (see mc_auth_rules.h): filter the rules that apply
 * to the resource, order them by priority (stable), and let the first rule that
 * speaks for the caller decide.
 */
#include "mc_auth_rules.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mc_banned.h"

static const char *str(const char *s)
{
    return s ? s : "";
}

static bool ieq(const char *a, const char *b)
{
    return strcasecmp(str(a), str(b)) == 0;
}

static bool wild_or_eq(const char *rule, const char *value)
{
    return ieq(rule, "*") || ieq(rule, value);
}

/* Whether pattern is the first i >= 1 segments of endpoint followed by "/" "*". */
static bool path_prefix_matches(const char *pattern, const char *endpoint)
{
    size_t plen = strlen(pattern);
    size_t prefix;

    if (!strchr(endpoint, '/') || plen < 2 || strcmp(pattern + plen - 2, "/*") != 0)
        return false;
    prefix = plen - 2;
    /* the prefix must be whole segments of the endpoint: end there or at a '/'
     * (the whole endpoint counts too, as upstream's loop includes it) */
    if (strncasecmp(pattern, endpoint, prefix) != 0)
        return false;
    return endpoint[prefix] == '\0' || endpoint[prefix] == '/';
}

bool mc_auth_rule_matches(const struct mc_auth_rule *r, const struct mc_auth_resource *res)
{
    const char *ep = str(res->endpoint);

    if (!wild_or_eq(r->resource.type, res->type) || !wild_or_eq(r->resource.name, res->name))
        return false;
    return wild_or_eq(r->resource.endpoint, ep) || path_prefix_matches(str(r->resource.endpoint), ep);
}

static bool account_has_scope(const struct mc_account *a, const char *scope)
{
    for (size_t i = 0; i < a->nscopes; i++)
        if (ieq(a->scopes[i], scope))
            return true;
    return false;
}

/* Highest priority first; ties keep the given order (stable, as Go's SliceStable). */
static int by_priority(const void *pa, const void *pb)
{
    const struct mc_auth_rule *a = *(const struct mc_auth_rule *const *)pa;
    const struct mc_auth_rule *b = *(const struct mc_auth_rule *const *)pb;

    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    return a < b ? -1 : (a > b);
}

/* The verdict of one rule for the caller, or -1 when the rule does not decide. */
static int decide(const struct mc_auth_rule *r, const struct mc_account *acc, const char *ns)
{
    const char *scope = str(r->scope);
    int deny = r->access == MC_AUTH_ACCESS_DENIED;
    int grant = r->access == MC_AUTH_ACCESS_GRANTED;

    if (scope[0] == '\0' && (deny || grant))
        return deny ? MC_AUTH_FORBIDDEN : MC_AUTH_ALLOW;
    if (!acc)
        return -1;
    if (strcmp(scope, MC_AUTH_SCOPE_ANY) != 0 && strcmp(str(acc->issuer), str(ns)) != 0)
        return MC_AUTH_FORBIDDEN;
    if ((strcmp(scope, MC_AUTH_SCOPE_ACCOUNT) == 0 || strcmp(scope, MC_AUTH_SCOPE_ANY) == 0) &&
        (deny || grant))
        return deny ? MC_AUTH_FORBIDDEN : MC_AUTH_ALLOW;
    if (account_has_scope(acc, scope) && (deny || grant))
        return deny ? MC_AUTH_FORBIDDEN : MC_AUTH_ALLOW;
    return -1;
}

enum mc_auth_verdict mc_auth_rules_verify(const struct mc_auth_rule *rules, size_t n,
                                          const struct mc_account *account,
                                          const struct mc_auth_resource *res, const char *ns)
{
    const struct mc_auth_rule **hits;
    size_t nhits = 0;
    int verdict = MC_AUTH_FORBIDDEN;

    if (n > MC_AUTH_RULES_MAX)
        n = MC_AUTH_RULES_MAX;
    hits = mc_malloc((n ? n : 1) * sizeof(*hits));
    for (size_t i = 0; i < n; i++)
        if (mc_auth_rule_matches(&rules[i], res))
            hits[nhits++] = &rules[i];
    qsort(hits, nhits, sizeof(*hits), by_priority);
    for (size_t i = 0; i < nhits; i++) {
        int v = decide(hits[i], account, ns);
        if (v >= 0) {
            verdict = v;
            break;
        }
    }
    free(hits);
    if (verdict == MC_AUTH_FORBIDDEN && !account)
        return MC_AUTH_UNAUTHORIZED;
    return (enum mc_auth_verdict)verdict;
}
