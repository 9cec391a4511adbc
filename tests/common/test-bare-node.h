/* test-bare-node.h: a bare `dplaces node`, started as a launcher starts one
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

#include "test-lines.h"

G_BEGIN_DECLS

/**
 * TestBareNode:
 * @process: the node's process
 * @out: its standard output, line by line
 * @err: its standard error (its log), line by line
 * @port: the port it listens on, which the system picked
 * @pid: its process id
 *
 * `dplaces node --listen-port 0 --cookie-stdin`, with no owner: what a
 * hostile or a legitimate client finds on a machine. Its standard input
 * stays open; [func@test_bare_node_stop] closes it, which ends the node.
 */
typedef struct {
  GSubprocess *process;
  TestLines *out;
  TestLines *err;
  guint port;
  GPid pid;

  /*< private >*/
  GOutputStream *stdin_pipe;
} TestBareNode;

TestBareNode *test_bare_node_start (const char   *cookie);
void          test_bare_node_stop  (TestBareNode *node);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestBareNode, test_bare_node_stop)

/**
 * TestClient:
 * @node: a node connected to the bare node with the right cookie
 * @place: an `echo_place` it started there
 *
 * A legitimate client of a node: [func@test_client_assert_served] asks its
 * place to echo a message.
 */
typedef struct {
  DpRemoteNode *node;
  DpRemoteConnection *place;
} TestClient;

TestClient *test_client_connect        (guint               port,
                                        const char         *module);
void        test_client_assert_served  (TestClient         *client,
                                        const char         *text);
void        test_client_free           (TestClient         *client);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestClient, test_client_free)

G_END_DECLS
