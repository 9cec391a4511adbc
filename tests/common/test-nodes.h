/* test-nodes.h: nodes in real processes, for the multi-node test suites
 *
 * The helpers the suites that spawn nodes share (tests/common, a static
 * library every such suite links). Each fails the test rather than hang:
 * waits have deadlines of TEST_WAIT_USEC (tests/test-common.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

gdouble       test_seconds_since      (gint64               start);

gboolean      test_iterate_until      (GMainContext        *context,
                                       const gboolean      *done,
                                       guint                timeout_ms);

void          test_remove_tree        (const char          *path);

const char   *test_getenv             (const char          *name);
const char   *test_dplaces_bin        (void);

DpRemoteNode *test_spawn_node         (void);
DpRemoteNode *test_spawn_node_full    (const char          *host,
                                       DpNodeOptions       *options);
DpRemoteNode *test_spawn_mesh_node    (void);
GStrv         test_local_nodes_config (guint                n,
                                       const char          *backend,
                                       DpNodeOptions       *options);
void          test_wait_node_exit     (DpRemoteNode        *node);
void          test_stop_node          (DpRemoteNode        *node);

DpRemoteConnection *test_launch       (DpRemoteNode        *node,
                                       const char          *module,
                                       const char          *function,
                                       const char          *named,
                                       const char          *backend);

DpRemoteConnection *test_connect_named (DpRemoteNode       *node,
                                        const char         *name);
void          test_assert_not_found   (gpointer             channel,
                                       const char          *name);

gint          test_wait_remote        (DpRemoteConnection  *place);

int           test_pidfd_open         (GPid                 pid);
gboolean      test_pidfd_wait         (int                  pidfd,
                                       gint64               timeout_usec);

G_END_DECLS
