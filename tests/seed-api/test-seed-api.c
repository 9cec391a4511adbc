/* test-seed-api.c: the seeds' API version 3 and the last pieces of the
 * distributed places API, with real nodes spawned on loopback by the local
 * launcher:
 *
 *  - start-message-router/thread: a router in a thread, given nodes,
 *    stopped by closing its channel (dp_start_message_router_thread);
 *  - mr-spawn-remote-node, mr-supervise-named-dynamic-place-at,
 *    mr-connect-to: requests served in order, a node named by the port it
 *    was asked for (0) or the one it got;
 *  - send-new-place-channel-to-named-dest: Racket's 'channel-connect, over
 *    the router and straight over the wire (NEW_CONNECTION mode channel);
 *  - supervise-process-at: an external command through the local launcher,
 *    its output prefixed, its status; wrap_argv of local and ssh;
 *  - place-socket-bridge%: a channel bound to a socket connection's id;
 *  - log-message and connect-to-named-place from a place of the processes
 *    backend, which has no node and no cookie;
 *  - spawn-nodes/join (the nodes in the order asked for), node addresses
 *    (HOST:PORT) and dp_spawn_nodes_at(): a node per address, one for an
 *    address with a port given twice, and a clear error for a bad address
 *    or a node that cannot start.
 *
 * The place functions are in seed-api-places.so (DPLACES_PLUGIN_PATH).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <dplaces/dplaces.h>

#define TEST_MODULE "seed-api-places"

#include "test-common.h"
#include "test-lines.h"
#include "test-log.h"
#include "test-nodes.h"

/* ── helpers ────────────────────────────────────────────────────────── */

/* The first get on @channel fails, and its reason mentions @text. */
static void
assert_get_fails (DpChannel  *channel,
                  const char *text)
{
  g_autoptr(GError) error = test_get_error (channel);

  g_test_message ("the get failed as expected: %s", error->message);
  g_assert_nonnull (strstr (error->message, text));
}

/* Puts @text on a connection to seed_named_echo and checks the echo. */
static void
assert_echo (DpChannel  *channel,
             const char *text)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) inner = NULL;
  const char *tag;

  test_put (channel, g_variant_new_string (text));
  reply = test_get (channel);
  g_assert_cmpstr (g_variant_get_type_string (reply), ==, "(sv)");
  g_variant_get (reply, "(&sv)", &tag, &inner);
  g_assert_cmpstr (tag, ==, "echo");
  g_assert_cmpstr (g_variant_get_type_string (inner), ==, "s");
  g_assert_cmpstr (g_variant_get_string (inner, NULL), ==, text);
}

/* Closes a router's channel and waits for its thread: status 0. */
static void
stop_router (DpChannel *mrch,
             GThread   *thread)
{
  dp_channel_close (mrch);
  g_assert_cmpint (GPOINTER_TO_INT (g_thread_join (thread)), ==, 0);
}

/* ── spawn-nodes/join, node addresses, spawning at addresses ───────── */

