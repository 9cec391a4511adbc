/* dp-channel.c: the place channel interface and what works on every kind
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-channel"

#include "config.h"

#include "dp-channel.h"
#include "dp-error.h"
#include "dp-handles-private.h"
#include "dp-place-channel-private.h"
#include "dp-place-private.h"

/**
 * DpChannel:
 *
 * A place channel of any kind — the seeds' `*channel?`.
 *
 * Messages are [struct@GLib.Variant]s. A put never blocks; a get blocks
 * until a message comes or the channel dies; every message put on a live
 * channel is got once, in the order it was put. Inside a process a message
 * is shared by reference, never copied. A channel itself travels inside a
 * message as the handle from [method@Dp.Channel.to_variant] and arrives,
 * through [func@Dp.Channel.from_variant], as a working channel.
 */

G_DEFINE_INTERFACE (DpChannel, dp_channel, G_TYPE_OBJECT)

/* The endpoint behind @self, on every put and get: a place channel is its
 * own, without an interface lookup. */
static inline DpPlaceChannel *
endpoint_of (DpChannel *self)
{
  if (G_LIKELY (G_TYPE_FROM_INSTANCE (self) == DP_TYPE_PLACE_CHANNEL))
    return (DpPlaceChannel *) self;
  return DP_CHANNEL_GET_IFACE (self)->get_endpoint (self);
}

static void
dp_channel_default_init (DpChannelInterface *iface)
{
}

/**
 * dp_channel_get_endpoint:
 * @self: a channel
 *
 * Returns the endpoint that carries @self's messages.
 *
 * Returns: (transfer none): the endpoint
 */
DpPlaceChannel *
dp_channel_get_endpoint (DpChannel *self)
{
  g_return_val_if_fail (DP_IS_CHANNEL (self), NULL);

  return endpoint_of (self);
}

/**
 * dp_channel_put:
 * @self: a channel
 * @message: (transfer floating): the message
 * @error: return location for a #GError
 *
 * Puts @message on @self without waiting for anyone to get it (the seeds'
 * `place-channel-put`). Fails with %DP_ERROR_CLOSED or %DP_ERROR_PEER_DIED
 * when the channel or its other end is gone: a message is never dropped
 * silently.
 *
 * Unlike Racket's, a put on a channel whose other end is in another
 * process waits while the receiver holds a full window of messages it has
 * not got yet (16 MiB; flow control, see `docs/ARCHITECTURE.md`), so that a
 * slow consumer's memory stays bounded; it fails as above if the channel
 * dies meanwhile, or with %DP_ERROR_KILLED if the calling place is killed.
 * Puts on channels within a process never wait.
 *
 * Returns: %TRUE if the message is on its way
 */
