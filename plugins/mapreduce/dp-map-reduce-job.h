/* dp-map-reduce-job.h: one map-reduce run, and the seeds' map-reduce
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_MAPREDUCE_INSIDE) && !defined(DP_MAPREDUCE_COMPILATION)
#error "Only <dplaces/dplaces-mapreduce.h> can be included directly."
#endif

#include <gio/gio.h>

#include "dp-map-reduce-macros.h"
#include "dp-map-reduce-workers.h"

G_BEGIN_DECLS

/**
 * DpMapReduceOptions:
 * @sorter: (nullable): the procedure address of a [callback@Dp.MapReduceSorter]
 *   (`#:sorter`); %NULL for [func@Dp.map_reduce_default_sorter]
 * @combiner: (nullable): the procedure address of a
 *   [callback@Dp.MapReduceReducer] run on each task's own output on the
 *   worker that mapped it (`#:combiner`); %NULL: the worker's reducer
 *   combines its tasks' output as it merges them
 * @outputer: (nullable): the procedure address of a
 *   [callback@Dp.MapReduceOutputer] run on the result (`#:outputer`)
 *
 * The seeds' keyword arguments of map-reduce. Start from
 * [func@Dp.map_reduce_options_init]. A procedure address is
 * `MODULE:SYMBOL`: a module in the plugin directories (or a path to one)
 * and the name of a function it exports.
 */
typedef struct {
  const char *sorter;
  const char *combiner;
  const char *outputer;

  /*< private >*/
  gpointer padding[8];
} DpMapReduceOptions;

/**
 * DpMapReduceJobState:
 * @DP_MAP_REDUCE_JOB_READY: not started
 * @DP_MAP_REDUCE_JOB_RUNNING: mapping and reducing
 * @DP_MAP_REDUCE_JOB_DONE: finished with a result
 * @DP_MAP_REDUCE_JOB_FAILED: finished with an error
 *
 * Where a [class@Dp.MapReduceJob] is.
 */
typedef enum {
  DP_MAP_REDUCE_JOB_READY,
  DP_MAP_REDUCE_JOB_RUNNING,
  DP_MAP_REDUCE_JOB_DONE,
  DP_MAP_REDUCE_JOB_FAILED,
} DpMapReduceJobState;

#define DP_TYPE_MAP_REDUCE_JOB_STATE (dp_map_reduce_job_state_get_type ())
DP_MAPREDUCE_AVAILABLE_IN_ALL
GType dp_map_reduce_job_state_get_type (void) G_GNUC_CONST;

#define DP_TYPE_MAP_REDUCE_JOB (dp_map_reduce_job_get_type ())
DP_MAPREDUCE_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpMapReduceJob, dp_map_reduce_job, DP, MAP_REDUCE_JOB, GObject)

DP_MAPREDUCE_AVAILABLE_IN_ALL
void                 dp_map_reduce_options_init        (DpMapReduceOptions        *options);

DP_MAPREDUCE_AVAILABLE_IN_ALL
GVariant            *dp_map_reduce                     (DpMapReduceWorkers        *workers,
                                                        GVariant                  *tasks,
                                                        const char                *mapper,
                                                        const char                *reducer,
                                                        const DpMapReduceOptions  *options,
                                                        GError                   **error);

DP_MAPREDUCE_AVAILABLE_IN_ALL
DpMapReduceJob      *dp_map_reduce_job_new             (DpMapReduceWorkers        *workers,
                                                        GVariant                  *tasks,
                                                        const char                *mapper,
                                                        const char                *reducer,
                                                        const DpMapReduceOptions  *options);
DP_MAPREDUCE_AVAILABLE_IN_ALL
GVariant            *dp_map_reduce_job_run             (DpMapReduceJob            *self,
                                                        GCancellable              *cancellable,
                                                        GError                   **error);
DP_MAPREDUCE_AVAILABLE_IN_ALL
void                 dp_map_reduce_job_run_async       (DpMapReduceJob            *self,
                                                        GCancellable              *cancellable,
                                                        GAsyncReadyCallback        callback,
                                                        gpointer                   user_data);
DP_MAPREDUCE_AVAILABLE_IN_ALL
GVariant            *dp_map_reduce_job_run_finish      (DpMapReduceJob            *self,
                                                        GAsyncResult              *result,
                                                        GError                   **error);

DP_MAPREDUCE_AVAILABLE_IN_ALL
DpMapReduceJobState  dp_map_reduce_job_get_state       (DpMapReduceJob            *self);
DP_MAPREDUCE_AVAILABLE_IN_ALL
guint                dp_map_reduce_job_get_tasks_total (DpMapReduceJob            *self);
DP_MAPREDUCE_AVAILABLE_IN_ALL
guint                dp_map_reduce_job_get_tasks_done  (DpMapReduceJob            *self);
DP_MAPREDUCE_AVAILABLE_IN_ALL
guint                dp_map_reduce_job_get_tasks_rerun (DpMapReduceJob            *self);
DP_MAPREDUCE_AVAILABLE_IN_ALL
GVariant            *dp_map_reduce_job_dup_status      (DpMapReduceJob            *self);

DP_MAPREDUCE_AVAILABLE_IN_ALL
GPtrArray           *dp_map_reduce_list_jobs           (void);

G_END_DECLS
