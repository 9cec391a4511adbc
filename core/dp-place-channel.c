/* dp-place-channel.c: a channel endpoint with its own inbox
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-channel"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dp-error.h"
#include "dp-handles-private.h"
#include "dp-place-channel-private.h"
#include "dp-place-private.h"

/**
 * DpPlaceChannel:
 *
 * One end of a place channel: the seeds' `place-channel`.
 *
 * Every endpoint has an inbox. A put on one end of a pair made by
 * [func@Dp.PlaceChannel.new_pair] lands in the other end's inbox without a
 * copy: the message is an immutable [struct@GLib.Variant] shared by
 * reference. A *linked* endpoint ([ctor@Dp.PlaceChannel.new_linked]) hands
 * its puts to a transport instead, and the transport fills its inbox with
 * [method@Dp.PlaceChannel.deliver]: that is how channels reach other
 * processes and nodes.
 *
 * Closing an end — [method@Dp.Channel.close], dropping the last reference,
 * or the death of the place that owns it — makes puts on the other end
 * fail at once and its gets fail once its queued messages are read.
 */

typedef struct _DpInbox DpInbox;

/* The credit of a queued message that came over a connection, and which
 * message it is: its number among all the inbox ever queued. */
typedef struct {
  guint64 seq;
  DpCredit credit;
} InboxCredit;

struct _DpInbox
{
  gatomicrefcount ref_count;
  GMutex mutex;
  GCond cond;
  GQueue queue;          /* GVariant*, oldest first */
  guint n_blocked;       /* getters sleeping on cond */
  GPtrArray *waiters;    /* DpWaiter*, NULL until the first one */
  gboolean closed;       /* this end closed: gets and puts fail */
  gboolean peer_closed;  /* the other end closed: puts fail, gets drain */
  GError *reason;

  /* Set when the endpoint was sent to another process: what arrives goes
   * straight to the wire instead of the queue. */
  const DpInboxForward *forward;
  gpointer forward_data;

  /* Set when what fills this inbox comes from a connection a getter may
   * read itself (see dp_place_channel_set_peer_reader()). */
  DpInboxReadFunc reader;
  GObject *reader_data;

  /* A reader polling its connection also polls this, so that a message
   * from anywhere else wakes it (see dp_place_channel_begin_poll()). */
  int wake_fd;
  gboolean reader_polling;

  /* A reader blocked in a read of that connection cannot be woken; a
   * message from elsewhere meanwhile marks the inbox mixed, and from then
   * on readers poll. */
  gboolean reader_blocking;
  gboolean mixed;

  /* What arrived here, for the control plane (see
   * dp_place_channel_get_counters()): messages, and the serialized bytes
   * of those that crossed a process. Under mutex. */
  guint64 n_received;
  guint64 bytes_received;

  /* The credits of the queued messages that came over a connection,
   * oldest first, in a ring (its size a power of two): each knows the
   * number of its message, so a pop finds its own without a record per
   * local message, and nothing is allocated per message. */
  InboxCredit *credits;
  guint credits_size;
  guint credits_head;
  guint credits_len;
  guint64 n_pushed;
  guint64 n_popped;
};

struct _DpPlaceChannel
{
  GObject parent_instance;

  DpInbox *inbox;
  DpInbox *peer_inbox;   /* local pair: the other end's inbox */

  const DpChannelLinkFuncs *link;
  gpointer link_data;
  GDestroyNotify link_destroy;

  gpointer owner;        /* DpPlace*, not a reference; see dp_place_adopt_endpoint() */
  GError *close_reason;  /* what the other end hears when this one closes */
  gint wanted;           /* atomic: link->want was called */
  guint async_bi : 1;

  /* What a linked endpoint handed its transport (atomic); a local pair's
   * puts are counted by the other end's inbox. */
  guint64 n_sent;
  guint64 bytes_sent;
};

/* See dp_place_channel_enter_forward(). */
__thread DpHandingOn dp_handing_on __attribute__ ((tls_model ("initial-exec")));

/* The control plane counts messages everywhere, and bytes where messages
 * cross a process — a socket, where they are serialized anyway. Inside a
 * process a message is passed by reference and moves no bytes; not
 * asking its size there keeps g_variant_get_size() (a lock on the
 * message, shared by both places) off the local put and get. */

static void dp_place_channel_channel_iface_init (DpChannelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DpPlaceChannel, dp_place_channel, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (DP_TYPE_CHANNEL,
                                                      dp_place_channel_channel_iface_init))

