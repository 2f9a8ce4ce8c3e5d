/*
 * The server's Ed25519 key pair: from MICRO_AUTH_PUBLIC_KEY and
 * MICRO_AUTH_PRIVATE_KEY (base64 of the raw 32-byte public key and of the
 * 64-byte secret key or its 32-byte seed), else from $MICRO_HOME/auth_public_key
 * and auth_private_key (the same base64 text, created 0600 on first start so
 * every token survives a restart), else generated in memory.
 */
#include "auth_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "mc_log.h"
#include "settings.h"
#include "mc_banned.h"

#define KEY_FILE_MAX 256

/* Decodes base64 (padded or not, standard or URL-safe alphabet) into exactly
 * one of the accepted sizes. Returns the decoded length or -1. */
static int decode_key(const char *b64, uint8_t *out, size_t cap)
{
    static const int variants[] = {
        sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
        sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING,
    };
    size_t len = strlen(b64);

    while (len && (b64[len - 1] == '\n' || b64[len - 1] == '\r' || b64[len - 1] == ' '))
        len--;
    for (size_t i = 0; i < MC_ARRAY_LEN(variants); i++) {
        size_t n;
        const char *end;
        if (sodium_base642bin(out, cap, b64, len, NULL, &n, &end, variants[i]) == 0 &&
            end == b64 + len)
            return (int)n;
    }
    return -1;
}

/* Sets a->pk/sk from base64 texts and checks that they belong together. */
static int set_pair(struct mc_auth *a, const char *pub_b64, const char *priv_b64,
                    const char *where)
{
    uint8_t priv[crypto_sign_SECRETKEYBYTES], derived[crypto_sign_PUBLICKEYBYTES];
    int n;

    if (decode_key(pub_b64, a->pk, sizeof(a->pk)) != crypto_sign_PUBLICKEYBYTES) {
        mc_log_error("cannot use the auth public key from %s: not base64 of 32 bytes", where);
        return MC_EINVAL;
    }
    n = decode_key(priv_b64, priv, sizeof(priv));
    if (n == crypto_sign_SEEDBYTES) {
        crypto_sign_seed_keypair(derived, a->sk, priv);
    } else if (n == crypto_sign_SECRETKEYBYTES) {
        memcpy(a->sk, priv, sizeof(a->sk));
    } else {
        mc_log_error("cannot use the auth private key from %s: not base64 of 32 or 64 bytes",
                     where);
        return MC_EINVAL;
    }
    sodium_memzero(priv, sizeof(priv));
    crypto_sign_ed25519_sk_to_pk(derived, a->sk);
    if (sodium_memcmp(derived, a->pk, sizeof(derived)) != 0) {
        mc_log_error("the auth keys from %s are not one key pair", where);
        return MC_EINVAL;
    }
    return MC_OK;
}

/* Reads a small key file into buf. MC_ENOTFOUND when it does not exist. */
static int read_key_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return errno == ENOENT ? MC_ENOTFOUND : MC_EIO;
    n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0)
        return MC_EIO;
    buf[n] = '\0';
    return MC_OK;
}

/* Writes text to a new file, 0600, synced before it counts as written. */
static int write_key_file(const char *path, const char *text)
{
    size_t len = strlen(text);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int ok;

    if (fd < 0)
        return MC_EIO;
    ok = write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    close(fd);
    return ok ? MC_OK : MC_EIO;
}

static int generate_files(struct mc_auth *a, const char *pub_path, const char *priv_path)
{
    char pub[KEY_FILE_MAX], priv[KEY_FILE_MAX];
    int rc;

    crypto_sign_keypair(a->pk, a->sk);
    sodium_bin2base64(pub, sizeof(pub), a->pk, sizeof(a->pk), sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(priv, sizeof(priv), a->sk, sizeof(a->sk), sodium_base64_VARIANT_ORIGINAL);
    /* the private key first: a crash in between leaves no public key without its pair */
    rc = write_key_file(priv_path, priv);
    if (rc == MC_OK)
        rc = write_key_file(pub_path, pub);
    sodium_memzero(priv, sizeof(priv));
    if (rc < 0)
        mc_log_error("cannot write the auth keys under %s: %s", pub_path, strerror(errno));
    else
        mc_log_info("Generated the auth key pair in %s", priv_path);
    return rc;
}

static int load_files(struct mc_auth *a, const char *home)
{
    char pub_path[MC_PATH_MAX + 32], priv_path[MC_PATH_MAX + 32];
    char pub[KEY_FILE_MAX], priv[KEY_FILE_MAX];
    int rp, rs, rc;

    snprintf(pub_path, sizeof(pub_path), "%s/auth_public_key", home);
    snprintf(priv_path, sizeof(priv_path), "%s/auth_private_key", home);
    rp = read_key_file(pub_path, pub, sizeof(pub));
    rs = read_key_file(priv_path, priv, sizeof(priv));
    if (rp == MC_ENOTFOUND && rs == MC_ENOTFOUND)
        return generate_files(a, pub_path, priv_path);
    if (rp < 0 || rs < 0) {
        mc_log_error("cannot read the auth keys %s and %s: %s", pub_path, priv_path,
                     mc_strerror(rp < 0 ? rp : rs));
        return MC_EIO;
    }
    rc = set_pair(a, pub, priv, home);
    sodium_memzero(priv, sizeof(priv));
    return rc;
}

int auth_keys_load(struct mc_auth *a, const struct mc_auth_options *opts)
{
    if (sodium_init() < 0)
        return MC_EIO;
    if (opts->public_key_b64 || opts->private_key_b64) {
        if (!opts->public_key_b64 || !opts->private_key_b64) {
            mc_log_error("MICRO_AUTH_PUBLIC_KEY and MICRO_AUTH_PRIVATE_KEY go together");
            return MC_EINVAL;
        }
        return set_pair(a, opts->public_key_b64, opts->private_key_b64, "the environment");
    }
    if (opts->home)
        return load_files(a, opts->home);
    crypto_sign_keypair(a->pk, a->sk);
    return MC_OK;
}
