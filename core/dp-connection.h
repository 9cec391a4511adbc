/* dp-connection.h: a connection to a named place
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"

#include "dp-channel.h"

G_BEGIN_DECLS

#define DP_TYPE_CONNECTION (dp_connection_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpConnection, dp_connection, DP, CONNECTION, GObject)

DP_AVAILABLE_IN_ALL
DpConnection *dp_connection_new              (DpChannel    *named_place,
                                              const char   *name);
DP_AVAILABLE_IN_ALL
const char   *dp_connection_get_name         (DpConnection *self);

DP_AVAILABLE_IN_ALL
GVariant     *dp_named_place_message_unwrap  (GVariant     *message,
                                              DpChannel   **out_reply,
                                              GError      **error);

G_END_DECLS
