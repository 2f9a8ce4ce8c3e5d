/*
 * The access-rule verification of micro v3 (spec §6.5), pure: rules of one
 * namespace, the caller's account (or none), the resource being called and the
 * namespace the call is verified against go in; allow, 401 or 403 comes out.
 * The same algorithm runs at the proxy, at the API gateway and in user
 * services, so it lives in libmicro and does no I/O.
 *
 * Matching: a rule applies when its resource type is "*" or the resource's
 * type, its name "*" or the resource's name, and its endpoint "*", the
 * resource's endpoint, or for an endpoint holding '/' one of the path prefixes
 * "a/" + "*", "a/b/" + "*", ... (all case-insensitive). Applying rules are taken by
 * priority, highest first, ties in the order given. Scope "" (public) decides
 * for everyone; the rest need an account: an account issued by another
 * namespace is forbidden at the first such rule unless its scope is "+"; "*"
 * and "+" decide for any account; any other scope decides for accounts that
 * hold it (case-insensitive). No deciding rule means forbidden.
 */
#ifndef MC_AUTH_RULES_H
#define MC_AUTH_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "mc_rpc.h" /* struct mc_account */

/* Same numbers as auth.Access on the wire. */
enum mc_auth_access {
    MC_AUTH_ACCESS_UNKNOWN = 0,
    MC_AUTH_ACCESS_GRANTED = 1,
    MC_AUTH_ACCESS_DENIED = 2,
};

#define MC_AUTH_SCOPE_PUBLIC ""
#define MC_AUTH_SCOPE_ACCOUNT "*"     /* any account of the namespace */
#define MC_AUTH_SCOPE_ANY "+"         /* any account of any namespace */

/* A resource: {type, name, endpoint}, e.g. {"service", "helloworld", "Helloworld.Call"}. */
struct mc_auth_resource {
    const char *type;
    const char *name;
    const char *endpoint;
};

/* A rule; strings borrowed (NULL reads as ""). */
struct mc_auth_rule {
    const char *id;
    const char *scope;
    struct mc_auth_resource resource;
    enum mc_auth_access access;
    int32_t priority;
};

/* The outcome, numbered as the micro error the caller gets. */
enum mc_auth_verdict {
    MC_AUTH_ALLOW = 0,
    MC_AUTH_UNAUTHORIZED = 401,   /* forbidden, and no account */
    MC_AUTH_FORBIDDEN = 403,      /* forbidden, with an account */
};

/* Most rules one verification looks at; rules past it are ignored (the rules
 * service refuses to store more per namespace). */
#define MC_AUTH_RULES_MAX 4096

/*
 * Runs the algorithm over rules[0..n) for account (NULL: anonymous) calling
 * res, verified against namespace ns. Never fails (allocation failure aborts).
 */
enum mc_auth_verdict mc_auth_rules_verify(const struct mc_auth_rule *rules, size_t n,
                                          const struct mc_account *account,
                                          const struct mc_auth_resource *res, const char *ns);

/* Whether rule r applies to res (step 1 alone, for tests and listings). */
bool mc_auth_rule_matches(const struct mc_auth_rule *r, const struct mc_auth_resource *res);

#endif