static DpInbox *
dp_inbox_new (void)
{
  DpInbox *inbox = g_new0 (DpInbox, 1);

  g_atomic_ref_count_init (&inbox->ref_count);
  inbox->wake_fd = -1;
  g_mutex_init (&inbox->mutex);
  g_cond_init (&inbox->cond);
  g_queue_init (&inbox->queue);

  return inbox;
}

static DpInbox *
dp_inbox_ref (DpInbox *inbox)
{
  g_atomic_ref_count_inc (&inbox->ref_count);
  return inbox;
}

/* Called with inbox->mutex held. */
static void
inbox_credits_push (DpInbox        *inbox,
                    const DpCredit *credit)
{
  if (inbox->credits_len == inbox->credits_size)
    {
      guint size = MAX (16, 2 * inbox->credits_size);
      InboxCredit *ring = g_new (InboxCredit, size);

      for (guint i = 0; i < inbox->credits_len; i++)
        ring[i] = inbox->credits[(inbox->credits_head + i) & (inbox->credits_size - 1)];
      g_free (inbox->credits);
      inbox->credits = ring;
      inbox->credits_size = size;
      inbox->credits_head = 0;
    }
  inbox->credits[(inbox->credits_head + inbox->credits_len) & (inbox->credits_size - 1)] =
    (InboxCredit) { inbox->n_pushed, *credit };
  inbox->credits_len++;
}

/* The credit of message number @seq, if it came with one. Called with
 * inbox->mutex held. */
static inline void
inbox_credits_pop (DpInbox  *inbox,
                   guint64   seq,
                   DpCredit *out_credit)
{
  InboxCredit *head;

  if (G_LIKELY (inbox->credits_len == 0))
    return;
  head = &inbox->credits[inbox->credits_head];
  if (head->seq != seq)
    return;
  *out_credit = head->credit;
  inbox->credits_head = (inbox->credits_head + 1) & (inbox->credits_size - 1);
  inbox->credits_len--;
}

/* Takes every credit out, for the caller to release without the lock:
 * their messages leave without a get (dropped, or sent on). Called with
 * inbox->mutex held. */
static GArray *
inbox_credits_take (DpInbox *inbox)
{
  GArray *taken = NULL;

  if (inbox->credits_len == 0)
    return NULL;
  taken = g_array_sized_new (FALSE, FALSE, sizeof (DpCredit), inbox->credits_len);
  for (guint i = 0; i < inbox->credits_len; i++)
    g_array_append_val (taken, inbox->credits[(inbox->credits_head + i) & (inbox->credits_size - 1)].credit);
  inbox->credits_head = inbox->credits_len = 0;
  return taken;
}

static void
release_credits (GArray *credits)
{
  if (credits == NULL)
    return;
  for (guint i = 0; i < credits->len; i++)
    dp_credit_release (&g_array_index (credits, DpCredit, i), TRUE);
  g_array_unref (credits);
}

static void
dp_inbox_unref (DpInbox *inbox)
{
  if (!g_atomic_ref_count_dec (&inbox->ref_count))
    return;

  release_credits (inbox_credits_take (inbox));
  g_free (inbox->credits);
  g_queue_clear_full (&inbox->queue, (GDestroyNotify) g_variant_unref);
  g_clear_pointer (&inbox->waiters, g_ptr_array_unref);
  g_clear_object (&inbox->reader_data);
  if (inbox->wake_fd >= 0)
    close (inbox->wake_fd);
  g_clear_error (&inbox->reason);
  g_cond_clear (&inbox->cond);
  g_mutex_clear (&inbox->mutex);
  g_free (inbox);
}

