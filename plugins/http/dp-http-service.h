/* dp-http-service.h: the `http` service — the control plane
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define DP_TYPE_HTTP_SERVICE (dp_http_service_get_type ())
G_DECLARE_FINAL_TYPE (DpHttpService, dp_http_service, DP, HTTP_SERVICE, GObject)

/* What the token of the control plane is derived for (see
 * dp_cookie_derive_token()). */
#define DP_HTTP_TOKEN_PURPOSE "dplaces-http-token"

void dp_http_service_register (GTypeModule *module);

G_END_DECLS
