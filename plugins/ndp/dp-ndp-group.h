/* dp-ndp-group.h: an NDP group — a coordinator and a pool of worker
 * places — and the seeds' ndp-* operations on it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DP_NDP_INSIDE) && !defined(DP_NDP_COMPILATION)
#error "Only <dplaces/dp-ndp.h> can be included directly."
#endif

#include <dplaces/dplaces.h>

#include "dp-ndp-macros.h"

G_BEGIN_DECLS

/**
 * DP_NDP_MODULE:
 *
 * The module the worker places run from: this library, found as
 * `libdplaces-ndp.so` in every node's plugin directories.
 */
#define DP_NDP_MODULE "dplaces-ndp"

/**
 * DP_NDP_WORKER_FUNCTION:
 *
 * The worker places' function, [func@Dp.ndp_worker].
 */
#define DP_NDP_WORKER_FUNCTION "dp_ndp_worker"

/**
 * DP_NDP_NO_NODE:
 *
 * What [func@Dp.ndp_get_node] returns when every worker is taken: the
 * seeds' `#f`. Workers are numbered from 1; the coordinator is node 0.
 */
#define DP_NDP_NO_NODE 0

#define DP_TYPE_NDP_GROUP (dp_ndp_group_get_type ())
DP_NDP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpNdpGroup, dp_ndp_group, DP, NDP_GROUP, GObject)

/**
 * DpNdpProcedure:
 * @group: the group, as the worker running the procedure sees it: ask it
 *   for more workers with [func@Dp.ndp_get_node]
 * @data: the work's data, as given to [func@Dp.ndp_send_work]
 * @error: return location for a #GError
 *
 * Work for an NDP group: a function exported by a module and named by a
 * procedure address `MODULE:SYMBOL` (the seeds' `(list module-path
 * 'symbol)`), such as the dissertation's `ndp-parallel-qsort`. It runs in
 * a worker place and may hand parts of its data to other workers of
 * @group — which run procedures of their own, recursively — while it
 * works on the rest.
 *
 * Returns: (transfer full) (nullable): the result (a floating reference
 *   is sunk), `()` if %NULL without @error; or %NULL with @error set
 */
typedef GVariant * (*DpNdpProcedure) (DpNdpGroup  *group,
                                      GVariant    *data,
                                      GError     **error);

/* Making a group (the seeds' make-ndp-group). */
DP_NDP_AVAILABLE_IN_ALL
DpNdpGroup *dp_make_ndp_group             (const char * const  *config,
                                           const DpNodeOptions *options,
                                           GError             **error);
DP_NDP_AVAILABLE_IN_ALL
DpNdpGroup *dp_ndp_group_new_on_nodes     (DpRemoteNode       **nodes,
                                           guint                n_nodes,
                                           const char          *backend,
                                           GError             **error);
DP_NDP_AVAILABLE_IN_ALL
DpNdpGroup *dp_ndp_group_new_local        (guint                n_workers,
                                           const char          *backend,
                                           GError             **error);

/* The seeds' operations: from the program that made the group, and from
 * the procedures its workers run. */
DP_NDP_AVAILABLE_IN_ALL
guint       dp_ndp_get_node               (DpNdpGroup          *group,
                                           GError             **error);
DP_NDP_AVAILABLE_IN_ALL
gboolean    dp_ndp_send_work              (DpNdpGroup          *group,
                                           guint                node,
                                           const char          *procedure,
                                           GVariant            *data,
                                           GError             **error);
DP_NDP_AVAILABLE_IN_ALL
GVariant   *dp_ndp_get_result             (DpNdpGroup          *group,
                                           guint                node,
                                           GError             **error);
DP_NDP_AVAILABLE_IN_ALL
gboolean    dp_ndp_return_node            (DpNdpGroup          *group,
                                           guint                node,
                                           GError             **error);
DP_NDP_AVAILABLE_IN_ALL
GVariant   *dp_ndp_run                    (DpNdpGroup          *group,
                                           const char          *procedure,
                                           GVariant            *data,
                                           GError             **error);

/* The group. */
DP_NDP_AVAILABLE_IN_ALL
gboolean      dp_ndp_group_is_worker        (DpNdpGroup        *self);
DP_NDP_AVAILABLE_IN_ALL
guint         dp_ndp_group_get_node_id      (DpNdpGroup        *self);
DP_NDP_AVAILABLE_IN_ALL
guint         dp_ndp_group_get_n_workers    (DpNdpGroup        *self);
DP_NDP_AVAILABLE_IN_ALL
guint         dp_ndp_group_get_n_alive      (DpNdpGroup        *self);
DP_NDP_AVAILABLE_IN_ALL
guint         dp_ndp_group_get_n_free       (DpNdpGroup        *self);
DP_NDP_AVAILABLE_IN_ALL
const char   *dp_ndp_group_get_worker_name  (DpNdpGroup        *self,
                                             guint              node);
DP_NDP_AVAILABLE_IN_ALL
DpRemoteNode *dp_ndp_group_get_worker_node  (DpNdpGroup        *self,
                                             guint              node);
DP_NDP_AVAILABLE_IN_ALL
DpPlace      *dp_ndp_group_get_worker_place (DpNdpGroup        *self,
                                             guint              node);
DP_NDP_AVAILABLE_IN_ALL
void          dp_ndp_group_stop             (DpNdpGroup        *self);

/* Procedure addresses. */
DP_NDP_AVAILABLE_IN_ALL
DpNdpProcedure dp_ndp_procedure_resolve     (const char        *address,
                                             GError           **error);

/* The worker places' function. */
DP_NDP_AVAILABLE_IN_ALL
void          dp_ndp_worker                 (DpChannel         *channel);

G_END_DECLS