gboolean
dp_channel_put (DpChannel  *self,
                GVariant   *message,
                GError    **error)
{
  g_return_val_if_fail (DP_IS_CHANNEL (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return dp_place_channel_push (endpoint_of (self),
                                g_variant_ref_sink (message), error);
}

/**
 * dp_channel_get:
 * @self: a channel
 * @error: return location for a #GError
 *
 * Waits for the next message on @self (the seeds' `place-channel-get`).
 * Fails when the channel is closed, its other end died and nothing is left
 * to read, or the calling place is killed.
 *
 * Returns: (transfer full): the message, or %NULL with @error set
 */
GVariant *
dp_channel_get (DpChannel  *self,
                GError    **error)
{
  g_return_val_if_fail (DP_IS_CHANNEL (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return dp_place_channel_pop (endpoint_of (self), -1, error);
}

/**
 * dp_channel_get_timeout:
 * @self: a channel
 * @timeout_usec: how long to wait, in microseconds; negative waits forever
 * @error: return location for a #GError
 *
 * Like [method@Dp.Channel.get] but gives up after @timeout_usec (the
 * seeds' `sync/timeout`).
 *
 * Returns: (transfer full) (nullable): the message, or %NULL — with @error
 *   set when the channel failed, without when the time ran out
 */
GVariant *
dp_channel_get_timeout (DpChannel  *self,
                        gint64      timeout_usec,
                        GError    **error)
{
  gint64 end_time;

  g_return_val_if_fail (DP_IS_CHANNEL (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (timeout_usec < 0)
    end_time = -1;
  else
    end_time = g_get_monotonic_time () + MAX (timeout_usec, 1);

  return dp_place_channel_pop (endpoint_of (self), end_time, error);
}

/**
 * dp_channel_try_get:
 * @self: a channel
 * @error: return location for a #GError
 *
 * Returns the next message if one is already waiting, without blocking.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL — with @error
 *   set when the channel failed, without when nothing is queued
 */
GVariant *
dp_channel_try_get (DpChannel  *self,
                    GError    **error)
{
  g_return_val_if_fail (DP_IS_CHANNEL (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return dp_place_channel_pop (endpoint_of (self), 0, error);
}

/**
 * dp_channel_put_get:
 * @self: a channel
 * @message: (transfer floating): the message
 * @error: return location for a #GError
 *
 * Puts @message and waits for the next message on @self, typically the
 * reply (the seeds' `place-channel-put/get`).
 *
 * Returns: (transfer full): the reply, or %NULL with @error set
 */
GVariant *
dp_channel_put_get (DpChannel  *self,
                    GVariant   *message,
                    GError    **error)
{
  if (!dp_channel_put (self, message, error))
    return NULL;

  return dp_channel_get (self, error);
}

/**
 * dp_channel_close:
 * @self: a channel
 *
 * Closes this end of @self. Its own gets and puts fail from now on; puts
 * on the other end fail, and gets there fail once the queued messages are
 * read. Closing twice does nothing.
 */
void
dp_channel_close (DpChannel *self)
{
  g_return_if_fail (DP_IS_CHANNEL (self));

  dp_place_channel_close_with_reason (dp_channel_get_endpoint (self), NULL);
}

/**
 * dp_channel_is_closed:
 * @self: a channel
 *
 * Returns: %TRUE if no message can come from @self any more
 */
gboolean
dp_channel_is_closed (DpChannel *self)
{
  g_return_val_if_fail (DP_IS_CHANNEL (self), TRUE);

  return dp_place_channel_is_closed (dp_channel_get_endpoint (self));
}

/**
 * dp_channel_get_n_pending:
 * @self: a channel
 *
 * Returns: how many messages wait in @self's inbox
 */
guint
dp_channel_get_n_pending (DpChannel *self)
{
  g_return_val_if_fail (DP_IS_CHANNEL (self), 0);

  return dp_place_channel_n_pending (dp_channel_get_endpoint (self));
}

/**
 * dp_is_channel:
 * @object: (nullable): anything
 *
 * The seeds' `*channel?`.
 *
 * Returns: whether @object is a channel of any kind
 */
gboolean
dp_is_channel (gpointer object)
{
  return object != NULL && DP_IS_CHANNEL (object);
}

/* sync: wait on several channels, take from the first that is ready. */

typedef struct {
  DpWaiter waiter;
  GMutex mutex;
  GCond cond;
  gboolean notified;
} SyncWaiter;

static void
sync_waiter_notify (DpWaiter *waiter)
{
  SyncWaiter *self = (SyncWaiter *) waiter;

  g_mutex_lock (&self->mutex);
  self->notified = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->mutex);
}

/* Where each thread's next sync starts looking, so that no channel can
 * starve the others however busy it is. */
static GPrivate sync_rotation;

/**
 * dp_channel_sync:
 * @channels: (array length=n_channels): the channels to wait on
 * @n_channels: how many
 * @timeout_usec: how long to wait, in microseconds; negative waits forever
 * @out_index: (out) (optional): which channel the result came from
 * @error: return location for a #GError
 *
 * Waits until one of @channels has a message and returns it (the seeds'
 * `sync` over place channels). When several are ready the choice rotates
 * among them, so a busy channel cannot starve the others. A closed channel
 * counts as ready: its error is returned with @out_index naming it.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL — with @error
 *   set when the chosen channel failed, without when the time ran out
 */
GVariant *
dp_channel_sync (DpChannel **channels,
                 guint       n_channels,
                 gint64      timeout_usec,
                 guint      *out_index,
                 GError    **error)
{
  g_autofree DpPlaceChannel **endpoints = NULL;
  SyncWaiter sync_waiter = { { sync_waiter_notify } };
  DpPlace *place = dp_place_get_current ();
  gint64 end_time;
  guint start;

  g_return_val_if_fail (channels != NULL || n_channels == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (n_channels == 0)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_FAILED, "sync over no channels");
      return NULL;
    }

  endpoints = g_new (DpPlaceChannel *, n_channels);
  for (guint i = 0; i < n_channels; i++)
    endpoints[i] = dp_channel_get_endpoint (channels[i]);

  end_time = timeout_usec < 0 ? -1 : g_get_monotonic_time () + timeout_usec;
  start = GPOINTER_TO_UINT (g_private_get (&sync_rotation));
  g_private_set (&sync_rotation, GUINT_TO_POINTER (start + 1));

  g_mutex_init (&sync_waiter.mutex);
  g_cond_init (&sync_waiter.cond);

  for (;;)
    {
      gboolean timed_out;

      for (guint k = 0; k < n_channels; k++)
        {
          guint i = (start + k) % n_channels;
          GError *local_error = NULL;
          GVariant *message = dp_place_channel_pop (endpoints[i], 0, &local_error);

          if (message != NULL || local_error != NULL)
            {
              g_mutex_clear (&sync_waiter.mutex);
              g_cond_clear (&sync_waiter.cond);
              if (out_index != NULL)
                *out_index = i;
              if (local_error != NULL)
                g_propagate_error (error, local_error);
              return message;
            }
        }

      if (end_time == 0 || (end_time > 0 && g_get_monotonic_time () >= end_time))
        break;

      /* Nothing ready: sleep until any endpoint notifies. The waiter is
       * registered before the re-check, so no message slips between. */
      if (place != NULL && !dp_place_begin_wait (place, &sync_waiter.mutex,
                                                 &sync_waiter.cond, error))
        break;

      sync_waiter.notified = FALSE;
      for (guint i = 0; i < n_channels; i++)
        dp_place_channel_add_waiter (endpoints[i], &sync_waiter.waiter);

      for (guint i = 0; i < n_channels && !sync_waiter.notified; i++)
        if (dp_place_channel_is_ready (endpoints[i]))
          sync_waiter.notified = TRUE;

      timed_out = FALSE;
      g_mutex_lock (&sync_waiter.mutex);
      while (!sync_waiter.notified && !timed_out &&
             !(place != NULL && dp_place_is_killed (place)))
        {
          if (end_time < 0)
            g_cond_wait (&sync_waiter.cond, &sync_waiter.mutex);
          else
            timed_out = !g_cond_wait_until (&sync_waiter.cond, &sync_waiter.mutex, end_time);
        }
      g_mutex_unlock (&sync_waiter.mutex);

      for (guint i = 0; i < n_channels; i++)
        dp_place_channel_remove_waiter (endpoints[i], &sync_waiter.waiter);
      if (place != NULL)
        {
          dp_place_end_wait (place);
          if (dp_place_is_killed (place))
            {
              g_set_error_literal (error, DP_ERROR, DP_ERROR_KILLED, "This place was killed");
              break;
            }
        }
    }

  g_mutex_clear (&sync_waiter.mutex);
  g_cond_clear (&sync_waiter.cond);
  return NULL;
}

/**
 * dp_channel_sync_handle:
 * @cases: (array length=n_cases): channels with their handlers
 * @n_cases: how many
 * @timeout_usec: how long to wait, in microseconds; negative waits forever
 * @error: return location for a #GError
 *
 * Waits on the channels of @cases like [func@Dp.Channel.sync] and calls
 * the handler of the one chosen with its message or its error (the seeds'
 * `sync` over `handle-evt`s).
 *
 * Returns: %TRUE if a handler ran, %FALSE when the time ran out
 */
gboolean
dp_channel_sync_handle (const DpSyncCase *cases,
                        guint             n_cases,
                        gint64            timeout_usec,
                        GError          **error)
{
  g_autofree DpChannel **channels = NULL;
  g_autoptr(GVariant) message = NULL;
  g_autoptr(GError) local_error = NULL;
  guint index = 0;

  g_return_val_if_fail (cases != NULL || n_cases == 0, FALSE);

  channels = g_new (DpChannel *, MAX (n_cases, 1));
  for (guint i = 0; i < n_cases; i++)
    channels[i] = cases[i].channel;

  message = dp_channel_sync (channels, n_cases, timeout_usec, &index, &local_error);
  if (message == NULL && local_error == NULL)
    return FALSE;
  if (message == NULL && n_cases == 0)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  cases[index].handler (cases[index].channel, message, local_error, cases[index].user_data);
  return TRUE;
}

/* A GSource per channel. */

typedef struct {
  DpWaiter waiter;
  GSource *source;
} SourceWaiter;

typedef struct {
  GSource source;
  DpChannel *channel;
  DpPlaceChannel *endpoint;
  SourceWaiter waiter;
} ChannelSource;

static void
source_waiter_notify (DpWaiter *waiter)
{
  /* Thread-safe, and wakes the source's context only when needed. */
  g_source_set_ready_time (((SourceWaiter *) waiter)->source, 0);
}

static gboolean
channel_source_prepare (GSource *source,
                        gint    *timeout)
{
  ChannelSource *self = (ChannelSource *) source;

  *timeout = -1;
  return dp_place_channel_is_ready (self->endpoint);
}

static gboolean
channel_source_check (GSource *source)
{
  ChannelSource *self = (ChannelSource *) source;

  return dp_place_channel_is_ready (self->endpoint);
}

static gboolean
channel_source_dispatch (GSource     *source,
                         GSourceFunc  callback,
                         gpointer     user_data)
{
  ChannelSource *self = (ChannelSource *) source;

  /* Re-arm before the callback: a put after it wakes us again. */
  g_source_set_ready_time (source, -1);

  if (callback == NULL)
    {
      g_warning ("Channel source dispatched without callback. "
                 "You must call g_source_set_callback().");
      return G_SOURCE_REMOVE;
    }

  return ((DpChannelSourceFunc) (void (*) (void)) callback) (self->channel, user_data);
}

static void
channel_source_dispose (GSource *source)
{
  ChannelSource *self = (ChannelSource *) source;

  dp_place_channel_remove_waiter (self->endpoint, &self->waiter.waiter);
}

static void
channel_source_finalize (GSource *source)
{
  ChannelSource *self = (ChannelSource *) source;

  g_clear_object (&self->endpoint);
  g_clear_object (&self->channel);
}

static gboolean
channel_source_closure_callback (DpChannel *channel,
                                 gpointer   data)
{
  GClosure *closure = data;
  GValue params[1] = { G_VALUE_INIT };
  GValue result = G_VALUE_INIT;
  gboolean ret;

  g_value_init (&result, G_TYPE_BOOLEAN);
  g_value_init (&params[0], DP_TYPE_CHANNEL);
  g_value_set_object (&params[0], channel);
  g_closure_invoke (closure, &result, 1, params, NULL);
  ret = g_value_get_boolean (&result);
  g_value_unset (&params[0]);
  g_value_unset (&result);

  return ret;
}

static GSourceFuncs channel_source_funcs = {
  .prepare = channel_source_prepare,
  .check = channel_source_check,
  .dispatch = channel_source_dispatch,
  .finalize = channel_source_finalize,
  .closure_callback = G_SOURCE_FUNC (channel_source_closure_callback),
  .closure_marshal = NULL,
};

/**
 * dp_channel_create_source:
 * @self: a channel
 *
 * Creates a [struct@GLib.Source] that dispatches whenever @self has a
 * message or has closed, so one [struct@GLib.MainLoop] can serve many
 * channels. Set its callback with g_source_set_callback() and a
 * [callback@Dp.ChannelSourceFunc]; the callback gets the message itself.
 *
 * Returns: (transfer full): a new source
 */
GSource *
dp_channel_create_source (DpChannel *self)
{
  GSource *source;
  ChannelSource *channel_source;

  g_return_val_if_fail (DP_IS_CHANNEL (self), NULL);

  source = g_source_new (&channel_source_funcs, sizeof (ChannelSource));
  g_source_set_static_name (source, "DpChannel");
  g_source_set_dispose_function (source, channel_source_dispose);

  channel_source = (ChannelSource *) source;
  channel_source->channel = g_object_ref (self);
  channel_source->endpoint = g_object_ref (dp_channel_get_endpoint (self));
  channel_source->waiter.waiter.notify = source_waiter_notify;
  channel_source->waiter.source = source;
  dp_place_channel_add_waiter (channel_source->endpoint, &channel_source->waiter.waiter);

  return source;
}

/* Channels inside messages. */

/**
 * dp_channel_to_variant:
 * @self: a channel
 *
 * Returns the value that stands for @self inside a message: a GVariant
 * handle (type `h`). Put it anywhere in a message; the receiver turns it
 * back into a working channel with [func@Dp.Channel.from_variant], in this
 * process or, through the transports, on another node.
 *
 * Sending a channel keeps it alive until it is closed. The place that
 * receives it owns it from then on, and closes it when it ends.
 *
 * Returns: (transfer floating): a handle
 */
GVariant *
dp_channel_to_variant (DpChannel *self)
{
  DpPlaceChannel *endpoint;

  g_return_val_if_fail (DP_IS_CHANNEL (self), NULL);

  endpoint = dp_channel_get_endpoint (self);
  if (dp_place_channel_get_owner (endpoint) != NULL)
    dp_place_release_endpoint (dp_place_channel_get_owner (endpoint), endpoint);

  return g_variant_new_handle (dp_handles_export_pinned (G_OBJECT (endpoint)));
}

/**
 * dp_channel_from_variant:
 * @value: a handle from [method@Dp.Channel.to_variant]
 * @error: return location for a #GError
 *
 * Turns a handle found in a message back into a channel. A handle whose
 * channel has since closed gives a closed channel, so gets on it fail
 * rather than block.
 *
 * Returns: (transfer full): the channel, or %NULL with @error set when
 *   @value is not a channel handle
 */
DpChannel *
dp_channel_from_variant (GVariant  *value,
                         GError   **error)
{
  DpPlaceChannel *endpoint;
  DpPlace *place;

  g_return_val_if_fail (value != NULL, NULL);

  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_HANDLE))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Expected a channel handle, got a value of type “%s”",
                   g_variant_get_type_string (value));
      return NULL;
    }

  endpoint = dp_handles_lookup (g_variant_get_handle (value), DP_TYPE_PLACE_CHANNEL);
  if (endpoint == NULL)
    {
      /* Long closed: hand back a dead end rather than nothing. */
      endpoint = g_object_new (DP_TYPE_PLACE_CHANNEL, NULL);
      dp_place_channel_close_with_reason (endpoint, NULL);
      return DP_CHANNEL (endpoint);
    }

  place = dp_place_get_current ();
  if (place != NULL && dp_place_channel_get_owner (endpoint) != place)
    dp_place_adopt_endpoint (place, endpoint);

  return DP_CHANNEL (endpoint);
}
