/* hello-world-main.c: the dissertation's distributed hello world (Fig. 4.2)
 * as a C program
 *
 *   (module+ main
 *     (define n (create-place-node "host2" #:listen-port 6344))
 *     (define p (dynamic-place #:at n (quote-module-path "..") 'hello-world))
 *     (place-channel-put p "Hello")
 *     (printf/f "main received: ~a\n" (place-channel-get p))
 *     (place-wait p))
 *
 * Usage: hello-world [HOST [PORT]] — by default a node on this machine, on
 * a port the system picks. The place runs from the hello-world module, found
 * in the plugin directories of the new node.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include <dplaces/dplaces.h>

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRemoteNode) n = NULL;
  g_autoptr(DpRemoteConnection) p = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *text = NULL;
  DpNodeOptions options;

  dp_node_options_init (&options);
  options.listen_port = argc > 2 ? (guint) atoi (argv[2]) : 0;

  n = dp_create_place_node (argc > 1 ? argv[1] : "localhost", &options, &error);
  if (n == NULL)
    {
      g_printerr ("hello-world: %s\n", error->message);
      return 1;
    }

  p = dp_dynamic_place_at (n, "hello-world", "hello_world_place", &error);
  if (p == NULL ||
      !dp_channel_put (DP_CHANNEL (p), g_variant_new_string ("Hello"), &error) ||
      (reply = dp_channel_get (DP_CHANNEL (p), &error)) == NULL)
    {
      g_printerr ("hello-world: %s\n", error->message);
      return 1;
    }

  text = dp_message_to_display (reply);
  printf ("main received: %s\n", text);
  fflush (stdout);

  return dp_remote_connection_wait (p);
}