static void
test_node_address_parse (void)
{
  static const struct {
    const char *address;
    const char *host;
    guint port;
  } good[] = {
    { "localhost:6340", "localhost", 6340 },
    { "localhost:0", "localhost", 0 },
    { "host.example", "host.example", 1234 },
    { "[::1]:80", "::1", 80 },
    { "[::1]", "::1", 1234 },
    { "fe80::1", "fe80::1", 1234 },
  };
  static const char * const bad[] = {
    "", ":80", "host:", "host:port", "host:65536", "host:-1", "[::1", "[::1]x", "[::1]:", "[]:80",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *host = NULL;
      guint port = 7;

      g_assert_true (dp_node_address_parse (good[i].address, 1234, &host, &port, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (host, ==, good[i].host);
      g_assert_cmpuint (port, ==, good[i].port);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *host = NULL;
      guint port = 7;

      g_assert_false (dp_node_address_parse (bad[i], 1234, &host, &port, &error));
      g_assert_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
      g_assert_nonnull (strstr (error->message, bad[i]));
      g_assert_null (host);
      g_assert_cmpuint (port, ==, 7);
    }
}

/* @node runs: a named echo place started there answers @text. */
static void
assert_node_echoes (DpRemoteNode *node,
                    const char   *text)
{
  g_autoptr(DpRemoteConnection) place = test_launch (node, TEST_MODULE, "seed_named_echo", "echo", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRemoteConnection) connection = dp_connect_to_named_place (node, "echo", &error);

  g_assert_no_error (error);
  g_assert_nonnull (connection);
  assert_echo (DP_CHANNEL (connection), text);
}

/* A TCP port nothing listens on now, picked by the system. */
static guint
unused_port (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &error);

  g_assert_no_error (error);
  g_socket_listener_close (listener);
  return port;
}

static void
test_spawn_nodes_join (void)
{
  const char *hosts[] = { "localhost", "127.0.0.1", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) nodes = NULL;
  DpNodeOptions options;

  dp_node_options_init (&options);
  options.listen_port = 0;
  options.launcher = "local";
  nodes = dp_spawn_nodes_join (hosts, &options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (nodes);

  /* In the order asked for, whichever started first. */
  g_assert_cmpuint (nodes->len, ==, 2);
  for (guint i = 0; i < nodes->len; i++)
    {
      g_assert_cmpstr (dp_remote_node_get_host (g_ptr_array_index (nodes, i)), ==, hosts[i]);
      assert_node_echoes (g_ptr_array_index (nodes, i), hosts[i]);
    }
  for (guint i = 0; i < nodes->len; i++)
    test_stop_node (g_ptr_array_index (nodes, i));
}

static void
test_spawn_nodes_at (void)
{
  guint port = unused_port ();
  g_autofree char *fixed = g_strdup_printf ("localhost:%u", port);
  const char *addresses[] = { "localhost:0", fixed, "127.0.0.1", fixed, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) nodes = NULL;
  DpNodeOptions options;

  dp_node_options_init (&options);
  options.listen_port = 0;      /* for "127.0.0.1", which gives none */
  options.launcher = "local";
  nodes = dp_spawn_nodes_at (addresses, &options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (nodes);

  /* A node per address, in order; the fixed port's twice is one node. */
  g_assert_cmpuint (nodes->len, ==, 4);
  g_assert_true (g_ptr_array_index (nodes, 1) == g_ptr_array_index (nodes, 3));
  g_assert_true (g_ptr_array_index (nodes, 0) != g_ptr_array_index (nodes, 2));
  g_assert_cmpstr (dp_remote_node_get_host (g_ptr_array_index (nodes, 0)), ==, "localhost");
  g_assert_cmpstr (dp_remote_node_get_host (g_ptr_array_index (nodes, 2)), ==, "127.0.0.1");
  g_assert_cmpuint (dp_remote_node_get_listen_port (g_ptr_array_index (nodes, 1)), ==, port);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpuint (dp_remote_node_get_listen_port (g_ptr_array_index (nodes, i)), >, 0);
      assert_node_echoes (g_ptr_array_index (nodes, i), addresses[i]);
    }
  for (guint i = 0; i < 3; i++)
    test_stop_node (g_ptr_array_index (nodes, i));
}

static void
test_spawn_nodes_at_refused (void)
{
  g_autoptr(GSocketListener) taken = g_socket_listener_new ();
  g_autofree char *busy = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) nodes = NULL;
  const char *bad_address[] = { "localhost:0", "localhost:65536", NULL };
  const char *busy_port[] = { "localhost:0", NULL, NULL };
  DpNodeOptions options;
  guint16 port;

  dp_node_options_init (&options);
  options.launcher = "local";

  /* A bad address: nothing is spawned. */
  nodes = dp_spawn_nodes_at (bad_address, &options, &error);
  g_assert_null (nodes);
  g_assert_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
  g_assert_nonnull (strstr (error->message, "localhost:65536"));
  g_clear_error (&error);

  /* A node that cannot listen: the call fails, saying why. */
  port = g_socket_listener_add_any_inet_port (taken, NULL, &error);
  g_assert_no_error (error);
  busy = g_strdup_printf ("localhost:%u", port);
  busy_port[1] = busy;
  nodes = dp_spawn_nodes_at (busy_port, &options, &error);
  g_assert_null (nodes);
  g_assert_nonnull (error);
  g_test_message ("refused as expected: %s", error->message);
}

/* ── start-message-router/thread ────────────────────────────────────── */

static void
test_router_thread (void)
{
  g_autoptr(DpRemoteNode) node = test_spawn_mesh_node ();
  g_autoptr(DpRemoteConnection) echo = test_launch (node, TEST_MODULE, "seed_named_echo", "echo", NULL);
  g_autoptr(GPtrArray) nodes = g_ptr_array_new ();
  g_autoptr(GPtrArray) spawned = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DpChannel) mrch = NULL;
  g_autoptr(DpChannel) connection = NULL;
  g_autoptr(DpChannel) nobody = NULL;
  guint port = dp_remote_node_get_listen_port (node);
  DpNode *router;
  GThread *thread = NULL;

  g_ptr_array_add (nodes, node);
  mrch = dp_start_message_router_thread (0, nodes, &thread, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mrch);
  g_assert_nonnull (thread);

  /* It is this process's node now, listening on a port it picked. */
  router = dp_node_get_default ();
  g_assert_cmpuint (dp_node_get_listen_port (router), >, 0);
  spawned = dp_node_list_spawned_nodes (router);
  g_assert_true (g_ptr_array_find (spawned, node, NULL));

  /* A node it was given, by its address. */
  connection = dp_mr_connect_to (mrch, "localhost", port, "echo");
  assert_echo (connection, "hello through the router");
  assert_echo (connection, "and again");

  /* No such place: the first get says so. */
  nobody = dp_mr_connect_to (mrch, "localhost", port, "nobody");
  test_assert_not_found (nobody, "nobody");

  /* Closing the channel stops the router: its relays die (with its exit,
   * or the node's, whichever comes first), and the nodes it holds are
   * told to exit. */
  stop_router (mrch, thread);
  assert_get_fails (connection, "");
  test_wait_node_exit (node);
}

