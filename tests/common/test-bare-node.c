/* test-bare-node.c: a bare `dplaces node`, started as a launcher starts one
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "test-common.h"
#include "test-bare-node.h"
#include "test-nodes.h"

/* The most lines of a node's log a test notes when it ends. */
#define NOTED_LINES 40

/* Starts the node with @cookie on its standard input and waits until it
 * says it listens. */
TestBareNode *
test_bare_node_start (const char *cookie)
{
  g_autoptr(GError) error = NULL;
  const char *argv[] = { test_dplaces_bin (), "node", "--listen-port", "0", "--cookie-stdin", NULL };
  TestBareNode *node = g_new0 (TestBareNode, 1);
  const char *ready[] = { "DPLACES-NODE-READY ", NULL };
  g_autofree char *line = NULL;
  g_autofree char *cookie_line = g_strdup_printf ("%s\n", cookie);
  guint64 port = 0, pid = 0;

  node->process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE
                                     | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                     | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_ascii_string_to_unsigned (g_subprocess_get_identifier (node->process), 10, 1,
                                             G_MAXINT, &pid, NULL));
  node->pid = (GPid) pid;
  node->out = test_lines_new (g_subprocess_get_stdout_pipe (node->process));
  node->err = test_lines_new (g_subprocess_get_stderr_pipe (node->process));

  /* The cookie, and the pipe stays open: its end would end the node. */
  node->stdin_pipe = g_subprocess_get_stdin_pipe (node->process);
  g_assert_true (g_output_stream_write_all (node->stdin_pipe, cookie_line, strlen (cookie_line),
                                            NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_flush (node->stdin_pipe, NULL, &error));
  g_assert_no_error (error);

  line = test_lines_wait (node->out, 0, ready, TEST_WAIT_USEC);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "DPLACES-NODE-READY "));
  g_assert_true (g_ascii_string_to_unsigned (line + strlen ("DPLACES-NODE-READY "), 10, 1, 65535,
                                             &port, &error));
  g_assert_no_error (error);
  /* It is the first line. */
  g_mutex_lock (&node->out->lock);
  g_assert_cmpstr (g_ptr_array_index (node->out->lines, 0), ==, line);
  g_mutex_unlock (&node->out->lock);
  node->port = port;
  test_note ("bare node (pid %d) listening on port %u", node->pid, node->port);
  return node;
}

static void
waited_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) data = TRUE;
}

/* Closing its standard input ends the node, as its spawner's going away
 * does. Notes the end of what it logged. */
void
test_bare_node_stop (TestBareNode *node)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  gboolean exited = FALSE;

  g_main_context_push_thread_default (context);
  g_subprocess_wait_async (node->process, NULL, waited_cb, &exited);
  g_output_stream_close (node->stdin_pipe, NULL, NULL);
  if (!test_iterate_until (context, &exited, TEST_WAIT_USEC / 1000))
    {
      g_subprocess_force_exit (node->process);
      test_iterate_until (context, &exited, TEST_WAIT_USEC / 1000);
      g_error ("the node did not exit when its standard input closed");
    }
  g_main_context_pop_thread_default (context);

  {
    guint n = test_lines_count (node->err);
    guint from = n > NOTED_LINES ? n - NOTED_LINES : 0;

    if (from > 0)
      test_note ("node stderr: %u lines, the last %u:", n, NOTED_LINES);
    test_lines_note (node->err, from, "node stderr");
  }
  test_lines_free (node->out);
  test_lines_free (node->err);
  g_object_unref (node->process);
  g_free (node);
}

/* Connects to the node on 127.0.0.1:@port with the process's cookie, once
 * (no retries), and starts @module's echo_place there. */
TestClient *
test_client_connect (guint       port,
                     const char *module)
{
  g_autoptr(GError) error = NULL;
  TestClient *client = g_new0 (TestClient, 1);

  client->node = dp_remote_node_new ("127.0.0.1", port);
  g_object_set (client->node, "retry-times", 0, NULL);
  g_assert_true (dp_remote_node_connect (client->node, &error));
  g_assert_no_error (error);
  client->place = test_launch (client->node, module, "echo_place", NULL, NULL);
  return client;
}

void
test_client_assert_served (TestClient *client,
                           const char *text)
{
  g_autoptr(GVariant) reply = NULL;

  test_put (DP_CHANNEL (client->place), g_variant_new_string (text));
  reply = test_get (DP_CHANNEL (client->place));
  g_assert_cmpstr (g_variant_get_type_string (reply), ==, "s");
  g_assert_cmpstr (g_variant_get_string (reply, NULL), ==, text);
}

void
test_client_free (TestClient *client)
{
  dp_channel_close (DP_CHANNEL (client->place));
  g_object_unref (client->place);
  g_object_unref (client->node);
  g_free (client);
}
