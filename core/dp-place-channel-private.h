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
 * process; see dp_place_channel_redirect(). */
typedef struct {
  gboolean (*send)        (GVariant     *message,
                           gpointer      user_data,
                           GError      **error);
  void     (*peer_closed) (const GError *reason,
                           gpointer      user_data);
} DpInboxForward;

GQueue   *dp_place_channel_redirect      (DpPlaceChannel       *self,
                                          const DpInboxForward *forward,
                                          gpointer              forward_data,
                                          gboolean             *out_peer_closed);
void      dp_place_channel_unredirect    (DpPlaceChannel       *self);
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
