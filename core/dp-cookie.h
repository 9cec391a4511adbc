/* dp-cookie.h: the shared secret nodes prove they hold
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"

#include <glib.h>

G_BEGIN_DECLS

DP_AVAILABLE_IN_ALL
GBytes *dp_cookie_load         (const char  *path,
                                GError     **error);
DP_AVAILABLE_IN_ALL
char   *dp_cookie_default_path (void);
DP_AVAILABLE_IN_ALL
GBytes *dp_cookie_get_process  (void);
DP_AVAILABLE_IN_ALL
void    dp_cookie_set_process  (GBytes      *cookie);
DP_AVAILABLE_IN_ALL
char   *dp_cookie_derive_token (GBytes      *cookie,
                                const char  *purpose);

G_END_DECLS
