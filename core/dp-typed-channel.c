/* dp-typed-channel.c: get messages by their tag
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dp-error.h"
#include "dp-message.h"
#include "dp-typed-channel.h"

/**
 * DpTypedChannel:
 *
 * A channel read by message type: the seeds'
 * `named-place-typed-channel%`. Messages are tuples whose first item is a
 * string tag (see [func@Dp.message_get_tag]); a get for one tag returns the
 * first message with it and keeps the others, in order, for later gets.
 */

struct _DpTypedChannel
{
  GObject parent_instance;

  DpChannel *channel;
  GMutex lock;
  GQueue held;    /* GVariant*, received but not yet asked for */
};

G_DEFINE_FINAL_TYPE (DpTypedChannel, dp_typed_channel, G_TYPE_OBJECT)

static void
dp_typed_channel_finalize (GObject *object)
{
  DpTypedChannel *self = DP_TYPED_CHANNEL (object);

  g_queue_clear_full (&self->held, (GDestroyNotify) g_variant_unref);
  g_clear_object (&self->channel);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (dp_typed_channel_parent_class)->finalize (object);
}

static void
dp_typed_channel_class_init (DpTypedChannelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dp_typed_channel_finalize;
}

static void
dp_typed_channel_init (DpTypedChannel *self)
{
  g_mutex_init (&self->lock);
  g_queue_init (&self->held);
}

/**
 * dp_typed_channel_new:
 * @channel: the channel to read from
 *
 * Returns: (transfer full): a typed view of @channel
 */
DpTypedChannel *
dp_typed_channel_new (DpChannel *channel)
{
  DpTypedChannel *self;

  g_return_val_if_fail (DP_IS_CHANNEL (channel), NULL);

  self = g_object_new (DP_TYPE_TYPED_CHANNEL, NULL);
  self->channel = g_object_ref (channel);
  return self;
}

/**
 * dp_typed_channel_get_channel:
 * @self: a typed channel
 *
 * Returns: (transfer none): the channel it reads
 */
DpChannel *
dp_typed_channel_get_channel (DpTypedChannel *self)
{
  g_return_val_if_fail (DP_IS_TYPED_CHANNEL (self), NULL);
  return self->channel;
}

static GVariant *
take_held (DpTypedChannel *self,
           const char     *type)
{
  for (GList *l = self->held.head; l != NULL; l = l->next)
    if (g_strcmp0 (dp_message_get_tag (l->data), type) == 0)
      {
        GVariant *message = l->data;
        g_queue_delete_link (&self->held, l);
        return message;
      }
  return NULL;
}

/**
 * dp_typed_channel_get_timeout:
 * @self: a typed channel
 * @type: the tag wanted
 * @timeout_usec: how long to wait, in microseconds; negative waits forever
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the first message tagged @type, or
 *   %NULL — with @error set when the channel failed, without when the time
 *   ran out
 */
GVariant *
dp_typed_channel_get_timeout (DpTypedChannel  *self,
                              const char      *type,
                              gint64           timeout_usec,
                              GError         **error)
{
  gint64 end_time;
  GVariant *message;

  g_return_val_if_fail (DP_IS_TYPED_CHANNEL (self), NULL);
  g_return_val_if_fail (type != NULL, NULL);

  end_time = timeout_usec < 0 ? -1 : g_get_monotonic_time () + timeout_usec;

  /* One reader at a time: a message read here may belong to a get for
   * another tag, which finds it in held. */
  g_mutex_lock (&self->lock);
  message = take_held (self, type);
  while (message == NULL)
    {
      gint64 remaining = -1;

      /* Out of time still looks at what is already queued: a timeout of 0
       * polls, as it does for dp_channel_get_timeout(). */
      if (end_time >= 0)
        remaining = MAX (end_time - g_get_monotonic_time (), 0);
      message = dp_channel_get_timeout (self->channel, remaining, error);
      if (message == NULL)
        break;
      if (g_strcmp0 (dp_message_get_tag (message), type) != 0)
        {
          g_queue_push_tail (&self->held, message);
          message = NULL;
        }
    }
  g_mutex_unlock (&self->lock);

  return message;
}

/**
 * dp_typed_channel_get:
 * @self: a typed channel
 * @type: the tag wanted
 * @error: return location for a #GError
 *
 * Waits for the first message tagged @type (the seeds' `get` method).
 *
 * Returns: (transfer full): the message, or %NULL with @error set
 */
GVariant *
dp_typed_channel_get (DpTypedChannel  *self,
                      const char      *type,
                      GError         **error)
{
  return dp_typed_channel_get_timeout (self, type, -1, error);
}

/**
 * dp_tc_get:
 * @type: the tag wanted
 * @channel: a typed channel
 * @error: return location for a #GError
 *
 * The seeds' `tc-get`: [method@Dp.TypedChannel.get] with its arguments in
 * Racket's order.
 *
 * Returns: (transfer full): the message, or %NULL with @error set
 */
GVariant *
dp_tc_get (const char      *type,
           DpTypedChannel  *channel,
           GError         **error)
{
  return dp_typed_channel_get (channel, type, error);
}