/* ── mr-spawn-remote-node, mr-supervise-named-dynamic-place-at,
 *    mr-connect-to ───────────────────────────────────────────────────── */

static void
test_router_spawn (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpChannel) mrch = NULL;
  g_autoptr(DpChannel) first = NULL;
  g_autoptr(DpChannel) second = NULL;
  g_autoptr(DpChannel) by_real_port = NULL;
  g_autoptr(GPtrArray) spawned = NULL;
  DpRemoteNode *local = NULL, *loopback = NULL;
  GThread *thread = NULL;

  mrch = dp_start_message_router_thread (0, NULL, &thread, &error);
  g_assert_no_error (error);

  /* Requests are served in order: each finds what the ones before made,
   * and a node spawned with port 0 is named by 0. */
  dp_mr_spawn_remote_node (mrch, "localhost", 0, FALSE);
  dp_mr_spawn_remote_node (mrch, "127.0.0.1", 0, TRUE);
  dp_mr_supervise_named_dynamic_place_at (mrch, "localhost", 0, "echo", TEST_MODULE, "seed_named_echo");
  dp_mr_supervise_named_dynamic_place_at (mrch, "127.0.0.1", 0, "echo-solo", TEST_MODULE, "seed_named_echo");
  first = dp_mr_connect_to (mrch, "localhost", 0, "echo");
  second = dp_mr_connect_to (mrch, "127.0.0.1", 0, "echo-solo");

  assert_echo (first, "to the first node");
  assert_echo (second, "to the solo node");

  /* Both are the router's, one solo, each on the port it picked. */
  spawned = dp_node_list_spawned_nodes (dp_node_get_default ());
  g_assert_cmpuint (spawned->len, ==, 2);
  for (guint i = 0; i < spawned->len; i++)
    {
      DpRemoteNode *node = g_ptr_array_index (spawned, i);
      gboolean solo = FALSE;

      g_object_get (node, "solo", &solo, NULL);
      g_assert_cmpuint (dp_remote_node_get_listen_port (node), >, 0);
      g_assert_true (dp_remote_node_is_alive (node));
      if (g_str_equal (dp_remote_node_get_host (node), "localhost"))
        {
          g_assert_false (solo);
          local = node;
        }
      else
        {
          g_assert_cmpstr (dp_remote_node_get_host (node), ==, "127.0.0.1");
          g_assert_true (solo);
          loopback = node;
        }
    }
  g_assert_nonnull (local);
  g_assert_nonnull (loopback);

  /* The port a node got names it too. */
  by_real_port = dp_mr_connect_to (mrch, "localhost", dp_remote_node_get_listen_port (local), "echo");
  assert_echo (by_real_port, "by the port it picked");

  g_object_ref (local);
  g_object_ref (loopback);
  stop_router (mrch, thread);
  test_wait_node_exit (local);
  test_wait_node_exit (loopback);
  g_object_unref (local);
  g_object_unref (loopback);
}

