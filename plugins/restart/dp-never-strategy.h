/* dp-never-strategy.h: the `never` restart strategy
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define DP_TYPE_NEVER_STRATEGY (dp_never_strategy_get_type ())
G_DECLARE_FINAL_TYPE (DpNeverStrategy, dp_never_strategy, DP, NEVER_STRATEGY, GObject)

G_END_DECLS
