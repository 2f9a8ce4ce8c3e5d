/*
 * The user's files under MICRO_HOME (spec §3.9): config.json, a JSON document
 * of string values addressed with dot paths ("namespaces.local.current"), and
 * `tokens`, one line per saved login. Both belong to the user: they are read
 * with size limits, a malformed file is an error that names the file (never
 * a crash, never silently replaced), and every write goes to a temporary file
 * that is renamed over the old one, mode 0600, so a crash mid-write leaves
 * the old file intact. MICRO_HOME itself is created 0700.
 *
 * Environments live in config.json as upstream keeps them: "envs" is a JSON
 * *string* holding {"<name>":{"Name","ProxyAddress","Description"}} for the
 * user-added ones; the builtins `local` and `platform` are merged at read time.
 */
#ifndef MC_CLIENT_USERCONF_H
#define MC_CLIENT_USERCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_buf.h"

#define MC_USERCONF_MAX_FILE (1024u * 1024u)   /* config.json and tokens, each */
#define MC_USERCONF_MAX_PATH 1024              /* a dot path */
#define MC_USERCONF_MAX_DEPTH 32               /* components of a dot path */
#define MC_USERCONF_MAX_ENVS 1024
#define MC_USERCONF_MAX_TOKENS 4096            /* lines in the tokens file */

#define MC_ENV_LOCAL "local"
#define MC_ENV_LOCAL_ADDRESS "127.0.0.1:8081"
#define MC_ENV_PLATFORM "platform"
#define MC_ENV_PLATFORM_ADDRESS "proxy.m3o.com"

struct mc_userconf;
struct cJSON;

/*
 * Opens the user's files. config_file is the path of config.json (NULL or ""
 * = $MICRO_HOME/config.json, MICRO_HOME defaulting to $HOME/.micro); the
 * tokens file lives beside it. Creates the directory (0700) and config.json
 * as {"env":"local"} (0600) when missing, then loads it. On success *out owns
 * the loaded document. On error returns MC_EIO (cannot create/read/write),
 * MC_ETOOBIG (file over MC_USERCONF_MAX_FILE) or MC_EPROTO (not a JSON
 * object) with a one-line message naming the file in err; *out is NULL.
 */
int mc_userconf_open(struct mc_userconf **out, const char *config_file, char *err,
                     size_t errlen);
void mc_userconf_free(struct mc_userconf *uc);

const char *mc_userconf_config_path(const struct mc_userconf *uc);
const char *mc_userconf_tokens_path(const struct mc_userconf *uc);

/*
 * The value at a dot path as upstream's `config.Get`: a string value as it
 * is (trimmed), any other value as its compact JSON, "" when missing or null.
 * Returns a heap string (free()), never NULL.
 */
char *mc_userconf_get(const struct mc_userconf *uc, const char *path);

/*
 * Sets the string value at a dot path in memory, creating objects along the
 * way and replacing non-object values in the way. Returns 0, MC_EINVAL for an
 * empty path or an empty component ("a..b"), MC_ETOOBIG past the limits.
 */
int mc_userconf_set(struct mc_userconf *uc, const char *path, const char *value);

/* Removes the value at a dot path in memory (no error when missing); objects
 * left empty are kept, as upstream. Returns 0 or MC_EINVAL. */
int mc_userconf_delete(struct mc_userconf *uc, const char *path);

/*
 * Writes the document to config.json atomically (temp file + rename, 0600),
 * compact with keys sorted as Go's encoder writes maps, no final newline.
 * Returns 0 or MC_EIO with a message in err.
 */
int mc_userconf_save(struct mc_userconf *uc, char *err, size_t errlen);

/* ---- environments ------------------------------------------------------------------ */

struct mc_env {
    char *name;
    char *address;     /* as stored ("example.com"), may be "" */
    char *description;
    bool builtin;
};

struct mc_env_list {
    struct mc_env *items; /* sorted by name */
    size_t count;
};

