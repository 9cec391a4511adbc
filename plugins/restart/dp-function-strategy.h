/* dp-function-strategy.h: the `function` restart strategy — a user's
 * DpRestartFunc exported by a module
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define DP_TYPE_FUNCTION_STRATEGY (dp_function_strategy_get_type ())
G_DECLARE_FINAL_TYPE (DpFunctionStrategy, dp_function_strategy, DP, FUNCTION_STRATEGY, GObject)

G_END_DECLS
