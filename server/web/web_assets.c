/* The table of the embedded web assets: see web_assets.h. */
#include "web_assets.h"

#include <string.h>

#include "mc_banned.h"

/* The lengths are taken once, on first use: the arrays come from another
 * translation unit, so sizeof cannot see them. */
static struct mc_web_asset assets[] = {
    { "index.html", "text/html; charset=utf-8", mc_web_asset_index_html, 0 },
    { "app.css", "text/css; charset=utf-8", mc_web_asset_app_css, 0 },
    { "app.js", "text/javascript; charset=utf-8", mc_web_asset_app_js, 0 },
    { "form.js", "text/javascript; charset=utf-8", mc_web_asset_form_js, 0 },
};

const struct mc_web_asset *mc_web_asset_find(struct mc_slice name)
{
    for (size_t i = 0; i < sizeof(assets) / sizeof(assets[0]); i++) {
        if (!mc_slice_eq_cstr(name, assets[i].name))
            continue;
        if (assets[i].len == 0)
            assets[i].len = strlen(assets[i].data);
        return &assets[i];
    }
    return NULL;
}