/*
 * Every environment (user-added merged with the builtins, which win as
 * upstream), sorted by name, into list (released first). Returns 0, or
 * MC_EPROTO with a message in err when "envs" is not valid JSON.
 */
int mc_userconf_envs(const struct mc_userconf *uc, struct mc_env_list *list, char *err,
                     size_t errlen);
void mc_env_list_release(struct mc_env_list *list);
/* The entry named name in list, or NULL. */
const struct mc_env *mc_env_list_find(const struct mc_env_list *list, const char *name);

/* Adds or replaces a user environment in memory (save with mc_userconf_save).
 * Returns 0, MC_EINVAL (empty name), MC_ETOOBIG, or MC_EPROTO (bad "envs"). */
int mc_userconf_env_add(struct mc_userconf *uc, const char *name, const char *address,
                        char *err, size_t errlen);
/* Removes a user environment in memory. MC_ENOTFOUND when it is not a user one. */
int mc_userconf_env_del(struct mc_userconf *uc, const char *name, char *err, size_t errlen);

/*
 * The address to dial for an environment's proxy address as upstream
 * resolves it: one without a port gets ":443" ("example.com" →
 * "example.com:443", "::1" → "[::1]:443"); *tls is true for port 443.
 * Returns 0, or MC_ETOOBIG when out is too small.
 */
int mc_env_dial_address(const char *address, char *out, size_t outlen, bool *tls);

/* ---- tokens ------------------------------------------------------------------------ */

struct mc_token {
    char *access_token;  /* heap, never NULL after a successful parse */
    char *refresh_token; /* heap, may be "" */
    int64_t created;     /* unix seconds */
    int64_t expiry;      /* unix seconds */
};
void mc_token_init(struct mc_token *t);
void mc_token_release(struct mc_token *t);

/* Key of a saved token: "micro://<address>/<namespace>/<account id>". */
int mc_token_key(struct mc_buf *out, const char *address, const char *ns, const char *account);

/*
 * One line of the tokens file: "<key>:<base64(JSON)>" where the payload is
 * after the last ':'. parse fills *key (heap) and tok (released first).
 * Returns 0 or MC_EPROTO (no ':' or a key without "micro://", bad base64,
 * bad JSON, no access_token) / MC_ETOOBIG.
 */
int mc_token_line_parse(const char *line, size_t len, char **key, struct mc_token *tok);

/* An int64 field as jsonpb writes it (a JSON string) or as a number; 0 when absent
 * or not an integer. Shared by the token file and Auth.Token answers. */
int64_t mc_json_i64(const struct cJSON *v);
/* Appends "<key>:<base64>\n". Returns 0 or MC_ETOOBIG. */
int mc_token_line_format(struct mc_buf *out, const char *key, const struct mc_token *tok);

/*
 * The saved token for (address, ns, account): the exact key, or when account
 * is empty or not found the first token whose key is for address and ns, as
 * upstream falls back. Returns 0 (tok filled), MC_ENOTFOUND, or MC_EIO /
 * MC_EPROTO / MC_ETOOBIG with a message naming the file in err.
 */
int mc_userconf_token_get(const struct mc_userconf *uc, const char *address, const char *ns,
                          const char *account, struct mc_token *tok, char *err, size_t errlen);
/* Saves tok under the key (replacing one with the same key); atomic write 0600. */
int mc_userconf_token_put(const struct mc_userconf *uc, const char *address, const char *ns,
                          const char *account, const struct mc_token *tok, char *err,
                          size_t errlen);
/* Removes the token under the key; MC_OK when there was none. Atomic write 0600. */
int mc_userconf_token_remove(const struct mc_userconf *uc, const char *address, const char *ns,
                             const char *account, char *err, size_t errlen);

/*
 * The claims the client needs from an access token, read from its payload
 * without verifying the signature (the server verifies; the client only
 * needs to know who it is and when it expires): sub into account, name (or
 * "" when absent) into name, exp into *exp. Returns 0 or MC_EPROTO.
 */
int mc_token_inspect(const char *access_token, char *account, size_t account_len, char *name,
                     size_t name_len, int64_t *exp);

#endif