/* ── send-new-place-channel-to-named-dest ───────────────────────────── */

static void
assert_connected (DpChannel  *channel,
                  const char *src_id)
{
  g_autoptr(GVariant) greeting = test_get (channel);
  g_autoptr(GVariant) inner = NULL;
  const char *tag;

  g_assert_cmpstr (g_variant_get_type_string (greeting), ==, "(sv)");
  g_variant_get (greeting, "(&sv)", &tag, &inner);
  g_assert_cmpstr (tag, ==, "connected");
  g_assert_cmpstr (g_variant_get_string (inner, NULL), ==, src_id);
}

static void
test_new_place_channel (void)
{
  g_autoptr(DpRemoteNode) node = test_spawn_mesh_node ();
  g_autoptr(DpRemoteConnection) echo = test_launch (node, TEST_MODULE, "seed_named_echo", "echo", NULL);
  g_autoptr(GPtrArray) nodes = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DpChannel) mrch = NULL;
  g_autoptr(DpChannel) channel = NULL;
  g_autoptr(DpChannel) other = NULL;
  g_autoptr(DpChannel) nobody = NULL;
  g_autoptr(DpRemoteConnection) direct = NULL;
  g_autoptr(DpRemoteConnection) refused = NULL;
  guint port = dp_remote_node_get_listen_port (node);
  GThread *thread = NULL;

  g_ptr_array_add (nodes, node);
  mrch = dp_start_message_router_thread (0, nodes, &thread, &error);
  g_assert_no_error (error);

  /* Through the router: announced once with the source id, then plain
   * messages both ways. */
  channel = dp_send_new_place_channel_to_named_dest (mrch, g_variant_new_string ("client-7"),
                                                     "localhost", port, "echo");
  assert_connected (channel, "client-7");
  assert_echo (channel, "ping");
  assert_echo (channel, "pong");

  /* Two channels at once stay apart. */
  other = dp_send_new_place_channel_to_named_dest (mrch, g_variant_new_string ("client-8"),
                                                   "localhost", port, "echo");
  assert_connected (other, "client-8");
  assert_echo (other, "on the other channel");
  assert_echo (channel, "still on the first");

  nobody = dp_send_new_place_channel_to_named_dest (mrch, g_variant_new_string ("client-9"),
                                                    "localhost", port, "nobody");
  test_assert_not_found (nobody, "nobody");

  /* Straight over the wire: NEW_CONNECTION, mode channel. */
  direct = dp_remote_node_connect_channel (node, g_variant_new ("(si)", "direct", 42), "echo",
                                           &error);
  g_assert_no_error (error);
  {
    g_autoptr(GVariant) greeting = test_get (DP_CHANNEL (direct));
    g_autoptr(GVariant) inner = NULL;
    g_autoptr(GVariant) expected = g_variant_ref_sink (g_variant_new ("(si)", "direct", 42));

    g_variant_get (greeting, "(&sv)", NULL, &inner);
    g_assert_true (g_variant_equal (inner, expected));
  }
  assert_echo (DP_CHANNEL (direct), "without a router");

  /* A source id cannot carry channels across. */
  {
    g_autoptr(DpPlaceChannel) a = NULL;
    g_autoptr(DpPlaceChannel) b = NULL;

    dp_place_channel_new_pair (&a, &b);
    refused = dp_remote_node_connect_channel (node, dp_channel_to_variant (DP_CHANNEL (a)), "echo",
                                              &error);
    g_assert_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
    g_assert_null (refused);
    g_clear_error (&error);
    dp_channel_close (DP_CHANNEL (a));
  }

  stop_router (mrch, thread);
  assert_get_fails (channel, "");
  test_wait_node_exit (node);
}

