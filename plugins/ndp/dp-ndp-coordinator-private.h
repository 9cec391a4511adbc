/* dp-ndp-coordinator-private.h: an NDP group's coordinator — which
 * workers are free, who holds the others, and where their results go
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dp-ndp.h"

G_BEGIN_DECLS

#define DP_TYPE_NDP_COORDINATOR (dp_ndp_coordinator_get_type ())
G_DECLARE_FINAL_TYPE (DpNdpCoordinator, dp_ndp_coordinator, DP, NDP_COORDINATOR, GObject)

DpNdpCoordinator *dp_ndp_coordinator_new             (guint               n_workers);
gboolean          dp_ndp_coordinator_add_worker      (DpNdpCoordinator   *self,
                                                      DpChannel          *channel,
                                                      DpRemoteNode       *node,
                                                      DpPlace            *place,
                                                      GError            **error);
void              dp_ndp_coordinator_start           (DpNdpCoordinator   *self);
void              dp_ndp_coordinator_stop            (DpNdpCoordinator   *self);

/* What the program that made the group asks. */
guint             dp_ndp_coordinator_get_node        (DpNdpCoordinator   *self,
                                                      GError            **error);
gboolean          dp_ndp_coordinator_send_work       (DpNdpCoordinator   *self,
                                                      guint               node,
                                                      const char         *procedure,
                                                      GVariant           *data,
                                                      GError            **error);
GVariant         *dp_ndp_coordinator_get_result      (DpNdpCoordinator   *self,
                                                      guint               node,
                                                      GError            **error);
gboolean          dp_ndp_coordinator_return_node     (DpNdpCoordinator   *self,
                                                      guint               node,
                                                      GError            **error);
GVariant         *dp_ndp_coordinator_run             (DpNdpCoordinator   *self,
                                                      const char         *procedure,
                                                      GVariant           *data,
                                                      GError            **error);

guint             dp_ndp_coordinator_get_n_workers   (DpNdpCoordinator   *self);
guint             dp_ndp_coordinator_get_n_alive     (DpNdpCoordinator   *self);
guint             dp_ndp_coordinator_get_n_free      (DpNdpCoordinator   *self);
const char       *dp_ndp_coordinator_get_worker_name (DpNdpCoordinator   *self,
                                                      guint               node);
DpRemoteNode     *dp_ndp_coordinator_get_worker_node (DpNdpCoordinator   *self,
                                                      guint               node);
DpPlace          *dp_ndp_coordinator_get_worker_place (DpNdpCoordinator  *self,
                                                       guint              node);

G_END_DECLS
