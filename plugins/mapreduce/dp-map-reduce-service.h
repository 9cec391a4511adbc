/* dp-map-reduce-service.h: the [mapreduce] group of a keyfile
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dplaces-mapreduce.h"

G_BEGIN_DECLS

#define DP_TYPE_MAP_REDUCE_SERVICE (dp_map_reduce_service_get_type ())
G_DECLARE_FINAL_TYPE (DpMapReduceService, dp_map_reduce_service, DP, MAP_REDUCE_SERVICE, GObject)

void dp_map_reduce_service_register (GTypeModule *module);

G_END_DECLS
