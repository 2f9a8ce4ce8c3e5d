/*
 * The config service (spec §7): Config.Get/Set/Delete (and the legacy Read) on
 * one document per namespace, kept in storage database "micro", table "config",
 * key = namespace (config_doc.h has the document's rules). Secrets are sealed with
 * the key from MICRO_CONFIG_SECRET_KEY (base64 of 32 bytes) or
 * $MICRO_HOME/config_secret_key, created (0600) on first start.
 */
#ifndef MC_SERVER_CONFIG_H
#define MC_SERVER_CONFIG_H

struct mc_core;
struct mc_rpc_service;

/* The registration of the "config" core service (core.c's table). */
int mc_config_service_register(struct mc_core *core, struct mc_rpc_service *svc);
void mc_config_service_release(struct mc_core *core);

/* Loads the secret key (see above) into key[32]; creates the file when neither exists.
 * 0, or MC_EINVAL (a bad MICRO_CONFIG_SECRET_KEY) / MC_EIO with a log line. */
int mc_config_load_key(const char *home, unsigned char *key);

#endif