/* Called with inbox->mutex held. */
static void
dp_inbox_wake_locked (DpInbox *inbox,
                      gboolean everyone)
{
  if (inbox->reader_blocking)
    inbox->mixed = TRUE;
  if (inbox->reader_polling)
    {
      guint64 one = 1;
      if (write (inbox->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        g_warning ("Cannot wake a reader: %s", g_strerror (errno));
    }

  if (inbox->n_blocked > 0)
    {
      if (everyone)
        g_cond_broadcast (&inbox->cond);
      else
        g_cond_signal (&inbox->cond);
    }

  if (inbox->waiters != NULL)
    for (guint i = 0; i < inbox->waiters->len; i++)
      {
        DpWaiter *waiter = g_ptr_array_index (inbox->waiters, i);
        waiter->notify (waiter);
      }
}

/* Marks @inbox closed (its own end went away) or peer-closed. The first
 * reason given is kept. */
static void
dp_inbox_shut (DpInbox      *inbox,
               gboolean      own_end,
               const GError *reason)
{
  const DpInboxForward *forward = NULL;
  gpointer forward_data = NULL;

  g_mutex_lock (&inbox->mutex);
  if (own_end)
    inbox->closed = TRUE;
  else if (!inbox->peer_closed)
    {
      inbox->peer_closed = TRUE;
      forward = inbox->forward;
      forward_data = inbox->forward_data;
      if (forward != NULL)
        forward->hold (forward_data);
    }
  if (inbox->reason == NULL && reason != NULL)
    inbox->reason = g_error_copy (reason);
  dp_inbox_wake_locked (inbox, TRUE);
  g_mutex_unlock (&inbox->mutex);

  /* The endpoint lives in another process now: tell it there. */
  if (forward != NULL)
    {
      forward->peer_closed (reason, forward_data);
      forward->release (forward_data);
    }
}

static void
set_closed_error (DpInbox  *inbox,
                  gboolean  own_end,
                  GError  **error)
{
  if (own_end && inbox->closed)
    g_set_error_literal (error, DP_ERROR, DP_ERROR_CLOSED, "The channel is closed");
  else if (inbox->reason != NULL)
    g_set_error_literal (error, inbox->reason->domain, inbox->reason->code,
                         inbox->reason->message);
  else
    g_set_error_literal (error, DP_ERROR, DP_ERROR_CLOSED,
                         "The other end of the channel is closed");
}

/* Consumes @message. *@size is its size if it came across a process, or
 * 0; if it goes on across one now (the inbox is forwarded to a socket),
 * its size is computed and returned there. */
static gboolean
dp_inbox_push (DpInbox   *inbox,
               GVariant  *message,
               gsize     *size,
               GError   **error)
{
  g_mutex_lock (&inbox->mutex);
  if (G_UNLIKELY (inbox->forward != NULL))
    {
      const DpInboxForward *forward = inbox->forward;
      gpointer data = inbox->forward_data;
      gboolean ok;

      if (*size == 0)
        *size = g_variant_get_size (message);
      inbox->n_received++;
      inbox->bytes_received += *size;
      forward->hold (data);
      g_mutex_unlock (&inbox->mutex);
      ok = forward->send (message, data, error);
      forward->release (data);
      g_variant_unref (message);
      return ok;
    }
  if (G_UNLIKELY (inbox->closed))
    {
      set_closed_error (inbox, FALSE, error);
      g_mutex_unlock (&inbox->mutex);
      g_variant_unref (message);
      return FALSE;
    }
  g_queue_push_tail (&inbox->queue, message);
  if (G_UNLIKELY (dp_handing_on.credit.sink != NULL))
    {
      inbox_credits_push (inbox, &dp_handing_on.credit);
      dp_handing_on.credit.sink = NULL;
    }
  inbox->n_pushed++;
  inbox->n_received++;
  inbox->bytes_received += *size;
  dp_inbox_wake_locked (inbox, FALSE);
  g_mutex_unlock (&inbox->mutex);

  return TRUE;
}

static void
dp_place_channel_dispose (GObject *object)
{
  DpPlaceChannel *self = DP_PLACE_CHANNEL (object);

  /* Dropping the last reference closes the end, as in Racket when a
   * channel is collected; the other end sees it. */
  dp_place_channel_close_with_reason (self, NULL);

  G_OBJECT_CLASS (dp_place_channel_parent_class)->dispose (object);
}

static void
dp_place_channel_finalize (GObject *object)
{
  DpPlaceChannel *self = DP_PLACE_CHANNEL (object);

  if (self->link_destroy != NULL)
    self->link_destroy (self->link_data);
  g_clear_error (&self->close_reason);
  g_clear_pointer (&self->inbox, dp_inbox_unref);
  g_clear_pointer (&self->peer_inbox, dp_inbox_unref);

  G_OBJECT_CLASS (dp_place_channel_parent_class)->finalize (object);
}

static DpPlaceChannel *
dp_place_channel_get_endpoint_impl (DpChannel *channel)
{
  return DP_PLACE_CHANNEL (channel);
}

static void
dp_place_channel_channel_iface_init (DpChannelInterface *iface)
{
  iface->get_endpoint = dp_place_channel_get_endpoint_impl;
}

static void
dp_place_channel_class_init (DpPlaceChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dp_place_channel_dispose;
  object_class->finalize = dp_place_channel_finalize;
}

static void
dp_place_channel_init (DpPlaceChannel *self)
{
  self->inbox = dp_inbox_new ();
}

/**
 * dp_place_channel_new_pair:
 * @out_a: (out) (transfer full): one end
 * @out_b: (out) (transfer full): the other end
 *
 * Creates a place channel: two endpoints cross-linked so that what is put
 * on one is got from the other, in both directions (the seeds'
 * `place-channel`). Send one end to a place in a message to give it a
 * direct line.
 */
void
dp_place_channel_new_pair (DpPlaceChannel **out_a,
                           DpPlaceChannel **out_b)
{
  DpPlaceChannel *a, *b;

  g_return_if_fail (out_a != NULL);
  g_return_if_fail (out_b != NULL);

  a = g_object_new (DP_TYPE_PLACE_CHANNEL, NULL);
  b = g_object_new (DP_TYPE_PLACE_CHANNEL, NULL);
  a->peer_inbox = dp_inbox_ref (b->inbox);
  b->peer_inbox = dp_inbox_ref (a->inbox);

  *out_a = a;
  *out_b = b;
}

/**
 * dp_async_bi_channel_new:
 * @out_a: (out) (transfer full): one end
 * @out_b: (out) (transfer full): the other end
 *
 * Creates an asynchronous bidirectional channel for two threads of one
 * place (the seeds' `make-async-bi-channel`). In C every channel is
 * already thread-safe and asynchronous, so this is a place channel pair
 * that [func@Dp.is_async_bi_channel] recognises.
 */
void
dp_async_bi_channel_new (DpChannel **out_a,
                         DpChannel **out_b)
{
  DpPlaceChannel *a, *b;

  dp_place_channel_new_pair (&a, &b);
  a->async_bi = b->async_bi = TRUE;
  *out_a = DP_CHANNEL (a);
  *out_b = DP_CHANNEL (b);
}

/**
 * dp_is_async_bi_channel:
 * @object: (nullable): any object
 *
 * The seeds' `async-bi-channel?`.
 *
 * Returns: whether @object is an end of [func@Dp.async_bi_channel_new]
 */
gboolean
dp_is_async_bi_channel (gpointer object)
{
  return DP_IS_PLACE_CHANNEL (object) && DP_PLACE_CHANNEL (object)->async_bi;
}

/**
 * dp_place_channel_new_linked:
 * @funcs: how to reach the other side; must outlive the endpoint
 * @user_data: passed to @funcs
 * @destroy: (nullable): frees @user_data when the endpoint is finalized
 *
 * Creates an endpoint whose other side is out of this process: puts call
 * @funcs->send, and the transport delivers incoming messages with
 * [method@Dp.PlaceChannel.deliver]. For transports and place backends.
 *
 * Returns: (transfer full): a new endpoint
 */
DpPlaceChannel *
dp_place_channel_new_linked (const DpChannelLinkFuncs *funcs,
                             gpointer                  user_data,
                             GDestroyNotify            destroy)
{
  DpPlaceChannel *self;

  g_return_val_if_fail (funcs != NULL && funcs->send != NULL, NULL);

  self = g_object_new (DP_TYPE_PLACE_CHANNEL, NULL);
  self->link = funcs;
  self->link_data = user_data;
  self->link_destroy = destroy;

  return self;
}

/**
 * dp_place_channel_deliver:
 * @self: a linked endpoint
 * @message: (transfer floating): a message from the other side
 *
 * Puts @message in @self's inbox, as if the other side had put it. For
 * transports. Messages delivered after the endpoint closed are dropped.
 */
void
dp_place_channel_deliver (DpPlaceChannel *self,
                          GVariant       *message)
{
  gsize size;

  g_return_if_fail (DP_IS_PLACE_CHANNEL (self));
  g_return_if_fail (message != NULL);

  /* From a transport: it crossed a process. */
  g_variant_ref_sink (message);
  size = g_variant_get_size (message);
  dp_inbox_push (self->inbox, message, &size, NULL);
}

/**
 * dp_place_channel_peer_closed:
 * @self: a linked endpoint
 * @reason: (nullable): why, e.g. %DP_ERROR_PEER_DIED with the place's fate
 *
 * Tells @self that its other side is gone: puts fail from now on with
 * @reason, gets fail with it once the queued messages are read. For
 * transports and place backends.
 */
void
dp_place_channel_peer_closed (DpPlaceChannel *self,
                              const GError   *reason)
{
  g_return_if_fail (DP_IS_PLACE_CHANNEL (self));

  dp_inbox_shut (self->inbox, FALSE, reason);
}

/* Private API, for dp-channel.c and the place machinery. */

/* Puts made while a linked endpoint sends — a connection wrapping a
 * message for its named place — are the transport's, not the place's:
 * the place's counters count its own put once. So is what a place's
 * thread does while it reads a connection for everyone (the router's
 * requests it dispatches, the answers it puts). */
static __thread guint sending_depth;

void
dp_place_channel_enter_transport (void)
{
  sending_depth++;
}

void
dp_place_channel_leave_transport (void)
{
  sending_depth--;
}

static gboolean
push (DpPlaceChannel *self,
      GVariant       *message,
      gboolean        by_place,
      GError        **error)
{
  DpInbox *inbox = self->inbox;
  DpPlace *current = dp_place_get_current ();
  /* A transport's put for its peer crossed a process. */
  gsize size = by_place ? 0 : g_variant_get_size (message);

  /* A killed place's channel operations fail, puts included. */
  if (G_UNLIKELY (current != NULL && dp_place_is_killed (current)))
    {
      g_variant_unref (message);
      g_set_error_literal (error, DP_ERROR, DP_ERROR_KILLED, "This place was killed");
      return FALSE;
    }

  if (self->peer_inbox != NULL)
    {
      /* Our own inbox learns first when the other side died (a place
       * whose thread is gone still has an open inbox nobody reads). */
      if (G_UNLIKELY (g_atomic_int_get (&inbox->closed) ||
                      g_atomic_int_get (&inbox->peer_closed)))
        {
          g_mutex_lock (&inbox->mutex);
          set_closed_error (inbox, TRUE, error);
          g_mutex_unlock (&inbox->mutex);
          g_variant_unref (message);
          return FALSE;
        }
      if (!dp_inbox_push (self->peer_inbox, message, &size, error))
        return FALSE;
      if (current != NULL && by_place && sending_depth == 0)
        dp_place_count_traffic (current, TRUE, size);
      return TRUE;
    }

  g_mutex_lock (&inbox->mutex);
  if (G_UNLIKELY (inbox->closed || inbox->peer_closed))
    {
      set_closed_error (inbox, TRUE, error);
      g_mutex_unlock (&inbox->mutex);
      g_variant_unref (message);
      return FALSE;
    }
  g_mutex_unlock (&inbox->mutex);

  if (self->link == NULL)
    {
      /* Neither paired nor linked: an endpoint made with g_object_new(). */
      g_variant_unref (message);
      g_set_error_literal (error, DP_ERROR, DP_ERROR_CLOSED,
                           "The channel has no other end");
      return FALSE;
    }

  {
    gboolean ok;

    /* It goes to another process. */
    size = g_variant_get_size (message);
    sending_depth++;
    ok = self->link->send (self, message, self->link_data, error);
    sending_depth--;
    if (ok)
      {
        __atomic_fetch_add (&self->n_sent, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add (&self->bytes_sent, size, __ATOMIC_RELAXED);
        if (current != NULL && by_place && sending_depth == 0)
          dp_place_count_traffic (current, TRUE, size);
      }
    g_variant_unref (message);
    return ok;
  }
}

/* A put, by the code of whatever place runs the calling thread. */
gboolean
dp_place_channel_push (DpPlaceChannel *self,
                       GVariant       *message,
                       GError        **error)
{
  return push (self, message, TRUE, error);
}

/* A put a transport makes for the other side of a connection, on
 * whatever thread reads it: not the current place's. */
gboolean
dp_place_channel_push_for_peer (DpPlaceChannel *self,
                                GVariant       *message,
                                GError        **error)
{
  return push (self, message, FALSE, error);
}

/* A linked endpoint hears once that someone reads it. */
static inline void
dp_place_channel_ensure_wanted (DpPlaceChannel *self)
{
  if (G_UNLIKELY (self->link != NULL && self->link->want != NULL &&
                  !g_atomic_int_get (&self->wanted) &&
                  g_atomic_int_compare_and_exchange (&self->wanted, FALSE, TRUE)))
    self->link->want (self, self->link_data);
}

GVariant *
dp_place_channel_pop (DpPlaceChannel *self,
                      gint64          end_time,
                      GError        **error)
{
  DpCredit credit = { NULL, 0 };
  gboolean idle = TRUE;
  GVariant *message = dp_place_channel_pop_full (self, end_time, &credit, &idle, error);

  /* Got: its sender may send that much again. Small amounts wait to be
   * batched while more is queued. */
  dp_credit_release (&credit, idle);
  return message;
}

GVariant *
dp_place_channel_pop_full (DpPlaceChannel  *self,
                           gint64           end_time,
                           DpCredit        *out_credit,
                           gboolean        *out_idle,
                           GError         **error)
{
  DpInbox *inbox = self->inbox;
  DpPlace *place = NULL;
  GVariant *message = NULL;
  gboolean tried_read = FALSE;

  out_credit->sink = NULL;
  dp_place_channel_ensure_wanted (self);

  if (G_UNLIKELY ((place = dp_place_get_current ()) != NULL && dp_place_is_killed (place)))
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_KILLED, "This place was killed");
      return NULL;
    }
  place = NULL;

  g_mutex_lock (&inbox->mutex);
  for (;;)
    {
      message = g_queue_pop_head (&inbox->queue);
      if (message != NULL)
        {
          inbox_credits_pop (inbox, inbox->n_popped, out_credit);
          inbox->n_popped++;
          if (out_idle != NULL)
            *out_idle = inbox->queue.length == 0;
          break;
        }
      if (G_UNLIKELY (inbox->forward != NULL))
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_CLOSED,
                               "The channel was sent to another process");
          break;
        }
      if (inbox->closed || inbox->peer_closed)
        {
          set_closed_error (inbox, TRUE, error);
          break;
        }
      if (end_time == 0 || (end_time > 0 && g_get_monotonic_time () >= end_time))
        break;

      /* About to sleep. A place that is killed meanwhile must wake up, so
       * it learns where we sleep; it must learn it before we hold the inbox
       * lock (a killer takes the place lock, then ours). */
      if (place == NULL && (place = dp_place_get_current ()) != NULL)
        {
          g_mutex_unlock (&inbox->mutex);
          if (!dp_place_begin_wait (place, &inbox->mutex, &inbox->cond, error))
            {
              place = NULL;
              return NULL;
            }
          g_mutex_lock (&inbox->mutex);
          continue;
        }
      if (place != NULL && dp_place_is_killed (place))
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_KILLED, "This place was killed");
          break;
        }

      /* An endpoint fed by a connection may read it itself rather than
       * wait for another thread to read it and wake us: one wake-up less. */
      if (!tried_read && self->link != NULL && self->link->read != NULL)
        {
          gboolean progressed;

          g_mutex_unlock (&inbox->mutex);
          progressed = self->link->read (self, end_time, self->link_data);
          g_mutex_lock (&inbox->mutex);
          tried_read = !progressed;
          continue;
        }
      if (!tried_read && inbox->reader != NULL)
        {
          DpInboxReadFunc reader = inbox->reader;
          g_autoptr(GObject) reader_data = g_object_ref (inbox->reader_data);
          gboolean progressed;

          g_mutex_unlock (&inbox->mutex);
          progressed = reader (self, end_time, reader_data);
          g_mutex_lock (&inbox->mutex);
          tried_read = !progressed;
          continue;
        }
      tried_read = FALSE;

      inbox->n_blocked++;
      if (end_time < 0)
        g_cond_wait (&inbox->cond, &inbox->mutex);
      else
        g_cond_wait_until (&inbox->cond, &inbox->mutex, end_time);
      inbox->n_blocked--;
    }
  g_mutex_unlock (&inbox->mutex);

  if (place != NULL)
    dp_place_end_wait (place);

  /* Bytes only for a message that came from another process: this
   * endpoint is fed by a transport, or its other end is bound to one. */
  if (message != NULL && sending_depth == 0 && (place != NULL || (place = dp_place_get_current ()) != NULL))
    dp_place_count_traffic (place, FALSE,
                            self->link != NULL || g_atomic_pointer_get (&inbox->reader) != NULL
                            ? g_variant_get_size (message) : 0);

  return message;
}

