/* dp-place-channel-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dp-place-channel.h"

G_BEGIN_DECLS

typedef struct _DpWaiter DpWaiter;

/* Someone waiting on several endpoints at once (a sync, a GSource). notify
 * is called, with the endpoint's inbox locked, when a message arrives or
 * the endpoint closes: it must be quick and must not call back into the
 * endpoint. */
struct _DpWaiter
{
  void (*notify) (DpWaiter *waiter);
};

void      dp_place_channel_add_waiter    (DpPlaceChannel *self,
                                          DpWaiter       *waiter);
void      dp_place_channel_remove_waiter (DpPlaceChannel *self,
                                          DpWaiter       *waiter);
gboolean  dp_place_channel_is_ready      (DpPlaceChannel *self);

/* end_time: -1 waits forever, 0 only polls, otherwise a g_get_monotonic_time()
 * deadline. Returns NULL without an error when nothing came in time. */
GVariant *dp_place_channel_pop           (DpPlaceChannel *self,
                                          gint64          end_time,
                                          GError        **error);
gboolean  dp_place_channel_push          (DpPlaceChannel *self,
                                          GVariant       *message,
                                          GError        **error);
gboolean  dp_place_channel_push_for_peer (DpPlaceChannel *self,
                                          GVariant       *message,
                                          GError        **error);
/* Around what a transport does on a place's thread — dispatching what it
 * read for others: the place's counters leave it out. */
void      dp_place_channel_enter_transport (void);
void      dp_place_channel_leave_transport (void);

/* Flow control (see dp-socket-connection.c). A message that came over a
 * channel of a connection carries a *credit*: the bytes its sender may
 * send again once it is consumed, owed to a *sink* (the channel's flow
 * control). Whoever consumes the message releases the credit: a get, or
 * a connection that sends the message on — then only once the next
 * receiver has consumed it in turn, so that back-pressure reaches the
 * first sender. An *urgent* credit's sender waits for it, or soon will:
 * it goes back at once (or, while the consumer still has more queued, at
 * least in batches of a sixteenth of a window); others are batched.
 * @idle says the consumer has nothing more queued. A credit is a few
 * values, so the common path allocates nothing. */
typedef struct _DpCreditSink DpCreditSink;

struct _DpCreditSink
{
  /* Called on any thread, with no inbox lock held; each consumes the
   * reference the credit held. */
  void (*release) (DpCreditSink *sink,
                   gsize         amount,
                   gboolean      urgent,
                   gboolean      idle);
};

typedef struct {
  DpCreditSink *sink;    /* a reference, or NULL: nothing is owed */
  gsize amount;
  gboolean urgent;
} DpCredit;

static inline void
dp_credit_release (DpCredit *credit,
                   gboolean  idle)
{
  DpCreditSink *sink = credit->sink;

  if (sink != NULL)
    {
      credit->sink = NULL;
      sink->release (sink, credit->amount, credit->urgent, idle);
    }
}

/* Around handing on a message that came from elsewhere — a connection
 * dispatching what it read, a relay moving a message from one channel to
 * the next — with the message's @credit (@credit->sink %NULL: none). Puts
 * made meanwhile on this thread never wait for credit: the thread serves
 * others, and waiting could close a cycle. The first inbox or connection
 * the message reaches takes the credit
 * (dp_place_channel_steal_forward_credit()); leave releases it if nobody
 * did. Nests: enter fills @saved, leave restores it.
 *
 * The state is thread-local and read for every message that crosses a
 * process, hence inline, and initial-exec (no call to find it). */
typedef struct {
  DpCredit credit;
  guint depth;
} DpHandingOn;

extern __thread DpHandingOn dp_handing_on __attribute__ ((tls_model ("initial-exec")));

static inline void
dp_place_channel_enter_forward (const DpCredit *credit,
                                DpCredit       *saved)
{
  *saved = dp_handing_on.credit;
  dp_handing_on.credit = *credit;
  dp_handing_on.depth++;
}

static inline void
dp_place_channel_leave_forward (const DpCredit *saved)
{
  /* Nobody took it: the message was dropped, or consumed at once. */
  DpCredit left = dp_handing_on.credit;

  dp_handing_on.credit = *saved;
  dp_handing_on.depth--;
  dp_credit_release (&left, TRUE);
}

/* While handing on: the credit of the message in hand now, for a thread
 * that already entered. Consumes @credit. */
