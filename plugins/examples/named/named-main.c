/* named-main.c: the named example of Racket's distributed places as a C
 * program — distributed/examples/named/master.rkt
 *
 *   (define (main)
 *     (define remote-node (spawn-remote-racket-node "localhost" #:listen-port 6344))
 *     (define tuple-place (supervise-place-at remote-node #:named 'tuple-server
 *                                             tuple-path 'make-tuple-server))
 *     (define bank-place  (supervise-place-at remote-node bank-path 'make-bank))
 *     (message-router
 *       remote-node
 *       (after-seconds 4 …bank calls…)
 *       (after-seconds 2 …two connections to tuple-server, calls…)
 *       (after-seconds 8 (node-send-exit remote-node))
 *       (after-seconds 10 (exit 0))))
 *
 * Without the timers: the calls run one after the other, tuple server
 * first, as the timers order them. Usage: named [PORT] — by default the
 * node listens on a port the system picks.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>

#include "named-calls.h"

#define NODE_EXIT_WAIT_MS 10000

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRemoteNode) remote_node = NULL;
  g_autoptr(DpRemoteConnection) tuple_place = NULL;
  g_autoptr(DpRemoteConnection) bank_place = NULL;
  g_autoptr(DpRemoteConnection) c = NULL;
  g_autoptr(DpRemoteConnection) d = NULL;
  DpNodeOptions options;

  dp_node_options_init (&options);
  options.listen_port = argc > 1 ? (guint) atoi (argv[1]) : 0;
  /* The node's output as it is: "Hello from define-cast". */
  options.use_current_ports = TRUE;

  remote_node = dp_spawn_remote_node ("localhost", &options, &error);
  if (remote_node != NULL)
    tuple_place = tuple_server_supervise_at (remote_node, &error);
  if (tuple_place != NULL)
    bank_place = bank_supervise_at (remote_node, &error);
  if (bank_place != NULL)
    c = tuple_server_connect (remote_node, &error);
  if (c != NULL)
    d = tuple_server_connect (remote_node, &error);

  if (d == NULL ||
      !named_example_tuple_calls (DP_CHANNEL (c), DP_CHANNEL (d), &error) ||
      !named_example_bank_calls (DP_CHANNEL (bank_place), &error))
    {
      g_printerr ("named: %s\n", error->message);
      return 1;
    }

  /* node-send-exit, and wait until the node has ended and its output is
   * all forwarded. */
  dp_node_send_exit (remote_node);
  dp_spawned_process_wait_timeout (dp_remote_node_get_process (remote_node), NODE_EXIT_WAIT_MS);
  return 0;
}