gboolean
dp_place_channel_is_ready (DpPlaceChannel *self)
{
  DpInbox *inbox = self->inbox;
  gboolean ready;

  g_mutex_lock (&inbox->mutex);
  ready = inbox->queue.length > 0 || inbox->closed || inbox->peer_closed ||
          inbox->forward != NULL;
  g_mutex_unlock (&inbox->mutex);

  return ready;
}

/* The endpoint's traffic so far, for the control plane. In: what arrived
 * in its inbox (forwarded on included). Out: what was put on it — for a
 * local pair, what arrived in the other end's inbox. */
void
dp_place_channel_get_counters (DpPlaceChannel    *self,
                               DpChannelCounters *counters)
{
  DpInbox *inbox = self->inbox;

  memset (counters, 0, sizeof *counters);

  g_mutex_lock (&inbox->mutex);
  counters->messages_in = inbox->n_received;
  counters->bytes_in = inbox->bytes_received;
  counters->queued = inbox->queue.length;
  g_mutex_unlock (&inbox->mutex);

  if (self->peer_inbox != NULL)
    {
      DpInbox *peer = self->peer_inbox;

      g_mutex_lock (&peer->mutex);
      counters->messages_out = peer->n_received;
      counters->bytes_out = peer->bytes_received;
      counters->peer_queued = peer->queue.length;
      g_mutex_unlock (&peer->mutex);
    }
  else
    {
      counters->messages_out = __atomic_load_n (&self->n_sent, __ATOMIC_RELAXED);
      counters->bytes_out = __atomic_load_n (&self->bytes_sent, __ATOMIC_RELAXED);
    }
}

