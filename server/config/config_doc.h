/*
 * The config document of one namespace (spec §7.1, §7.2), as upstream stores it:
 * a JSON object whose every leaf is wrapped as {"value":"<JSON text>","leaf":true},
 * secrets as {"value":"<base64 ciphertext>","leaf":true,"secret":true}. Paths are
 * dot-separated ("helloworld.db.host"; "" is the whole document). Setting an
 * object merges it leaf by leaf into what is there; setting anything else
 * replaces the node at the path. Reading unwraps the leaves: secrets read as
 * "[secret]" unless decryption is asked for; objects come out with their keys
 * sorted (as Go prints maps); a missing path reads as null.
 *
 * Secrets are sealed with libsodium's XChaCha20-Poly1305 AEAD under a 32-byte
 * key: base64(nonce || ciphertext+tag). Pure functions on cJSON trees: the
 * config service loads and stores the document.
 */
#ifndef MC_CONFIG_DOC_H
#define MC_CONFIG_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mc_buf.h"
#include "mc_error.h"

#define MC_CONFIG_KEY_BYTES 32
/* Limits: path length and segments, document nesting. */
#define MC_CONFIG_PATH_MAX 1024
#define MC_CONFIG_DEPTH_MAX 32

/* Parses a stored document (NULL or empty text: a new empty object). *root is the
 * caller's (cJSON_Delete). MC_EINVAL when the text is not a JSON object. */
int mc_config_doc_load(const char *text, size_t len, cJSON **root);
/* The stored form of root, appended to out. 0 or MC_ETOOBIG. */
int mc_config_doc_save(const cJSON *root, struct mc_buf *out);

/*
 * Sets data (JSON text) at path. key: the secret key, needed only when secret is
 * true. Errors (err set, document unchanged): 400 for a bad path, data that is
 * not JSON, or a non-object at the root; 500 "Can't encode secret: secret key is
 * not set" when secret without a key.
 */
int mc_config_doc_set(cJSON *root, const char *path, const char *data, size_t len, bool secret,
                      const uint8_t *key, struct mc_error *err);

/*
 * Appends the JSON of the subtree at path to out ("null" when missing). With
 * decrypt, secret leaves are opened with key (500 when that fails or there is no
 * key); without, they read "[secret]".
 */
int mc_config_doc_get(const cJSON *root, const char *path, bool decrypt, const uint8_t *key,
                      struct mc_buf *out, struct mc_error *err);

/* Removes the subtree at path (a missing path is not an error; "" empties the
 * document). 400 for a bad path. */
int mc_config_doc_delete(cJSON *root, const char *path, struct mc_error *err);

#endif
