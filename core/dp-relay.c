/* dp-relay.c: two channels joined end to end by a main loop
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-node"

#include "config.h"

#include "dp-place-channel-private.h"
#include "dp-relay-private.h"

struct _DpRelay
{
  gatomicrefcount ref_count;
  GMutex lock;
  DpChannel *ends[2];
  GSource *sources[2];
  gboolean done;
};

DpRelay *
dp_relay_ref (DpRelay *relay)
{
  g_atomic_ref_count_inc (&relay->ref_count);
  return relay;
}

void
dp_relay_unref (DpRelay *relay)
{
  if (!g_atomic_ref_count_dec (&relay->ref_count))
    return;

  g_clear_object (&relay->ends[0]);
  g_clear_object (&relay->ends[1]);
  g_mutex_clear (&relay->lock);
  g_free (relay);
}

/* Ends the relay once: @victim dies with @reason, the other end with
 * none (both with @reason when @victim is %NULL), and both sources go.
 * Returns %FALSE if it had ended already. */
static gboolean
relay_finish (DpRelay      *relay,
              DpChannel    *victim,
              const GError *reason)
{
  GSource *sources[2];

  g_mutex_lock (&relay->lock);
  if (relay->done)
    {
      g_mutex_unlock (&relay->lock);
      return FALSE;
    }
  relay->done = TRUE;
  sources[0] = g_steal_pointer (&relay->sources[0]);
  sources[1] = g_steal_pointer (&relay->sources[1]);
  g_mutex_unlock (&relay->lock);

  for (guint i = 0; i < 2; i++)
    {
      DpChannel *end = relay->ends[i];

      dp_place_channel_close_with_reason (dp_channel_get_endpoint (end),
                                          victim == NULL || end == victim ? reason : NULL);
    }
  for (guint i = 0; i < 2; i++)
    if (sources[i] != NULL)
      {
        g_source_destroy (sources[i]);
        g_source_unref (sources[i]);
      }

  return TRUE;
}

static gboolean
relay_ready_cb (DpChannel *from,
                gpointer   data)
{
  DpRelay *relay = data;
  DpChannel *to = from == relay->ends[0] ? relay->ends[1] : relay->ends[0];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      DpCredit credit = { NULL, 0 }, saved;
      g_autoptr(GVariant) message = dp_place_channel_pop_full (dp_channel_get_endpoint (from), 0,
                                                               &credit, NULL, &error);
      gboolean ok;

      if (message == NULL && error == NULL)
        return G_SOURCE_CONTINUE;
      if (message == NULL)
        {
          /* @from is gone: what it sent is across; its reason goes on. */
          relay_finish (relay, to, error);
          return G_SOURCE_REMOVE;
        }
      /* Handed on with its credit, never waiting: the loop serves other
       * relays, and both ways of this one. A message from another process
       * is held back where it came from until the far side consumes it;
       * one from this process is not (local channels have no window). */
      dp_place_channel_enter_forward (&credit, &saved);
      ok = dp_channel_put (to, message, &error);
      dp_place_channel_leave_forward (&saved);
      if (!ok)
        {
          /* Nobody to deliver to: @from's sender learns why. */
          g_debug ("relay: %s", error->message);
          relay_finish (relay, from, error);
          return G_SOURCE_REMOVE;
        }
    }
}

/* Joins @a and @b on @context: what arrives on either is put on the
 * other. The relay keeps itself alive until one side closes; the result
 * is a reference for dp_relay_stop(). */
DpRelay *
dp_relay_new (DpChannel    *a,
              DpChannel    *b,
              GMainContext *context)
{
  DpRelay *relay = g_new0 (DpRelay, 1);
  GSource *sources[2];

  g_atomic_ref_count_init (&relay->ref_count);
  g_mutex_init (&relay->lock);
  relay->ends[0] = g_object_ref (a);
  relay->ends[1] = g_object_ref (b);

  for (guint i = 0; i < 2; i++)
    {
      sources[i] = dp_channel_create_source (relay->ends[i]);
      g_source_set_static_name (sources[i], "dp-relay");
      g_source_set_callback (sources[i], G_SOURCE_FUNC (relay_ready_cb), dp_relay_ref (relay),
                             (GDestroyNotify) dp_relay_unref);
      relay->sources[i] = g_source_ref (sources[i]);
    }

  /* A callback may end the relay at once, on @context's thread: it waits
   * for the lock until both sources are attached. */
  g_mutex_lock (&relay->lock);
  for (guint i = 0; i < 2; i++)
    {
      g_source_attach (sources[i], context);
      g_source_unref (sources[i]);
    }
  g_mutex_unlock (&relay->lock);

  return relay;
}

/* Ends the relay from outside (its owner is going away): both sides die
 * with @reason. */
void
dp_relay_stop (DpRelay      *relay,
               const GError *reason)
{
  relay_finish (relay, NULL, reason);
}

gboolean
dp_relay_is_done (DpRelay *relay)
{
  gboolean done;

  g_mutex_lock (&relay->lock);
  done = relay->done;
  g_mutex_unlock (&relay->lock);

  return done;
}