/* ── supervise-process-at ───────────────────────────────────────────── */

static void
test_supervise_process (void)
{
  const char *argv[] = { "sh", "-c", "echo hello from a supervised process; exit 3", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(DpSpawnedProcess) process = NULL;
  g_autoptr(GString) seen = g_string_new (NULL);
  TestStdout caught;
  gboolean found;

  /* Its output is forwarded to our standard output: catch it there. */
  test_stdout_catch (&caught);
  process = dp_supervise_process_at ("localhost", argv, &error);
  found = process != NULL &&
          test_read_fd_until (caught.fd, "PROCESS localhost: hello from a supervised process\n", 1, seen);
  test_stdout_release (&caught);

  g_assert_no_error (error);
  g_assert_nonnull (process);
  g_test_message ("forwarded: %s", seen->str);
  g_assert_true (found);
  g_assert_cmpint (dp_spawned_process_wait (process), ==, 3);
  g_assert_cmpint (dp_spawned_process_get_pid (process), >=, 0);
  g_assert_cmpstr (dp_spawned_process_get_exit_reason (process), ==, "exited with status 3");
  g_assert_true (DP_IS_EVENT_CONTAINER (process));
}

static void
test_supervise_process_refused (void)
{
  const char *argv[] = { "true", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(DpLauncher) local = NULL;
  g_auto(GStrv) wrapped = NULL;

  local = dp_plugin_registry_create (dp_plugin_registry_get_default (),
                                     DP_LAUNCHER_EXTENSION_POINT_NAME, "local", &error);
  g_assert_no_error (error);
  wrapped = dp_launcher_wrap_argv (local, "elsewhere.invalid", argv, &error);
  g_assert_error (error, DP_ERROR, DP_ERROR_REFUSED);
  g_assert_null (wrapped);
}

static void
test_wrap_argv (void)
{
  const char *argv[] = { "sh", "-c", "echo 'a b' > /tmp/x", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(DpLauncher) local = NULL;
  g_autoptr(DpLauncher) ssh = NULL;
  g_auto(GStrv) here = NULL;
  g_auto(GStrv) there = NULL;
  g_autofree char *remote_command = NULL;
  g_auto(GStrv) remote_words = NULL;
  guint n;

  local = dp_plugin_registry_create (dp_plugin_registry_get_default (),
                                     DP_LAUNCHER_EXTENSION_POINT_NAME, "local", &error);
  g_assert_no_error (error);
  here = dp_launcher_wrap_argv (local, "localhost", argv, &error);
  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char * const *) here, argv));

  ssh = dp_plugin_registry_create (dp_plugin_registry_get_default (),
                                   DP_LAUNCHER_EXTENSION_POINT_NAME, "ssh", &error);
  g_assert_no_error (error);
  g_object_set (ssh, "ssh-bin-path", "/usr/bin/ssh", "user", "worker", "port", 2222,
                "remote-path", "/opt/dplaces/bin/dplaces", NULL);
  there = dp_launcher_wrap_argv (ssh, "compute-1", argv, &error);
  g_assert_no_error (error);

  /* The ssh prefix of a node's command line, then the command. */
  n = g_strv_length (there);
  g_assert_cmpuint (n, ==, 10);
  g_assert_cmpstr (there[0], ==, "/usr/bin/ssh");
  g_assert_cmpstr (there[1], ==, "-T");
  g_assert_cmpstr (there[2], ==, "-o");
  g_assert_cmpstr (there[3], ==, "BatchMode=yes");
  g_assert_cmpstr (there[4], ==, "-p");
  g_assert_cmpstr (there[5], ==, "2222");
  g_assert_cmpstr (there[6], ==, "worker@compute-1");
  g_assert_true (g_strv_contains ((const char * const *) there, "sh"));
  g_assert_false (g_strv_contains ((const char * const *) there, "/opt/dplaces/bin/dplaces"));

  /* The remote shell splits the words back into the command. */
  remote_command = g_strjoinv (" ", there + 7);
  g_assert_true (g_shell_parse_argv (remote_command, NULL, &remote_words, &error));
  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char * const *) remote_words, argv));

  /* A host ssh would read as an option is refused. */
  g_clear_pointer (&there, g_strfreev);
  there = dp_launcher_wrap_argv (ssh, "-oProxyCommand=x", argv, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (there);
}