guint
dp_place_channel_n_pending (DpPlaceChannel *self)
{
  DpInbox *inbox = self->inbox;
  guint n;

  g_mutex_lock (&inbox->mutex);
  n = inbox->queue.length;
  g_mutex_unlock (&inbox->mutex);

  return n;
}

gboolean
dp_place_channel_is_closed (DpPlaceChannel *self)
{
  DpInbox *inbox = self->inbox;
  gboolean closed;

  g_mutex_lock (&inbox->mutex);
  closed = inbox->closed || (inbox->peer_closed && inbox->queue.length == 0);
  g_mutex_unlock (&inbox->mutex);

  return closed;
}

void
dp_place_channel_add_waiter (DpPlaceChannel *self,
                             DpWaiter       *waiter)
{
  DpInbox *inbox = self->inbox;

  dp_place_channel_ensure_wanted (self);

  g_mutex_lock (&inbox->mutex);
  if (inbox->waiters == NULL)
    inbox->waiters = g_ptr_array_new ();
  g_ptr_array_add (inbox->waiters, waiter);
  g_mutex_unlock (&inbox->mutex);
}

void
dp_place_channel_remove_waiter (DpPlaceChannel *self,
                                DpWaiter       *waiter)
{
  DpInbox *inbox = self->inbox;

  g_mutex_lock (&inbox->mutex);
  if (inbox->waiters != NULL)
    g_ptr_array_remove_fast (inbox->waiters, waiter);
  g_mutex_unlock (&inbox->mutex);
}

