/* dp-always-strategy.h: the `always` restart strategy (#:restart-on-exit #t)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define DP_TYPE_ALWAYS_STRATEGY (dp_always_strategy_get_type ())
G_DECLARE_FINAL_TYPE (DpAlwaysStrategy, dp_always_strategy, DP, ALWAYS_STRATEGY, GObject)

G_END_DECLS
