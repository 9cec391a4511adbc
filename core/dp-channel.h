/* dp-channel.h: the place channel interface every channel kind implements
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"
#include <glib-object.h>

G_BEGIN_DECLS

typedef struct _DpPlaceChannel DpPlaceChannel;

#define DP_TYPE_CHANNEL (dp_channel_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (DpChannel, dp_channel, DP, CHANNEL, GObject)

/**
 * DpChannelInterface:
 * @get_endpoint: returns the [class@Dp.PlaceChannel] that carries this
 *   channel's messages (transfer none). A place channel returns itself; a
 *   place descriptor or remote connection returns the endpoint it owns.
 *
 * Every kind of channel — a place channel, a place descriptor, an async
 * bi-channel, a connection to a remote or named place — is a `DpChannel`,
 * so the `dp_channel_*` functions work on all of them (the seeds'
 * `*channel-put` and `*channel-get`).
 *
 * An implementation only says which endpoint carries its messages; the
 * queueing, blocking, waking and closing logic lives once, in
 * [class@Dp.PlaceChannel].
 */
struct _DpChannelInterface
{
  GTypeInterface parent_iface;

  DpPlaceChannel * (*get_endpoint) (DpChannel *self);

  /*< private >*/
  gpointer padding[8];
};

/**
 * DpChannelSourceFunc:
 * @channel: the channel that became ready
 * @user_data: data passed to g_source_set_callback()
 *
 * The callback of a source from [method@Dp.Channel.create_source]. The
 * channel has a message (get it with [method@Dp.Channel.try_get]) or is
 * closed (a get returns the error).
 *
 * Returns: %G_SOURCE_CONTINUE to keep waiting, %G_SOURCE_REMOVE to stop
 */
typedef gboolean (*DpChannelSourceFunc) (DpChannel *channel,
                                         gpointer   user_data);

/**
 * DpSyncHandler:
 * @channel: (transfer none): the channel that became ready
 * @message: (nullable) (transfer none): the message received from it, or
 *   %NULL with @error set when the channel is closed
 * @error: (nullable): why @channel has no message
 * @user_data: data given with the handler
 *
 * A handler for [func@Dp.Channel.sync_handle], the seeds' `handle-evt`.
 */
typedef void (*DpSyncHandler) (DpChannel    *channel,
                               GVariant     *message,
                               const GError *error,
                               gpointer      user_data);

/**
 * DpSyncCase:
 * @channel: the channel to wait on
 * @handler: called with its message when it is the one chosen
 * @user_data: passed to @handler
 *
 * One case of [func@Dp.Channel.sync_handle].
 */
typedef struct {
  DpChannel     *channel;
  DpSyncHandler  handler;
  gpointer       user_data;
} DpSyncCase;

DP_AVAILABLE_IN_ALL
DpPlaceChannel *dp_channel_get_endpoint     (DpChannel   *self);

DP_AVAILABLE_IN_ALL
gboolean        dp_channel_put              (DpChannel   *self,
                                             GVariant    *message,
                                             GError     **error);
DP_AVAILABLE_IN_ALL
GVariant       *dp_channel_get              (DpChannel   *self,
                                             GError     **error);
DP_AVAILABLE_IN_ALL
GVariant       *dp_channel_get_timeout      (DpChannel   *self,
                                             gint64       timeout_usec,
                                             GError     **error);
DP_AVAILABLE_IN_ALL
GVariant       *dp_channel_try_get          (DpChannel   *self,
                                             GError     **error);
DP_AVAILABLE_IN_ALL
GVariant       *dp_channel_put_get          (DpChannel   *self,
                                             GVariant    *message,
                                             GError     **error);
DP_AVAILABLE_IN_ALL
void            dp_channel_close            (DpChannel   *self);
DP_AVAILABLE_IN_ALL
gboolean        dp_channel_is_closed        (DpChannel   *self);
DP_AVAILABLE_IN_ALL
guint           dp_channel_get_n_pending    (DpChannel   *self);

DP_AVAILABLE_IN_ALL
GSource        *dp_channel_create_source    (DpChannel   *self);

DP_AVAILABLE_IN_ALL
GVariant       *dp_channel_sync             (DpChannel  **channels,
                                             guint        n_channels,
                                             gint64       timeout_usec,
                                             guint       *out_index,
                                             GError     **error);
DP_AVAILABLE_IN_ALL
gboolean        dp_channel_sync_handle      (const DpSyncCase *cases,
                                             guint        n_cases,
                                             gint64       timeout_usec,
                                             GError     **error);

DP_AVAILABLE_IN_ALL
GVariant       *dp_channel_to_variant       (DpChannel   *self);
DP_AVAILABLE_IN_ALL
DpChannel      *dp_channel_from_variant     (GVariant    *value,
                                             GError     **error);

DP_AVAILABLE_IN_ALL
gboolean        dp_is_channel               (gpointer     object);

G_END_DECLS
