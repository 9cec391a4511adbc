/* test-nodes.c: nodes in real processes, for the multi-node test suites
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <poll.h>
#include <sys/pidfd.h>

#include <glib/gstdio.h>

#include "test-common.h"
#include "test-nodes.h"

gdouble
test_seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (gdouble) G_USEC_PER_SEC;
}

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates @context until *@done or @timeout_ms pass; returns *@done. */
gboolean
test_iterate_until (GMainContext   *context,
                    const gboolean *done,
                    guint           timeout_ms)
{
  gboolean timed_out = FALSE;
  GSource *timeout = g_timeout_source_new (timeout_ms);

  g_source_set_callback (timeout, set_flag_cb, &timed_out, NULL);
  g_source_attach (timeout, context);
  while (!*done && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);

  return *done;
}

/* Removes @path and, if it is a folder, everything in it (symbolic links
 * are removed, never followed). */
void
test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      test_remove_tree (child);
    }
  g_rmdir (path);
}

/* A variable the suite's meson.build sets. */
const char *
test_getenv (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL)
    g_error ("%s is not set: run the tests with meson test", name);
  return value;
}

/* The build's dplaces binary: DPLACES_BIN, which the suites' meson.build
 * sets. */
const char *
test_dplaces_bin (void)
{
  const char *path = g_getenv ("DPLACES_BIN");

  g_assert_nonnull (path);
  g_assert_true (g_path_is_absolute (path));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE));
  return path;
}

/* A node at @host as @options say, on a port the system picks. */
static DpRemoteNode *
spawn_node (const char    *host,
            DpNodeOptions *options)
{
  g_autoptr(GError) error = NULL;
  DpRemoteNode *node;
  gint64 start = g_get_monotonic_time ();

  options->listen_port = 0;
  node = dp_spawn_remote_node (host, options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (node);
  g_assert_cmpuint (dp_remote_node_get_listen_port (node), >, 0);
  g_assert_nonnull (dp_remote_node_get_process (node));
  g_assert_true (dp_remote_node_is_alive (node));
  test_note ("node %s:%u (pid %d) spawned in %.3f s%s", dp_remote_node_get_host (node),
             dp_remote_node_get_listen_port (node),
             dp_spawned_process_get_pid (dp_remote_node_get_process (node)),
             test_seconds_since (start), options->solo ? "" : ", in the mesh");
  return node;
}

/* A node at @host as @options say, but always on a port the system
 * picks and out of the mesh, so that each test's nodes see only what the
 * test does. */
DpRemoteNode *
test_spawn_node_full (const char    *host,
                      DpNodeOptions *options)
{
  options->solo = TRUE;
  return spawn_node (host, options);
}

DpRemoteNode *
test_spawn_node (void)
{
  DpNodeOptions options;

  dp_node_options_init (&options);
  return test_spawn_node_full ("localhost", &options);
}

/* A node on localhost as a system's are: in the mesh, which the root
 * makes of the nodes it spawns (they connect to each other), where
 * test_spawn_node()'s stay out of it. */
DpRemoteNode *
test_spawn_mesh_node (void)
{
  DpNodeOptions options;

  dp_node_options_init (&options);
  return spawn_node ("localhost", &options);
}

/* What the calls that spawn their nodes from addresses take
 * (dp_make_map_reduce_workers(), dp_make_ndp_group() …) for @n nodes on
 * localhost, each on a port the system picks, started by the local
 * launcher, their places with @backend (%NULL: threads): sets @options
 * and returns the addresses, "localhost:0" @n times. */
GStrv
test_local_nodes_config (guint          n,
                         const char    *backend,
                         DpNodeOptions *options)
{
  GStrv addresses = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    addresses[i] = g_strdup ("localhost:0");
  dp_node_options_init (options);
  options->listen_port = 0;
  options->launcher = "local";
  options->backend = backend;
  return addresses;
}

/* Waits until @node's process has exited, as it must once it was told
 * to. */
void
test_wait_node_exit (DpRemoteNode *node)
{
  DpSpawnedProcess *process = dp_remote_node_get_process (node);

  g_assert_nonnull (process);
  g_assert_true (dp_spawned_process_wait_timeout (process, TEST_WAIT_USEC / 1000));
}

/* Tells @node to exit and waits until its process has. */
void
test_stop_node (DpRemoteNode *node)
{
  dp_remote_node_send_exit (node);
  test_wait_node_exit (node);
}

/* Launches @function of @module on @node (a dynamic place), named
 * @named if not %NULL, with @backend (%NULL: the node's threads). */
DpRemoteConnection *
test_launch (DpRemoteNode *node,
             const char   *module,
             const char   *function,
             const char   *named,
             const char   *backend)
{
  g_autoptr(GError) error = NULL;
  DpRemoteConnection *place;

  place = dp_remote_node_launch_place (node, DP_PLACE_EXEC_DYNAMIC_PLACE, module, function,
                                       named, backend, &error);
  g_assert_no_error (error);
  g_assert_nonnull (place);
  return place;
}

/* A new connection to the place named @name on @node, by its address. */
DpRemoteConnection *
test_connect_named (DpRemoteNode *node,
                    const char   *name)
{
  g_autoptr(GError) error = NULL;
  DpRemoteConnection *connection;

  connection = dp_connect_to_named_place_at (dp_remote_node_get_host (node),
                                             dp_remote_node_get_listen_port (node), name, &error);
  g_assert_no_error (error);
  g_assert_nonnull (connection);
  return connection;
}

/* @channel leads to a named place @name that is not there: its node
 * refused the connection. A get fails with DP_ERROR_NOT_FOUND naming the
 * place, and so does a put after it. */
void
test_assert_not_found (gpointer    channel,
                       const char *name)
{
  g_autofree char *text = g_strdup_printf ("No place named “%s”", name);
  g_autoptr(GError) why = test_get_error (channel);
  g_autoptr(GError) error = NULL;

  test_note ("get: %s", why->message);
  g_assert_error (why, DP_ERROR, DP_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (why->message, text));
  g_assert_false (dp_channel_put (DP_CHANNEL (channel), g_variant_new_string ("after the get"), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, text));
}

typedef struct {
  gboolean done;
  gint status;
  GError *error;
} Waited;

static void
place_waited_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  Waited *waited = data;

  waited->status = dp_remote_connection_wait_finish (DP_REMOTE_CONNECTION (source), result,
                                                     &waited->error);
  waited->done = TRUE;
}