/* Closes this end: its own gets and puts fail, and the other end learns it.
 * Idempotent. */
void
dp_place_channel_close_with_reason (DpPlaceChannel *self,
                                    const GError   *reason)
{
  DpInbox *inbox = self->inbox;
  gboolean was_closed;

  g_mutex_lock (&inbox->mutex);
  was_closed = inbox->closed;
  g_mutex_unlock (&inbox->mutex);
  if (was_closed)
    return;

  /* Keep ourselves alive: forgetting the handle may drop the table's
   * reference while we still work here. */
  g_object_ref (self);

  if (reason == NULL)
    reason = self->close_reason;

  dp_inbox_shut (inbox, TRUE, NULL);
  if (self->peer_inbox != NULL)
    dp_inbox_shut (self->peer_inbox, FALSE, reason);
  else if (self->link != NULL && self->link->close != NULL)
    self->link->close (self, self->link_data);

  if (self->owner != NULL)
    dp_place_release_endpoint (self->owner, self);
  dp_handles_forget (G_OBJECT (self));

  g_object_unref (self);
}

gpointer
dp_place_channel_get_owner (DpPlaceChannel *self)
{
  return self->owner;
}

void
dp_place_channel_set_owner (DpPlaceChannel *self,
                            gpointer        owner)
{
  self->owner = owner;
}

