/* dp-place-channel.h: a channel endpoint with its own inbox
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"
#include "dp-channel.h"

G_BEGIN_DECLS

#define DP_TYPE_PLACE_CHANNEL (dp_place_channel_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpPlaceChannel, dp_place_channel, DP, PLACE_CHANNEL, GObject)

DP_AVAILABLE_IN_ALL
void            dp_place_channel_new_pair   (DpPlaceChannel **out_a,
                                             DpPlaceChannel **out_b);

DP_AVAILABLE_IN_ALL
void            dp_async_bi_channel_new     (DpChannel      **out_a,
                                             DpChannel      **out_b);
DP_AVAILABLE_IN_ALL
gboolean        dp_is_async_bi_channel      (gpointer         object);

/* For transports and place backends: an endpoint whose other side is not in
 * this process. */

/**
 * DpChannelLinkFuncs:
 * @send: carries @message to the other side; called on the putting thread.
 *   Returns %FALSE with @error set when the other side cannot be reached.
 * @close: tells the other side this endpoint closed (may be %NULL)
 * @read: (nullable): lets a thread about to sleep in a get on @endpoint
 *   read the transport itself, with @end_time as in a get (-1 for none);
 *   returns %TRUE if it made progress, so the get looks again, or %FALSE
 *   if it could not read now and the get should wait to be woken
 * @want: (nullable): called once, the first time anyone gets from
 *   @endpoint or waits on it: a transport may then ask for the messages
 *
 * How a linked endpoint reaches its other side, for the transports and
 * place backends that implement channels across processes and nodes.
 */
typedef struct {
  gboolean (*send)  (DpPlaceChannel *endpoint,
                     GVariant       *message,
                     gpointer        user_data,
                     GError        **error);
  void     (*close) (DpPlaceChannel *endpoint,
                     gpointer        user_data);
  gboolean (*read)  (DpPlaceChannel *endpoint,
                     gint64          end_time,
                     gpointer        user_data);
  void     (*want)  (DpPlaceChannel *endpoint,
                     gpointer        user_data);
  /*< private >*/
  gpointer padding[2];
} DpChannelLinkFuncs;

DP_AVAILABLE_IN_ALL
DpPlaceChannel *dp_place_channel_new_linked (const DpChannelLinkFuncs *funcs,
                                             gpointer         user_data,
                                             GDestroyNotify   destroy);
DP_AVAILABLE_IN_ALL
void            dp_place_channel_deliver    (DpPlaceChannel  *self,
                                             GVariant        *message);
DP_AVAILABLE_IN_ALL
void            dp_place_channel_peer_closed (DpPlaceChannel *self,
                                              const GError   *reason);

G_END_DECLS
