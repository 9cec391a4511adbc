/* dp-intensity-strategy.h: the `intensity` restart strategy (Erlang's)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define DP_TYPE_INTENSITY_STRATEGY (dp_intensity_strategy_get_type ())
G_DECLARE_FINAL_TYPE (DpIntensityStrategy, dp_intensity_strategy, DP, INTENSITY_STRATEGY, GObject)

G_END_DECLS