/* Sends what arrives in @self's inbox to @forward from now on, and makes
 * local gets fail: the endpoint now lives in another process. Returns the
 * messages queued before, oldest first, for the caller to send ahead of
 * anything forwarded: the caller must hold the lock that orders its sends
 * until it has sent them. If the other end had already closed, says so in
 * @out_peer_closed. */
GQueue *
dp_place_channel_redirect (DpPlaceChannel        *self,
                           const DpInboxForward  *forward,
                           gpointer               forward_data,
                           gboolean              *out_peer_closed)
{
  DpInbox *inbox = self->inbox;
  GQueue *queued = g_queue_new ();
  GArray *credits;

  /* Someone reads it now, elsewhere: a linked endpoint asks its own side
   * for the messages (a channel passed on through this process). */
  dp_place_channel_ensure_wanted (self);

  g_mutex_lock (&inbox->mutex);
  *queued = inbox->queue;
  g_queue_init (&inbox->queue);
  inbox->n_popped = inbox->n_pushed;
  credits = inbox_credits_take (inbox);
  inbox->forward = forward;
  inbox->forward_data = forward_data;
  *out_peer_closed = inbox->peer_closed;
  dp_inbox_wake_locked (inbox, TRUE);
  g_mutex_unlock (&inbox->mutex);

  /* The queued messages go on over the wire, whose own window bounds
   * them; their first senders need not wait for that. */
  release_credits (credits);

  return queued;
}

/* Stops forwarding, once the far side is gone. */
void
dp_place_channel_unredirect (DpPlaceChannel *self)
{
  DpInbox *inbox = self->inbox;

  g_mutex_lock (&inbox->mutex);
  inbox->forward = NULL;
  inbox->forward_data = NULL;
  g_mutex_unlock (&inbox->mutex);
}

