/* dp-map-reduce-workers-private.h: what a job needs of its workers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dplaces-mapreduce.h"

G_BEGIN_DECLS

const char *dp_map_reduce_workers_get_host  (DpMapReduceWorkers  *self,
                                             guint                index);
guint       dp_map_reduce_workers_get_port  (DpMapReduceWorkers  *self,
                                             guint                index);
gboolean    dp_map_reduce_workers_is_alive  (DpMapReduceWorkers  *self,
                                             guint                index);
void        dp_map_reduce_workers_mark_dead (DpMapReduceWorkers  *self,
                                             guint                index);
gboolean    dp_map_reduce_workers_claim     (DpMapReduceWorkers  *self,
                                             GError             **error);
void        dp_map_reduce_workers_release   (DpMapReduceWorkers  *self);

G_END_DECLS
