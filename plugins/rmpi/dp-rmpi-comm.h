/* dp-rmpi-comm.h: an RMPI communicator — ranks, point-to-point messages,
 * and the rank side of a job (rmpi-init, rmpi-finish)
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

/**
 * DP_RMPI_UNDEFINED:
 *
 * The color that keeps a rank out of every communicator
 * [func@Dp.rmpi_comm_split] makes (MPI's `MPI_UNDEFINED`).
 */
#define DP_RMPI_UNDEFINED (-1)

#define DP_TYPE_RMPI_COMM (dp_rmpi_comm_get_type ())
DP_RMPI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpRmpiComm, dp_rmpi_comm, DP, RMPI_COMM, GObject)

DP_RMPI_AVAILABLE_IN_ALL
gboolean     dp_rmpi_init               (DpChannel       *ch,
                                         DpRmpiComm     **out_comm,
                                         GVariant       **out_args,
                                         DpTypedChannel **out_tc,
                                         GError         **error);
DP_RMPI_AVAILABLE_IN_ALL
guint        dp_rmpi_id                 (DpRmpiComm      *comm);
DP_RMPI_AVAILABLE_IN_ALL
guint        dp_rmpi_cnt                (DpRmpiComm      *comm);
DP_RMPI_AVAILABLE_IN_ALL
gboolean     dp_rmpi_send               (DpRmpiComm      *comm,
                                         guint            dest,
                                         GVariant        *value,
                                         GError         **error);
DP_RMPI_AVAILABLE_IN_ALL
GVariant    *dp_rmpi_recv               (DpRmpiComm      *comm,
                                         guint            src,
                                         GError         **error);
DP_RMPI_AVAILABLE_IN_ALL
void         dp_rmpi_partition          (DpRmpiComm      *comm,
                                         gsize            num,
                                         gsize           *out_offset,
                                         gsize           *out_length);
DP_RMPI_AVAILABLE_IN_ALL
DpRmpiComm  *dp_rmpi_comm_split         (DpRmpiComm      *comm,
                                         gint             color,
                                         gint             key,
                                         GError         **error);
DP_RMPI_AVAILABLE_IN_ALL
gboolean     dp_rmpi_finish             (DpRmpiComm      *comm,
                                         DpTypedChannel  *tc,
                                         GError         **error);
DP_RMPI_AVAILABLE_IN_ALL
gboolean     dp_rmpi_finish_with_result (DpRmpiComm      *comm,
                                         DpTypedChannel  *tc,
                                         GVariant        *result,
                                         GError         **error);

/* The struct's fields: rmpi-comm-id, rmpi-comm-cnt, rmpi-comm-channels. */
DP_RMPI_AVAILABLE_IN_ALL
guint        dp_rmpi_comm_get_id        (DpRmpiComm      *comm);
DP_RMPI_AVAILABLE_IN_ALL
guint        dp_rmpi_comm_get_cnt       (DpRmpiComm      *comm);
DP_RMPI_AVAILABLE_IN_ALL
DpChannel   *dp_rmpi_comm_get_channel   (DpRmpiComm      *comm,
                                         guint            rank);
DP_RMPI_AVAILABLE_IN_ALL
guint        dp_rmpi_comm_get_world_rank (DpRmpiComm     *comm,
                                          guint           rank);
DP_RMPI_AVAILABLE_IN_ALL
const GError *dp_rmpi_comm_get_failure  (DpRmpiComm      *comm);

G_END_DECLS