/* dp_remote_connection_wait(), failing the test instead of hanging. */
gint
test_wait_remote (DpRemoteConnection *place)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  Waited waited = { FALSE, -1, NULL };

  g_main_context_push_thread_default (context);
  dp_remote_connection_wait_async (place, NULL, place_waited_cb, &waited);
  g_assert_true (test_iterate_until (context, &waited.done, TEST_WAIT_USEC / 1000));
  g_main_context_pop_thread_default (context);
  g_assert_no_error (waited.error);
  return waited.status;
}

/* A pidfd for @pid, which must still exist (a zombie does): it names that
 * process even once the pid is reused. */
int
test_pidfd_open (GPid pid)
{
  int pidfd = pidfd_open (pid, 0);

  if (pidfd < 0)
    g_error ("pidfd_open (%d): %s", pid, g_strerror (errno));
  return pidfd;
}

/* Waits until the process of @pidfd, our child or not, has ended, for at
 * most @timeout_usec (0: only looks). Returns whether it has. */
gboolean
test_pidfd_wait (int    pidfd,
                 gint64 timeout_usec)
{
  gint64 end_time = g_get_monotonic_time () + timeout_usec;
  struct pollfd poll_fd = { pidfd, POLLIN, 0 };

  for (;;)
    {
      gint64 left_ms = MAX (end_time - g_get_monotonic_time () + 999, 0) / 1000;
      int ready = poll (&poll_fd, 1, (int) MIN (left_ms, G_MAXINT));

      if (ready > 0)
        return TRUE;
      if (ready < 0 && errno != EINTR)
        g_error ("poll on a pidfd: %s", g_strerror (errno));
      if (ready == 0 && left_ms == 0)
        return FALSE;
    }
}
