/* dp-restarter.h: restart every few seconds, a few times (restart-every)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"
#include "dp-after-seconds.h"
#include "dp-restart-strategy.h"

G_BEGIN_DECLS

#define DP_TYPE_RESTARTER (dp_restarter_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpRestarter, dp_restarter, DP, RESTARTER, DpAfterSeconds)

DP_AVAILABLE_IN_ALL
DpRestarter *dp_restart_every          (gdouble         seconds,
                                        gint            retry,
                                        DpTimerFunc     on_final_fail,
                                        gpointer        user_data,
                                        GDestroyNotify  destroy);
DP_AVAILABLE_IN_ALL
gint         dp_restarter_get_retry    (DpRestarter    *self);
DP_AVAILABLE_IN_ALL
guint        dp_restarter_get_retries  (DpRestarter    *self);

G_END_DECLS