/* ── place-socket-bridge% ───────────────────────────────────────────── */

static void
test_place_socket_bridge (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpSocketConnection) a = NULL;
  g_autoptr(DpSocketConnection) b = NULL;
  g_autoptr(DpPlaceChannel) remote = NULL;
  g_autoptr(DpPlaceChannel) pch = NULL;
  g_autoptr(DpPlaceChannel) place_end = NULL;
  g_autoptr(DpPlaceSocketBridge) bridge = NULL;
  g_autoptr(DpPlaceSocketBridge) twice = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  g_autoptr(GVariant) message = NULL;
  g_autoptr(GVariant) expected = g_variant_ref_sink (g_variant_new ("(si)", "across", 7));
  guint32 id = 0;

  test_connection_pair (&a, &b);
  dp_socket_connection_start (a);
  dp_socket_connection_start (b);

  /* Side a opens a channel; side b bridges a place channel to its id. */
  remote = dp_socket_connection_open_new_channel (a, &id);
  g_assert_cmpuint (id, !=, 0);
  dp_place_channel_new_pair (&pch, &place_end);

  /* Put before the bridge exists: it goes first. */
  test_put (DP_CHANNEL (place_end), g_variant_new_string ("early"));

  bridge = dp_place_socket_bridge_new (DP_CHANNEL (pch), b, id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bridge);
  g_assert_cmpuint (dp_place_socket_bridge_get_sc_id (bridge), ==, id);
  g_assert_true (dp_place_socket_bridge_get_channel (bridge) == DP_CHANNEL (pch));
  g_assert_true (dp_place_socket_bridge_get_connection (bridge) == b);

  /* An event container that waits on nothing: the connection works. */
  g_assert_true (DP_IS_EVENT_CONTAINER (bridge));
  dp_event_container_register (DP_EVENT_CONTAINER (bridge), events);
  g_assert_cmpuint (events->len, ==, 0);

  message = test_get (DP_CHANNEL (remote));
  g_assert_cmpstr (g_variant_get_string (message, NULL), ==, "early");
  g_clear_pointer (&message, g_variant_unref);

  test_put (DP_CHANNEL (remote), expected);
  message = test_get (DP_CHANNEL (place_end));
  g_assert_true (g_variant_equal (message, expected));
  g_clear_pointer (&message, g_variant_unref);

  test_put (DP_CHANNEL (place_end), g_variant_new_string ("back"));
  message = test_get (DP_CHANNEL (remote));
  g_assert_cmpstr (g_variant_get_string (message, NULL), ==, "back");

  /* An id can be bridged once. */
  {
    g_autoptr(DpPlaceChannel) x = NULL;
    g_autoptr(DpPlaceChannel) y = NULL;

    dp_place_channel_new_pair (&x, &y);
    twice = dp_place_socket_bridge_new (DP_CHANNEL (x), b, id, &error);
    g_assert_error (error, DP_ERROR, DP_ERROR_PROTOCOL);
    g_assert_null (twice);
    g_clear_error (&error);
  }

  /* The place's end closing reaches the other side. */
  dp_channel_close (DP_CHANNEL (place_end));
  assert_get_fails (DP_CHANNEL (remote), "");

  dp_socket_connection_close (a, NULL);
  dp_socket_connection_close (b, NULL);
}

