/*
 * The web dashboard's static files. They live as real files in
 * server/web/assets/ and are compiled into the binary by CMake
 * (cmake/embed_text.cmake), so the dashboard needs nothing installed beside
 * `micro` and the browser fetches nothing from outside the machine. Keep them
 * ASCII (escapes such as \u2026 in scripts): the embedding makes char arrays.
 */
#ifndef MC_SERVER_WEB_ASSETS_H
#define MC_SERVER_WEB_ASSETS_H

#include <stddef.h>

#include "mc_common.h"

/* The embedded files, NUL-terminated (generated web_assets_data.c). */
extern const char mc_web_asset_index_html[];
extern const char mc_web_asset_app_css[];
extern const char mc_web_asset_app_js[];
extern const char mc_web_asset_form_js[];

struct mc_web_asset {
    const char *name;           /* "app.js": served as /assets/app.js */
    const char *content_type;
    const char *data;
    size_t len;
};

/* The asset called name (no leading slash), or NULL. The result is static. */
const struct mc_web_asset *mc_web_asset_find(struct mc_slice name);

#endif
