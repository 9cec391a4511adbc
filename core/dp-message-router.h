/* dp-message-router.h: a message router in a thread, and the requests its
 * channel takes (the seeds' API version 3)
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

/**
 * DP_MR_SPAWN_REMOTE_NODE:
 *
 * The tag of the request [func@Dp.mr_spawn_remote_node] puts:
 * `('spawn-remote-node', host, listen_port, solo)`, type `(ssub)`.
 */
#define DP_MR_SPAWN_REMOTE_NODE "spawn-remote-node"

/**
 * DP_MR_SUPERVISE_NAMED_DYNAMIC_PLACE_AT:
 *
 * The tag of the request [func@Dp.mr_supervise_named_dynamic_place_at]
 * puts: `('supervise-named-dynamic-place-at', host, port, name, module,
 * function)`, type `(ssusss)`.
 */
#define DP_MR_SUPERVISE_NAMED_DYNAMIC_PLACE_AT "supervise-named-dynamic-place-at"

/**
 * DP_MR_CONNECT_TO:
 *
 * The tag of the request [func@Dp.mr_connect_to] puts:
 * `('connect-to', host, port, name, channel)`, type `(ssush)`.
 */
#define DP_MR_CONNECT_TO "connect-to"

/**
 * DP_MR_NEW_PLACE_CHANNEL:
 *
 * The tag of the request [func@Dp.send_new_place_channel_to_named_dest]
 * puts: `('new-place-channel', src_id, host, port, name, channel)`, type
 * `(svsush)`.
 */
#define DP_MR_NEW_PLACE_CHANNEL "new-place-channel"

DP_AVAILABLE_IN_ALL
DpChannel *dp_start_message_router_thread          (guint         listen_port,
                                                    GPtrArray    *nodes,
                                                    GThread     **out_thread,
                                                    GError      **error);

DP_AVAILABLE_IN_ALL
void       dp_mr_spawn_remote_node                 (DpChannel    *mrch,
                                                    const char   *host,
                                                    guint         listen_port,
                                                    gboolean      solo);
DP_AVAILABLE_IN_ALL
void       dp_mr_supervise_named_dynamic_place_at  (DpChannel    *mrch,
                                                    const char   *host,
                                                    guint         port,
                                                    const char   *name,
                                                    const char   *module,
                                                    const char   *function);
DP_AVAILABLE_IN_ALL
DpChannel *dp_mr_connect_to                        (DpChannel    *mrch,
                                                    const char   *host,
                                                    guint         port,
                                                    const char   *name);
DP_AVAILABLE_IN_ALL
DpChannel *dp_send_new_place_channel_to_named_dest (DpChannel    *mrch,
                                                    GVariant     *src_id,
                                                    const char   *host,
                                                    guint         port,
                                                    const char   *name);

G_END_DECLS