/* ── log-message and connect-to-named-place from processes places ───── */

static void
test_processes_log_message (void)
{
  g_autoptr(DpRemoteNode) node = test_spawn_mesh_node ();
  g_autoptr(DpRemoteConnection) logger = test_launch (node, TEST_MODULE, "seed_log_place", NULL,
                                                      "processes");
  g_autoptr(GVariant) answer = NULL;
  g_autofree char *prefix = dp_remote_node_get_log_prefix (node);
  g_autofree char *marker = g_strdup_printf ("a line from a child process %d", g_random_int ());
  g_autofree char *line = NULL;
  const char *needles[] = { prefix, "place ", marker, NULL };

  test_put (DP_CHANNEL (logger), g_variant_new_string (marker));
  answer = test_get (DP_CHANNEL (logger));
  g_assert_cmpstr (g_variant_get_string (answer, NULL), ==, "logged");

  /* It reached the root — here — through the node, with both prefixes. */
  line = test_log_wait (0, needles);
  g_assert_nonnull (line);
  g_test_message ("logged at the root: %s", line);
  g_assert_true (g_str_has_prefix (line, prefix));

  test_stop_node (node);
}

/* seed_connect_place's next answer, which must be tagged @expected_tag:
 * its value. */
static GVariant *
get_connect_reply (DpChannel  *place,
                   const char *expected_tag)
{
  g_autoptr(GVariant) reply = test_get (place);
  GVariant *value = NULL;
  const char *tag;

  g_assert_cmpstr (g_variant_get_type_string (reply), ==, "(sv)");
  g_variant_get (reply, "(&sv)", &tag, &value);
  if (!g_str_equal (tag, expected_tag))
    {
      g_autofree char *text = g_variant_print (value, FALSE);
      g_test_message ("unexpected %s: %s", tag, text);
    }
  g_assert_cmpstr (tag, ==, expected_tag);
  return value;
}

/* The named echo answered seed_connect_place with @expected_text. */
static void
assert_connect_reply (DpChannel  *place,
                      const char *expected_text)
{
  g_autoptr(GVariant) value = get_connect_reply (place, "ok");
  g_autoptr(GVariant) inner = NULL;
  const char *echo_tag;

  g_variant_get (value, "(&sv)", &echo_tag, &inner);
  g_assert_cmpstr (echo_tag, ==, "echo");
  g_assert_cmpstr (g_variant_get_string (inner, NULL), ==, expected_text);
}

/* seed_connect_place's connection failed with @expected_code (of
 * DP_ERROR) and a message holding @expected_text. */
static void
assert_connect_error (DpChannel  *place,
                      gint        expected_code,
                      const char *expected_text)
{
  g_autoptr(GVariant) value = get_connect_reply (place, "error");
  const char *text;
  gint32 code;

  g_assert_cmpstr (g_variant_get_type_string (value), ==, "(is)");
  g_variant_get (value, "(i&s)", &code, &text);
  g_test_message ("the child's error: %s", text);
  g_assert_cmpint (code, ==, expected_code);
  g_assert_nonnull (strstr (text, expected_text));
}

