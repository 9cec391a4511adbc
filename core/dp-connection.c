/* dp-connection.c: a connection to a named place
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-connection"

#include "config.h"

#include "dp-connection.h"
#include "dp-error.h"
#include "dp-event-container.h"
#include "dp-place.h"
#include "dp-place-channel-private.h"

/**
 * DpConnection:
 *
 * One client's line to a named place: the seeds' `connection%`. Many
 * clients reach a named place at once; the named place tells them apart
 * because each message arrives as `(message, reply)` — a `(vh)` tuple of
 * the client's message and a channel handle the answer goes to, as
 * Racket's named places receive `(list message src)`. A named place
 * unwraps it with [func@Dp.named_place_message_unwrap].
 *
 * A client puts plain messages on the connection and gets the named
 * place's answers from it. When the named place ends, the client's gets
 * fail with the reason (once its answers are read): a supervisor may
 * start the place again under its name, but this connection led to the
 * instance that ended — connect again to reach the new one.
 */

struct _DpConnection
{
  GObject parent_instance;

  char *name;
  DpChannel *named_place;
  DpPlaceChannel *client;   /* what the client uses */
  DpPlaceChannel *reply;    /* what the named place answers on */
  gulong exited_id;         /* on the named place, when it is a DpPlace */
};

static void dp_connection_channel_iface_init (DpChannelInterface *iface);
static void dp_connection_event_container_init (DpEventContainerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DpConnection, dp_connection, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (DP_TYPE_CHANNEL,
                                                      dp_connection_channel_iface_init)
                               G_IMPLEMENT_INTERFACE (DP_TYPE_EVENT_CONTAINER,
                                                      dp_connection_event_container_init))

typedef struct {
  DpChannel *named_place;
  GVariant *reply_handle;
} Wrapper;

static void
wrapper_free (gpointer data)
{
  Wrapper *wrapper = data;

  g_object_unref (wrapper->named_place);
  g_variant_unref (wrapper->reply_handle);
  g_free (wrapper);
}

static gboolean
wrap_and_send (DpPlaceChannel  *endpoint,
               GVariant        *message,
               gpointer         data,
               GError         **error)
{
  Wrapper *wrapper = data;

  return dp_channel_put (wrapper->named_place,
                         g_variant_new ("(v@h)", message, wrapper->reply_handle), error);
}

static const DpChannelLinkFuncs wrap_funcs = {
  .send = wrap_and_send,
};

static DpPlaceChannel *
dp_connection_get_endpoint (DpChannel *channel)
{
  return DP_CONNECTION (channel)->client;
}

static void
dp_connection_channel_iface_init (DpChannelInterface *iface)
{
  iface->get_endpoint = dp_connection_get_endpoint;
}

static GPtrArray *
dp_connection_register_events (DpEventContainer *container,
                               GPtrArray        *events)
{
  return events;
}

static void
dp_connection_event_container_init (DpEventContainerInterface *iface)
{
  iface->register_events = dp_connection_register_events;
}

static void
dp_connection_dispose (GObject *object)
{
  DpConnection *self = DP_CONNECTION (object);

  if (self->exited_id != 0)
    g_clear_signal_handler (&self->exited_id, self->named_place);
  if (self->reply != NULL)
    dp_place_channel_close_with_reason (self->reply, NULL);
  g_clear_object (&self->reply);
  g_clear_object (&self->client);
  g_clear_object (&self->named_place);

  G_OBJECT_CLASS (dp_connection_parent_class)->dispose (object);
}

static void
dp_connection_finalize (GObject *object)
{
  DpConnection *self = DP_CONNECTION (object);

  g_free (self->name);

  G_OBJECT_CLASS (dp_connection_parent_class)->finalize (object);
}

static void
dp_connection_class_init (DpConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dp_connection_dispose;
  object_class->finalize = dp_connection_finalize;
}

static void
dp_connection_init (DpConnection *self)
{
}

/* The named place ended: nothing will answer on this connection. The
 * place's "exited" comes on its node's loop, while the connection may go
 * away on the thread that reads its peer: the handler holds it weakly. */
static void
close_reply (DpConnection *self,
             DpPlace      *place)
{
  g_autoptr(GError) reason = NULL;

  reason = g_error_new (DP_ERROR, DP_ERROR_PEER_DIED, "Place “%s” %s", dp_place_get_name (place),
                        dp_place_get_exit_reason (place) != NULL ? dp_place_get_exit_reason (place)
                                                                 : "ended");
  if (self->reply != NULL)
    dp_place_channel_close_with_reason (self->reply, reason);
}

static void
named_place_exited_cb (DpPlace  *place,
                       gint      status,
                       GWeakRef *weak)
{
  g_autoptr(DpConnection) self = g_weak_ref_get (weak);

  if (self != NULL)
    close_reply (self, place);
}

static void
weak_ref_free (gpointer  data,
               GClosure *closure)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/**
 * dp_connection_new:
 * @named_place: the named place's channel
 * @name: (nullable): its name, for messages
 *
 * Connects to a named place of this process.
 *
 * Returns: (transfer full): the connection
 */
DpConnection *
dp_connection_new (DpChannel  *named_place,
                   const char *name)
{
  DpConnection *self;
  Wrapper *wrapper;

  g_return_val_if_fail (DP_IS_CHANNEL (named_place), NULL);

  self = g_object_new (DP_TYPE_CONNECTION, NULL);
  self->name = g_strdup (name);
  self->named_place = g_object_ref (named_place);

  wrapper = g_new0 (Wrapper, 1);
  wrapper->named_place = g_object_ref (named_place);
  dp_place_channel_new_reply_pair (&wrap_funcs, wrapper, wrapper_free, &self->client, &self->reply);
  wrapper->reply_handle = g_variant_ref_sink (dp_channel_to_variant (DP_CHANNEL (self->reply)));

  if (DP_IS_PLACE (named_place))
    {
      GWeakRef *weak = g_new0 (GWeakRef, 1);

      g_weak_ref_init (weak, self);
      self->exited_id = g_signal_connect_data (named_place, "exited", G_CALLBACK (named_place_exited_cb),
                                               weak, weak_ref_free, 0);
      if (dp_place_has_exited (DP_PLACE (named_place)))
        close_reply (self, DP_PLACE (named_place));
    }

  return self;
}

const char *
dp_connection_get_name (DpConnection *self)
{
  g_return_val_if_fail (DP_IS_CONNECTION (self), NULL);
  return self->name;
}

/**
 * dp_named_place_message_unwrap:
 * @message: a message a named place got: `(message, reply)`
 * @out_reply: (out) (transfer full): the channel to answer on
 * @error: return location for a #GError
 *
 * Takes a client's message apart.
 *
 * Returns: (transfer full): the client's message, or %NULL with @error set
 *   if @message is not a connection's message
 */
GVariant *
dp_named_place_message_unwrap (GVariant   *message,
                               DpChannel **out_reply,
                               GError    **error)
{
  g_autoptr(GVariant) inner = NULL;
  g_autoptr(GVariant) handle = NULL;
  DpChannel *reply;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (out_reply != NULL, NULL);

  if (!g_variant_is_of_type (message, G_VARIANT_TYPE ("(vh)")))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "A named place expects (message, reply) pairs, got a value of type “%s”",
                   g_variant_get_type_string (message));
      return NULL;
    }

  g_variant_get (message, "(v@h)", &inner, &handle);
  reply = dp_channel_from_variant (handle, error);
  if (reply == NULL)
    return NULL;

  *out_reply = reply;
  return g_steal_pointer (&inner);
}
