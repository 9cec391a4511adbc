/* dp-rmpi-job.h: the launcher's side of an RMPI program
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DP_RMPI_INSIDE) && !defined(DP_RMPI_COMPILATION)
#error "Only <dplaces/dp-rmpi.h> can be included directly."
#endif

#include <dplaces/dplaces.h>

#include "dp-rmpi-macros.h"

G_BEGIN_DECLS

#define DP_TYPE_RMPI_JOB (dp_rmpi_job_get_type ())
DP_RMPI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpRmpiJob, dp_rmpi_job, DP, RMPI_JOB, GObject)

DP_RMPI_AVAILABLE_IN_ALL
DpRmpiJob      *dp_rmpi_job_new                    (GVariant      *default_config,
                                                    GVariant      *config,
                                                    GError       **error);
DP_RMPI_AVAILABLE_IN_ALL
void            dp_rmpi_job_add_node               (DpRmpiJob     *self,
                                                    const char    *key,
                                                    DpRemoteNode  *node);
DP_RMPI_AVAILABLE_IN_ALL
gboolean        dp_rmpi_job_start                  (DpRmpiJob     *self,
                                                    GError       **error);
DP_RMPI_AVAILABLE_IN_ALL
GVariant       *dp_rmpi_job_wait                   (DpRmpiJob     *self,
                                                    GError       **error);
DP_RMPI_AVAILABLE_IN_ALL
void            dp_rmpi_job_stop                   (DpRmpiJob     *self);

DP_RMPI_AVAILABLE_IN_ALL
guint           dp_rmpi_job_get_n_ranks            (DpRmpiJob     *self);
DP_RMPI_AVAILABLE_IN_ALL
guint           dp_rmpi_job_get_n_nodes            (DpRmpiJob     *self);
DP_RMPI_AVAILABLE_IN_ALL
DpRemoteNode   *dp_rmpi_job_get_rank_node          (DpRmpiJob     *self,
                                                    guint          rank);
DP_RMPI_AVAILABLE_IN_ALL
DpChannel      *dp_rmpi_job_get_rank_channel       (DpRmpiJob     *self,
                                                    guint          rank);
DP_RMPI_AVAILABLE_IN_ALL
DpTypedChannel *dp_rmpi_job_get_rank_typed_channel (DpRmpiJob     *self,
                                                    guint          rank);
DP_RMPI_AVAILABLE_IN_ALL
GVariant       *dp_rmpi_job_dup_status             (DpRmpiJob     *self);

DP_RMPI_AVAILABLE_IN_ALL
GPtrArray      *dp_rmpi_list_jobs                  (void);

G_END_DECLS
