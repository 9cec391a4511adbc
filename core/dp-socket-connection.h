/* dp-socket-connection.h: channels multiplexed over one stream socket
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"

#include <gio/gio.h>

#include "dp-place-channel.h"

G_BEGIN_DECLS

#define DP_TYPE_SOCKET_CONNECTION (dp_socket_connection_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpSocketConnection, dp_socket_connection, DP, SOCKET_CONNECTION, GObject)

/**
 * DP_SOCKET_CONNECTION_FIRST_CHANNEL:
 *
 * The channel id both sides of a new connection agree on without asking:
 * a place's own channel, for the processes backend.
 */
#define DP_SOCKET_CONNECTION_FIRST_CHANNEL 1

/**
 * DpSocketConnectionControlFunc:
 * @connection: the connection
 * @kind: the frame kind
 * @channel: the channel id the frame names, or 0
 * @aux: the frame's kind-specific number
 * @payload: (nullable): the frame's message, checked and in normal form
 * @user_data: data given with the handler
 *
 * Handles a frame that is not channel traffic: the message router's
 * requests. Called on the thread that read it.
 *
 * Returns: %FALSE if @kind is not understood: the connection closes
 */
typedef gboolean (*DpSocketConnectionControlFunc) (DpSocketConnection *connection,
                                                   guint               kind,
                                                   guint32             channel,
                                                   guint32             aux,
                                                   GVariant           *payload,
                                                   gpointer            user_data);

/**
 * DpSocketConnectionReasonFunc:
 * @connection: the connection
 * @reason: why it closed, as far as the connection knows
 * @user_data: data given with the function
 *
 * Lets the connection's owner say better why it closed — a place
 * backend knows the process died of a signal — before every channel on it
 * dies with that reason. Called on the thread that noticed; may wait a
 * little for the answer.
 *
 * Returns: (transfer full) (nullable): a better reason, or %NULL
 */
typedef GError * (*DpSocketConnectionReasonFunc) (DpSocketConnection *connection,
                                                  const GError       *reason,
                                                  gpointer            user_data);

DP_AVAILABLE_IN_ALL
DpSocketConnection *dp_socket_connection_new              (GSocket            *socket,
                                                           gboolean            initiator);
DP_AVAILABLE_IN_ALL
void                dp_socket_connection_set_frame_limit  (DpSocketConnection *self,
                                                           guint32             limit);
DP_AVAILABLE_IN_ALL
void                dp_socket_connection_set_control_handler (DpSocketConnection *self,
                                                              DpSocketConnectionControlFunc handler,
                                                              gpointer            user_data,
                                                              GDestroyNotify      destroy);
DP_AVAILABLE_IN_ALL
void                dp_socket_connection_set_reason_func  (DpSocketConnection *self,
                                                           DpSocketConnectionReasonFunc func,
                                                           gpointer            user_data,
                                                           GDestroyNotify      destroy);
DP_AVAILABLE_IN_ALL
void                dp_socket_connection_start            (DpSocketConnection *self);
DP_AVAILABLE_IN_ALL
DpPlaceChannel     *dp_socket_connection_open_channel     (DpSocketConnection *self,
                                                           guint32             id);
DP_AVAILABLE_IN_ALL
DpPlaceChannel     *dp_socket_connection_open_new_channel (DpSocketConnection *self,
                                                           guint32            *out_id);
DP_AVAILABLE_IN_ALL
gboolean            dp_socket_connection_bind_channel     (DpSocketConnection *self,
                                                           guint32             id,
                                                           DpPlaceChannel     *endpoint,
                                                           GError            **error);
DP_AVAILABLE_IN_ALL
gboolean            dp_socket_connection_send_control     (DpSocketConnection *self,
                                                           guint               kind,
                                                           guint32             channel,
                                                           guint32             aux,
                                                           GVariant           *payload,
                                                           GError            **error);
DP_AVAILABLE_IN_ALL
void                dp_socket_connection_close            (DpSocketConnection *self,
                                                           const GError       *reason);
DP_AVAILABLE_IN_ALL
gboolean            dp_socket_connection_is_closed        (DpSocketConnection *self);
DP_AVAILABLE_IN_ALL
GSocket            *dp_socket_connection_get_socket       (DpSocketConnection *self);
DP_AVAILABLE_IN_ALL
void                dp_socket_connection_set_description  (DpSocketConnection *self,
                                                           const char         *description);
DP_AVAILABLE_IN_ALL
char               *dp_socket_connection_dup_description  (DpSocketConnection *self);

G_END_DECLS
