/* dp-map-reduce-workers.h: a group of MapReduce worker places on nodes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_MAPREDUCE_INSIDE) && !defined(DP_MAPREDUCE_COMPILATION)
#error "Only <dplaces/dplaces-mapreduce.h> can be included directly."
#endif

#include <dplaces/dplaces.h>

#include "dp-map-reduce-macros.h"

G_BEGIN_DECLS

/**
 * DP_MAP_REDUCE_MODULE:
 *
 * The module the worker places run from: this library, found as
 * `libdplaces-mapreduce.so` in every node's plugin directories.
 */
#define DP_MAP_REDUCE_MODULE "dplaces-mapreduce"

/**
 * DP_MAP_REDUCE_WORKER_FUNCTION:
 *
 * The worker places' function, [func@Dp.map_reduce_worker].
 */
#define DP_MAP_REDUCE_WORKER_FUNCTION "dp_map_reduce_worker"

#define DP_TYPE_MAP_REDUCE_WORKERS (dp_map_reduce_workers_get_type ())
DP_MAPREDUCE_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpMapReduceWorkers, dp_map_reduce_workers, DP, MAP_REDUCE_WORKERS, GObject)

DP_MAPREDUCE_AVAILABLE_IN_ALL
DpMapReduceWorkers *dp_make_map_reduce_workers          (const char * const  *config,
                                                         const DpNodeOptions *options,
                                                         GError             **error);
DP_MAPREDUCE_AVAILABLE_IN_ALL
DpMapReduceWorkers *dp_map_reduce_workers_new_on_nodes  (DpRemoteNode       **nodes,
                                                         guint                n_nodes,
                                                         const char          *backend,
                                                         GError             **error);

DP_MAPREDUCE_AVAILABLE_IN_ALL
guint               dp_map_reduce_workers_get_n_workers (DpMapReduceWorkers  *self);
DP_MAPREDUCE_AVAILABLE_IN_ALL
guint               dp_map_reduce_workers_get_n_alive   (DpMapReduceWorkers  *self);
DP_MAPREDUCE_AVAILABLE_IN_ALL
DpRemoteNode       *dp_map_reduce_workers_get_node      (DpMapReduceWorkers  *self,
                                                         guint                index);
DP_MAPREDUCE_AVAILABLE_IN_ALL
DpChannel          *dp_map_reduce_workers_get_channel   (DpMapReduceWorkers  *self,
                                                         guint                index);
DP_MAPREDUCE_AVAILABLE_IN_ALL
const char         *dp_map_reduce_workers_get_name      (DpMapReduceWorkers  *self,
                                                         guint                index);
DP_MAPREDUCE_AVAILABLE_IN_ALL
void                dp_map_reduce_workers_stop          (DpMapReduceWorkers  *self);

DP_MAPREDUCE_AVAILABLE_IN_ALL
void                dp_map_reduce_worker                (DpChannel           *channel);

G_END_DECLS
