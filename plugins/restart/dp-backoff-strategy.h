/* dp-backoff-strategy.h: the `backoff` restart strategy
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define DP_TYPE_BACKOFF_STRATEGY (dp_backoff_strategy_get_type ())
G_DECLARE_FINAL_TYPE (DpBackoffStrategy, dp_backoff_strategy, DP, BACKOFF_STRATEGY, GObject)

G_END_DECLS
