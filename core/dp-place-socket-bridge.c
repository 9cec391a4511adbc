/* dp-place-socket-bridge.c: a place channel bridged to a channel id of a
 * socket connection
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-connection"

#include "config.h"

#include "dp-error.h"
#include "dp-event-container.h"
#include "dp-place-channel.h"
#include "dp-place-socket-bridge.h"

/**
 * DpPlaceSocketBridge:
 *
 * A place channel joined to one channel of a [class@Dp.SocketConnection]:
 * the seeds' `place-socket-bridge%`. Messages that arrive for channel
 * [method@Dp.PlaceSocketBridge.get_sc_id] on the connection are put on the
 * place channel, so whoever holds its other end gets them; what that other
 * end puts goes over the connection to the same id.
 *
 * In Racket the bridge is an event the message router waits on, copying
 * each message across. Here the channel is bound to the connection
 * ([method@Dp.SocketConnection.bind_channel]): the connection's own
 * reading threads deliver incoming messages, and puts on the other end go
 * to the socket from the putting thread, with no thread and no loop in
 * between. So its [method@Dp.EventContainer.register] adds no source: a
 * bridge works whether or not it is given to a message router.
 *
 * The binding lasts as long as the channel and the connection do; it ends
 * when either closes, not when the bridge is dropped.
 */

struct _DpPlaceSocketBridge
{
  GObject parent_instance;

  DpChannel *pch;
  DpSocketConnection *sch;
  guint32 id;
};

static void dp_place_socket_bridge_event_container_init (DpEventContainerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DpPlaceSocketBridge, dp_place_socket_bridge, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (DP_TYPE_EVENT_CONTAINER,
                                                      dp_place_socket_bridge_event_container_init))

static GPtrArray *
dp_place_socket_bridge_register_events (DpEventContainer *container,
                                        GPtrArray        *events)
{
  /* The connection's threads move the messages: nothing to wait on. */
  return events;
}

static void
dp_place_socket_bridge_event_container_init (DpEventContainerInterface *iface)
{
  iface->register_events = dp_place_socket_bridge_register_events;
}

static void
dp_place_socket_bridge_finalize (GObject *object)
{
  DpPlaceSocketBridge *self = DP_PLACE_SOCKET_BRIDGE (object);

  g_clear_object (&self->pch);
  g_clear_object (&self->sch);

  G_OBJECT_CLASS (dp_place_socket_bridge_parent_class)->finalize (object);
}

static void
dp_place_socket_bridge_class_init (DpPlaceSocketBridgeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dp_place_socket_bridge_finalize;
}

static void
dp_place_socket_bridge_init (DpPlaceSocketBridge *self)
{
}

/**
 * dp_place_socket_bridge_new:
 * @pch: a place channel of this process: one end of a pair whose other
 *   end a place reads
 * @sch: a connection
 * @id: the channel id on @sch that this bridge serves, one the other side
 *   opened (the seeds' `id`, the socket connection's subchannel)
 * @error: return location for a #GError
 *
 * Bridges @pch to channel @id of @sch (the seeds' `new
 * place-socket-bridge%`): messages for @id are put on @pch, messages put
 * on @pch's other end are sent as @id — those it put before the bridge
 * existed first, at once.
 *
 * Returns: (transfer full): the bridge, or %NULL with @error set when @id
 *   is 0 or already in use on @sch
 */
DpPlaceSocketBridge *
dp_place_socket_bridge_new (DpChannel           *pch,
                            DpSocketConnection  *sch,
                            guint32              id,
                            GError             **error)
{
  DpPlaceSocketBridge *self;

  g_return_val_if_fail (DP_IS_CHANNEL (pch), NULL);
  g_return_val_if_fail (DP_IS_SOCKET_CONNECTION (sch), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!dp_socket_connection_bind_channel (sch, id, dp_channel_get_endpoint (pch), error))
    return NULL;

  self = g_object_new (DP_TYPE_PLACE_SOCKET_BRIDGE, NULL);
  self->pch = g_object_ref (pch);
  self->sch = g_object_ref (sch);
  self->id = id;

  return self;
}

/**
 * dp_place_socket_bridge_get_sc_id:
 * @self: a bridge
 *
 * Returns: the channel id on the connection (the seeds' `get-sc-id`)
 */
guint32
dp_place_socket_bridge_get_sc_id (DpPlaceSocketBridge *self)
{
  g_return_val_if_fail (DP_IS_PLACE_SOCKET_BRIDGE (self), 0);
  return self->id;
}

/**
 * dp_place_socket_bridge_get_channel:
 * @self: a bridge
 *
 * Returns: (transfer none): the bridged place channel (the seeds' `pch`)
 */
DpChannel *
dp_place_socket_bridge_get_channel (DpPlaceSocketBridge *self)
{
  g_return_val_if_fail (DP_IS_PLACE_SOCKET_BRIDGE (self), NULL);
  return self->pch;
}

/**
 * dp_place_socket_bridge_get_connection:
 * @self: a bridge
 *
 * Returns: (transfer none): the connection (the seeds' `sch`)
 */
DpSocketConnection *
dp_place_socket_bridge_get_connection (DpPlaceSocketBridge *self)
{
  g_return_val_if_fail (DP_IS_PLACE_SOCKET_BRIDGE (self), NULL);
  return self->sch;
}
