/* dp-restart-plugin.h: what each restart strategy module exports
 *
 * Each strategy is a module of its own, libdplaces-NAME.so, since the
 * registry finds a plugin NAME by its file name: dp-restart-plugin.c holds
 * the GIO module entry points, and the strategy's file defines
 * dp_restart_plugin_load() to register its type under
 * DP_RESTART_STRATEGY_EXTENSION_POINT_NAME.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

void dp_restart_plugin_load (GIOModule *module);

G_END_DECLS