/* Stops forwarding to @forward_data, if the inbox still does: a
 * redirect that may have come after someone else undid it. */
void
dp_place_channel_unredirect_from (DpPlaceChannel *self,
                                  gpointer        forward_data)
{
  DpInbox *inbox = self->inbox;

  g_mutex_lock (&inbox->mutex);
  if (inbox->forward != NULL && inbox->forward_data == forward_data)
    {
      inbox->forward = NULL;
      inbox->forward_data = NULL;
    }
  g_mutex_unlock (&inbox->mutex);
}

gboolean
dp_place_channel_is_linked_to (DpPlaceChannel *self,
                               gpointer        link_data)
{
  return self->link != NULL && self->link_data == link_data;
}

/* A pair whose first end sends through @funcs, while what the second end
 * puts lands in the first end's inbox: a connection to a named place,
 * where the client's puts are wrapped for the named place and the named
 * place answers on the second end. */
void
dp_place_channel_new_reply_pair (const DpChannelLinkFuncs  *funcs,
                                 gpointer                   user_data,
                                 GDestroyNotify             destroy,
                                 DpPlaceChannel           **out_client,
                                 DpPlaceChannel           **out_reply)
{
  DpPlaceChannel *client = dp_place_channel_new_linked (funcs, user_data, destroy);
  DpPlaceChannel *reply = g_object_new (DP_TYPE_PLACE_CHANNEL, NULL);

  reply->peer_inbox = dp_inbox_ref (client->inbox);
  *out_client = client;
  *out_reply = reply;
}

/* @self is bound to a connection: what its local other end gets comes from
 * there, so a thread waiting on that other end may read the connection
 * directly with @reader. %NULL removes it. */
void
dp_place_channel_set_peer_reader (DpPlaceChannel  *self,
                                  DpInboxReadFunc  reader,
                                  GObject         *reader_data)
{
  DpInbox *inbox = self->peer_inbox;

  if (inbox == NULL)
    return;

  g_mutex_lock (&inbox->mutex);
  inbox->reader = reader;
  g_set_object (&inbox->reader_data, reader_data);
  g_mutex_unlock (&inbox->mutex);
}

/* A reader about to poll the connection that feeds @self's inbox also
 * polls the returned descriptor, which becomes readable when a message
 * arrives from elsewhere. Returns -1 if @self is ready already. */
int
dp_place_channel_begin_poll (DpPlaceChannel *self)
{
  DpInbox *inbox = self->inbox;
  int fd;

  g_mutex_lock (&inbox->mutex);
  if (inbox->queue.length > 0 || inbox->closed || inbox->peer_closed || inbox->forward != NULL)
    {
      g_mutex_unlock (&inbox->mutex);
      return -1;
    }
  if (inbox->wake_fd < 0)
    inbox->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  inbox->reader_polling = TRUE;
  fd = inbox->wake_fd;
  g_mutex_unlock (&inbox->mutex);

  return fd;
}

void
dp_place_channel_end_poll (DpPlaceChannel *self)
{
  DpInbox *inbox = self->inbox;
  guint64 count;

  g_mutex_lock (&inbox->mutex);
  inbox->reader_polling = FALSE;
  if (inbox->wake_fd >= 0 && read (inbox->wake_fd, &count, sizeof count) < 0 && errno != EAGAIN)
    g_warning ("Cannot drain a wake-up: %s", g_strerror (errno));
  g_mutex_unlock (&inbox->mutex);
}

/* A reader about to block in a read of the connection that feeds @self's
 * inbox: allowed while nothing else has fed it during such a read. Returns
 * %FALSE if the reader should poll instead (or @self is ready). */
gboolean
dp_place_channel_begin_block (DpPlaceChannel *self)
{
  DpInbox *inbox = self->inbox;
  gboolean block;

  g_mutex_lock (&inbox->mutex);
  block = !inbox->mixed && inbox->queue.length == 0 && !inbox->closed &&
          !inbox->peer_closed && inbox->forward == NULL;
  inbox->reader_blocking = block;
  g_mutex_unlock (&inbox->mutex);

  return block;
}

void
dp_place_channel_end_block (DpPlaceChannel *self)
{
  DpInbox *inbox = self->inbox;

  g_mutex_lock (&inbox->mutex);
  inbox->reader_blocking = FALSE;
  g_mutex_unlock (&inbox->mutex);
}

/* What the other end hears when @self closes without a reason of its own:
 * the fate of the place that held it. */
void
dp_place_channel_set_close_reason (DpPlaceChannel *self,
                                   const GError   *reason)
{
  g_clear_error (&self->close_reason);
  self->close_reason = reason != NULL ? g_error_copy (reason) : NULL;
}