static void
test_processes_connect (void)
{
  g_autoptr(DpRemoteNode) server = test_spawn_mesh_node ();
  g_autoptr(DpRemoteNode) client = test_spawn_mesh_node ();
  g_autoptr(DpRemoteConnection) echo = test_launch (server, TEST_MODULE, "seed_named_echo", "echo", NULL);
  g_autoptr(DpRemoteConnection) child = test_launch (client, TEST_MODULE, "seed_connect_place", NULL,
                                                     "processes");
  g_autoptr(DpRemoteConnection) local_child = test_launch (server, TEST_MODULE, "seed_connect_place", NULL,
                                                           "processes");
  guint port = dp_remote_node_get_listen_port (server);

  /* A processes place on another node reaches the named place: its
   * creator, that node, connects for it. */
  test_put (DP_CHANNEL (child),
               g_variant_new ("(sus@v)", "localhost", port, "echo",
                              g_variant_new_variant (g_variant_new_string ("from a child"))));
  assert_connect_reply (DP_CHANNEL (child), "from a child");

  /* Twice: each request gets its own channel. */
  test_put (DP_CHANNEL (child),
               g_variant_new ("(sus@v)", "localhost", port, "echo",
                              g_variant_new_variant (g_variant_new_string ("once more"))));
  assert_connect_reply (DP_CHANNEL (child), "once more");

  /* And one on the named place's own node. */
  test_put (DP_CHANNEL (local_child),
               g_variant_new ("(sus@v)", "localhost", port, "echo",
                              g_variant_new_variant (g_variant_new_string ("next door"))));
  assert_connect_reply (DP_CHANNEL (local_child), "next door");

  /* What goes wrong comes back as the first get's error — a missing
   * place as DP_ERROR_NOT_FOUND, from the node through the child's
   * creator. */
  test_put (DP_CHANNEL (child),
               g_variant_new ("(sus@v)", "localhost", port, "nobody",
                              g_variant_new_variant (g_variant_new_string ("lost"))));
  assert_connect_error (DP_CHANNEL (child), DP_ERROR_NOT_FOUND, "No place named “nobody”");

  test_stop_node (client);
  test_stop_node (server);
}

int
main (int    argc,
      char **argv)
{
  static const char secret[] = "seed-api-test-cookie-0123456789abcdef";
  g_autoptr(GBytes) cookie = g_bytes_new_static (secret, strlen (secret));

  test_log_capture (TRUE);

  g_test_init (&argc, &argv, NULL);

  /* A cookie of our own: the nodes we spawn get it on standard input. */
  dp_cookie_set_process (cookie);

  g_test_add_func ("/seed-api/start-message-router-thread", test_router_thread);
  g_test_add_func ("/seed-api/mr-spawn-supervise-connect", test_router_spawn);
  g_test_add_func ("/seed-api/send-new-place-channel-to-named-dest", test_new_place_channel);
  g_test_add_func ("/seed-api/supervise-process-at", test_supervise_process);
  g_test_add_func ("/seed-api/supervise-process-at/refused", test_supervise_process_refused);
  g_test_add_func ("/seed-api/launcher-wrap-argv", test_wrap_argv);
  g_test_add_func ("/seed-api/place-socket-bridge", test_place_socket_bridge);
  g_test_add_func ("/seed-api/processes/log-message", test_processes_log_message);
  g_test_add_func ("/seed-api/processes/connect-to-named-place", test_processes_connect);
  g_test_add_func ("/seed-api/node-address-parse", test_node_address_parse);
  g_test_add_func ("/seed-api/spawn-nodes-join", test_spawn_nodes_join);
  g_test_add_func ("/seed-api/spawn-nodes-at", test_spawn_nodes_at);
  g_test_add_func ("/seed-api/spawn-nodes-at/refused", test_spawn_nodes_at_refused);

  return g_test_run ();
}
