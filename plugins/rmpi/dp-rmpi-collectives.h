/* dp-rmpi-collectives.h: broadcast, reduce, allreduce, barrier, gather,
 * allgather, alltoall, alltoallv
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DP_RMPI_INSIDE) && !defined(DP_RMPI_COMPILATION)
#error "Only <dplaces/dp-rmpi.h> can be included directly."
#endif

#include <dplaces/dplaces.h>

#include "dp-rmpi-macros.h"
#include "dp-rmpi-comm.h"
#include "dp-rmpi-op.h"

G_BEGIN_DECLS

DP_RMPI_AVAILABLE_IN_ALL
GVariant *dp_rmpi_broadcast         (DpRmpiComm      *comm,
                                     guint            src,
                                     GVariant        *value,
                                     GError         **error);
DP_RMPI_AVAILABLE_IN_ALL
GVariant *dp_rmpi_reduce            (DpRmpiComm      *comm,
                                     guint            dest,
                                     DpRmpiOp        *op,
                                     GVariant        *value,
                                     GError         **error);
DP_RMPI_AVAILABLE_IN_ALL
GVariant *dp_rmpi_allreduce         (DpRmpiComm      *comm,
                                     DpRmpiOp        *op,
                                     GVariant        *value,
                                     GError         **error);
DP_RMPI_AVAILABLE_IN_ALL
gboolean  dp_rmpi_barrier           (DpRmpiComm      *comm,
                                     GError         **error);
DP_RMPI_AVAILABLE_IN_ALL
GVariant *dp_rmpi_gather            (DpRmpiComm      *comm,
                                     guint            dest,
                                     GVariant        *value,
                                     GError         **error);
DP_RMPI_AVAILABLE_IN_ALL
GVariant *dp_rmpi_allgather         (DpRmpiComm      *comm,
                                     GVariant        *value,
                                     GError         **error);
DP_RMPI_AVAILABLE_IN_ALL
GVariant *dp_rmpi_alltoall          (DpRmpiComm      *comm,
                                     GVariant        *outvec,
                                     GError         **error);
DP_RMPI_AVAILABLE_IN_ALL
GVariant *dp_rmpi_alltoallv         (DpRmpiComm      *comm,
                                     GVariant        *outvec,
                                     const gsize     *send_count,
                                     const gsize     *send_displ,
                                     GVariant        *invec,
                                     const gsize     *recv_count,
                                     const gsize     *recv_displ,
                                     GError         **error);

/* In place, on shared vectors. */
DP_RMPI_AVAILABLE_IN_ALL
gboolean  dp_rmpi_broadcast_vector  (DpRmpiComm      *comm,
                                     guint            src,
                                     DpSharedVector  *vector,
                                     GError         **error);
DP_RMPI_AVAILABLE_IN_ALL
gboolean  dp_rmpi_reduce_vector     (DpRmpiComm      *comm,
                                     guint            dest,
                                     DpRmpiOp        *op,
                                     DpSharedVector  *vector,
                                     GError         **error);
DP_RMPI_AVAILABLE_IN_ALL
gboolean  dp_rmpi_allreduce_vector  (DpRmpiComm      *comm,
                                     DpRmpiOp        *op,
                                     DpSharedVector  *vector,
                                     GError         **error);

G_END_DECLS
