/* dp-every-seconds.h: run something every few seconds
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"
#include "dp-after-seconds.h"

G_BEGIN_DECLS

#define DP_TYPE_EVERY_SECONDS (dp_every_seconds_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpEverySeconds, dp_every_seconds, DP, EVERY_SECONDS, GObject)

DP_AVAILABLE_IN_ALL
DpEverySeconds *dp_every_seconds_new         (gdouble         seconds,
                                              DpTimerFunc     func,
                                              gpointer        user_data,
                                              GDestroyNotify  destroy);
DP_AVAILABLE_IN_ALL
gdouble         dp_every_seconds_get_seconds (DpEverySeconds *self);
DP_AVAILABLE_IN_ALL
void            dp_every_seconds_stop        (DpEverySeconds *self);

G_END_DECLS
