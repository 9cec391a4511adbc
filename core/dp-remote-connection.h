/* dp-remote-connection.h: a place on another node, or a connection to a
 * named place there
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"

#include <gio/gio.h>

#include "dp-channel.h"

G_BEGIN_DECLS

typedef struct _DpRemoteNode DpRemoteNode;

#define DP_TYPE_REMOTE_CONNECTION (dp_remote_connection_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpRemoteConnection, dp_remote_connection, DP, REMOTE_CONNECTION, GObject)

/**
 * DpOnChannelFunc:
 * @channel: the connection the message came on
 * @message: the message
 * @user_data: data given with the handler
 *
 * Handles a message from a remote place, in the message router's loop
 * (the seeds' `set-on-channel!` callback).
 */
typedef void (*DpOnChannelFunc) (DpChannel *channel,
                                 GVariant  *message,
                                 gpointer   user_data);

DP_AVAILABLE_IN_ALL
DpRemoteNode *dp_remote_connection_get_node        (DpRemoteConnection *self);
DP_AVAILABLE_IN_ALL
const char   *dp_remote_connection_get_name        (DpRemoteConnection *self);
DP_AVAILABLE_IN_ALL
void          dp_remote_connection_set_on_channel  (DpRemoteConnection *self,
                                                    DpOnChannelFunc     callback,
                                                    gpointer            user_data,
                                                    GDestroyNotify      destroy);
DP_AVAILABLE_IN_ALL
gint          dp_remote_connection_wait            (DpRemoteConnection *self);
DP_AVAILABLE_IN_ALL
void          dp_remote_connection_wait_async      (DpRemoteConnection *self,
                                                    GCancellable       *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer            user_data);
DP_AVAILABLE_IN_ALL
gint          dp_remote_connection_wait_finish     (DpRemoteConnection *self,
                                                    GAsyncResult       *result,
                                                    GError            **error);
DP_AVAILABLE_IN_ALL
gboolean      dp_remote_connection_has_exited      (DpRemoteConnection *self);
DP_AVAILABLE_IN_ALL
const char   *dp_remote_connection_get_exit_reason (DpRemoteConnection *self);
DP_AVAILABLE_IN_ALL
guint         dp_remote_connection_get_restarts    (DpRemoteConnection *self);

DP_AVAILABLE_IN_ALL
gint          dp_distributed_place_wait            (DpRemoteConnection *place);

G_END_DECLS
