/* dp-typed-channel.h: get messages by their tag
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

#define DP_TYPE_TYPED_CHANNEL (dp_typed_channel_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpTypedChannel, dp_typed_channel, DP, TYPED_CHANNEL, GObject)

DP_AVAILABLE_IN_ALL
DpTypedChannel *dp_typed_channel_new         (DpChannel      *channel);
DP_AVAILABLE_IN_ALL
DpChannel      *dp_typed_channel_get_channel (DpTypedChannel *self);
DP_AVAILABLE_IN_ALL
GVariant       *dp_typed_channel_get         (DpTypedChannel *self,
                                              const char     *type,
                                              GError        **error);
DP_AVAILABLE_IN_ALL
GVariant       *dp_typed_channel_get_timeout (DpTypedChannel *self,
                                              const char     *type,
                                              gint64          timeout_usec,
                                              GError        **error);
DP_AVAILABLE_IN_ALL
GVariant       *dp_tc_get                    (const char     *type,
                                              DpTypedChannel *channel,
                                              GError        **error);

G_END_DECLS
