/* restart-main.c: the restart example as a program — Racket's
 *
 *   (message-router
 *     (spawn-node-with-place-at "localhost" #:listen-port 6345
 *                               (quote-module-name) 'wait-place-thunk
 *                               #:thunk #t
 *                               #:restart-on-exit (restart-every 5 #:retry 3)))
 *
 * with the node on a port the system picks, and an on-final-fail that
 * ends the program once the retries run out (Racket's runs forever).
 *
 * Usage: restart (from the build tree: BUILD/plugins/examples/restart/restart).
 * The place runs from the restart module, found in the plugin directories
 * of the new node.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>

#include "restart.h"

static void
final_fail (gpointer user_data)
{
  DpNode *router = user_data;

  printf ("restart: retried 3 times, giving up\n");
  fflush (stdout);
  /* Called on the library's worker thread: dp_node_exit() is safe there. */
  dp_node_exit (router, 0);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRestarter) restarter = NULL;
  DpNode *router = dp_node_get_default ();
  DpNodeOptions options;

  restarter = dp_restart_every (5, 3, final_fail, router, NULL);

  dp_node_options_init (&options);
  options.listen_port = 0;
  options.thunk = TRUE;
  options.restart_on_exit = G_OBJECT (restarter);
  node = dp_spawn_node_with_place_at ("localhost", "restart", "wait_place_thunk", &options, &error);
  if (node == NULL)
    {
      g_printerr ("restart: %s\n", error->message);
      return 1;
    }

  return dp_message_router (router, DP_EVENT_CONTAINER (node), NULL);
}