static inline void
dp_place_channel_hand_on (const DpCredit *credit)
{
  dp_handing_on.credit = *credit;
}

/* The credit of the message in hand, which the caller now owes. */
static inline DpCredit
dp_place_channel_steal_forward_credit (void)
{
  DpCredit credit = dp_handing_on.credit;

  dp_handing_on.credit.sink = NULL;
  return credit;
}

static inline gboolean
dp_place_channel_is_forwarding (void)
{
  return dp_handing_on.depth > 0;
}

/* dp_place_channel_pop(), handing the popped message's credit to the
 * caller (who releases it) rather than releasing it: for relays.
 * @out_idle (nullable): whether nothing more is queued. */
GVariant *dp_place_channel_pop_full      (DpPlaceChannel *self,
                                          gint64          end_time,
                                          DpCredit       *out_credit,
                                          gboolean       *out_idle,
                                          GError        **error);

guint     dp_place_channel_n_pending     (DpPlaceChannel *self);

/* An endpoint's traffic, for the control plane: cheap counters kept on
 * the put and deliver paths. */
typedef struct {
  guint64 messages_in;   /* arrived in this endpoint's inbox */
  guint64 bytes_in;      /* their serialized size */
  guint64 messages_out;  /* put on this endpoint */
  guint64 bytes_out;
  guint queued;          /* waiting in this endpoint's inbox */
  guint peer_queued;     /* waiting in the other end's inbox (a local pair), else 0 */
} DpChannelCounters;

void      dp_place_channel_get_counters  (DpPlaceChannel    *self,
                                          DpChannelCounters *counters);

void      dp_place_channel_close_with_reason (DpPlaceChannel *self,
                                              const GError   *reason);
void      dp_place_channel_set_close_reason  (DpPlaceChannel *self,
                                              const GError   *reason);
gboolean  dp_place_channel_is_closed     (DpPlaceChannel *self);

/* The place that received this endpoint in a message and closes it when it
 * ends; see dp_place_adopt_endpoint(). */
gpointer  dp_place_channel_get_owner     (DpPlaceChannel *self);
void      dp_place_channel_set_owner     (DpPlaceChannel *self,
                                          gpointer        owner);

/* Where an endpoint's inbox goes once the endpoint was sent to another
 * process; see dp_place_channel_redirect(). send() and peer_closed() run
 * without the inbox's lock, while the forward may be undone and its data
 * freed: hold() is called under the lock, before either, to keep the data
 * (and whatever it sends on) alive until release(), after. */
typedef struct {
  gboolean (*send)        (GVariant     *message,
                           gpointer      user_data,
                           GError      **error);
  void     (*peer_closed) (const GError *reason,
                           gpointer      user_data);
  void     (*hold)        (gpointer      user_data);
  void     (*release)     (gpointer      user_data);
} DpInboxForward;

GQueue   *dp_place_channel_redirect      (DpPlaceChannel       *self,
                                          const DpInboxForward *forward,
                                          gpointer              forward_data,
                                          gboolean             *out_peer_closed);
void      dp_place_channel_unredirect    (DpPlaceChannel       *self);
void      dp_place_channel_unredirect_from (DpPlaceChannel     *self,
                                            gpointer            forward_data);
gboolean  dp_place_channel_is_linked_to  (DpPlaceChannel       *self,
                                          gpointer              link_data);

void      dp_place_channel_new_reply_pair (const DpChannelLinkFuncs  *funcs,
                                           gpointer                   user_data,
                                           GDestroyNotify             destroy,
                                           DpPlaceChannel           **out_client,
                                           DpPlaceChannel           **out_reply);

/* Reads the connection that fills @waiting's inbox, as a getter about to
 * sleep; the same contract as DpChannelLinkFuncs.read. */
typedef gboolean (*DpInboxReadFunc) (DpPlaceChannel *waiting,
                                     gint64          end_time,
                                     gpointer        reader_data);

void      dp_place_channel_set_peer_reader (DpPlaceChannel  *self,
                                            DpInboxReadFunc  reader,
                                            GObject         *reader_data);

int       dp_place_channel_begin_poll    (DpPlaceChannel *self);
void      dp_place_channel_end_poll      (DpPlaceChannel *self);
gboolean  dp_place_channel_begin_block   (DpPlaceChannel *self);
void      dp_place_channel_end_block     (DpPlaceChannel *self);

G_END_DECLS
