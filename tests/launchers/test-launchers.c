/* test-launchers.c: the tcp transport and the local and ssh launchers —
 * they load as plugins with their keys; tcp listens in the context that
 * was thread-default, connects, sets TCP_NODELAY on both ends and says
 * which port or host:port failed; local puts the dplaces binary first and
 * refuses other hosts; ssh builds its argv in the documented order and,
 * against a real sshd (tests/launchers/sshd-harness.c, skipped unless
 * root with openssh-server), runs a command, passes standard input
 * through, fails fast without a key, and starts a real `dplaces node`
 * that reads its cookie from standard input and listens.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <dplaces/dplaces.h>

#include "sshd-harness.h"
#include "test-nodes.h"

/* Long enough never to trip on a loaded machine, short enough that a hang
 * fails before meson's timeout. */
#define WAIT_USEC (20 * G_USEC_PER_SEC)

static gpointer
create_plugin (const char *extension_point,
               const char *name)
{
  g_autoptr(GError) error = NULL;
  gpointer plugin = dp_plugin_registry_create (dp_plugin_registry_get_default (),
                                               extension_point, name, &error);

  g_assert_no_error (error);
  g_assert_nonnull (plugin);
  return plugin;
}

/* ── the plugins and their keys ─────────────────────────────────────── */

typedef struct {
  const char *extension_point;
  const char *name;
  GType (*interface_type) (void);
  const char *keys[8];
} PluginKeys;

static void
test_plugins_keys (void)
{
  const PluginKeys plugins[] = {
    { DP_TRANSPORT_EXTENSION_POINT_NAME, "tcp", dp_transport_get_type,
      { "bind-address", "connect-timeout", "backlog", NULL } },
    { DP_LAUNCHER_EXTENSION_POINT_NAME, "local", dp_launcher_get_type,
      { "launch-path", NULL } },
    { DP_LAUNCHER_EXTENSION_POINT_NAME, "ssh", dp_launcher_get_type,
      { "ssh-bin-path", "user", "port", "identity-file", "options", "remote-path", NULL } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (plugins); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GTypeClass) klass = NULL;
      GType type = dp_plugin_registry_lookup_plugin (dp_plugin_registry_get_default (),
                                                     plugins[i].extension_point,
                                                     plugins[i].name, &error);
      const char *description;
      const char *module_path;

      g_assert_no_error (error);
      g_assert_true (g_type_is_a (type, plugins[i].interface_type ()));
      description = dp_plugin_get_description (type);
      g_assert_nonnull (description);
      g_assert_cmpstr (description, !=, "");
      module_path = dp_plugin_get_module_path (type);
      g_test_message ("%s %s from %s", plugins[i].extension_point, plugins[i].name,
                      module_path != NULL ? module_path : "(built in)");

      klass = g_type_class_ref (type);
      for (guint k = 0; plugins[i].keys[k] != NULL; k++)
        {
          GParamSpec *pspec = g_object_class_find_property (G_OBJECT_CLASS (klass),
                                                            plugins[i].keys[k]);

          g_assert_nonnull (pspec);
          g_assert_true (pspec->flags & G_PARAM_WRITABLE);
          g_assert_true (pspec->owner_type == type);
          g_assert_nonnull (g_param_spec_get_blurb (pspec));
          g_assert_cmpuint (strlen (g_param_spec_get_blurb (pspec)), >, 20);
        }
    }
}

static void
test_plugins_defaults (void)
{
  g_autoptr(GObject) tcp = create_plugin (DP_TRANSPORT_EXTENSION_POINT_NAME, "tcp");
  g_autoptr(GObject) local = create_plugin (DP_LAUNCHER_EXTENSION_POINT_NAME, "local");
  g_autoptr(GObject) ssh = create_plugin (DP_LAUNCHER_EXTENSION_POINT_NAME, "ssh");
  g_autofree char *bind_address = NULL;
  g_autofree char *launch_path = NULL;
  g_autofree char *ssh_bin_path = NULL;
  g_autofree char *user = NULL;
  g_autofree char *identity_file = NULL;
  g_autofree char *remote_path = NULL;
  g_auto(GStrv) options = NULL;
  guint connect_timeout = 1, backlog = 0, port = 1;

  g_object_get (tcp, "bind-address", &bind_address, "connect-timeout", &connect_timeout,
                "backlog", &backlog, NULL);
  g_assert_null (bind_address);
  g_assert_cmpuint (connect_timeout, ==, 0);
  g_assert_cmpuint (backlog, ==, 128);

  g_object_get (local, "launch-path", &launch_path, NULL);
  g_assert_null (launch_path);

  g_object_get (ssh, "ssh-bin-path", &ssh_bin_path, "user", &user, "port", &port,
                "identity-file", &identity_file, "options", &options,
                "remote-path", &remote_path, NULL);
  g_assert_true (g_path_is_absolute (ssh_bin_path));
  g_assert_true (g_str_has_suffix (ssh_bin_path, "/ssh"));
  g_assert_null (user);
  g_assert_cmpuint (port, ==, 0);
  g_assert_null (identity_file);
  g_assert_null (options);
  g_assert_cmpstr (remote_path, ==, "dplaces");
}

/* ── tcp ────────────────────────────────────────────────────────────── */

static gboolean
has_no_delay (GSocketConnection *connection)
{
  g_autoptr(GError) error = NULL;
  gint value = 0;

  g_assert_true (g_socket_get_option (g_socket_connection_get_socket (connection),
                                      IPPROTO_TCP, TCP_NODELAY, &value, &error));
  g_assert_no_error (error);
  return value != 0;
}

/* The listening side, in a thread of its own with its own main context. */
typedef struct {
  GAsyncQueue *ports;          /* the listening port, to the main thread */
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GSocketConnection *accepted;
  gboolean accepted_in_context;
  gboolean destroyed;
} Server;

static void
server_accept (DpTransport       *transport,
               GSocketConnection *connection,
               gpointer           user_data)
{
  Server *server = user_data;

  server->accepted_in_context = g_thread_self () == server->thread
                                && g_main_context_get_thread_default () == server->context
                                && g_main_context_is_owner (server->context);
  server->accepted = g_object_ref (connection);
  g_main_loop_quit (server->loop);
}

static void
server_destroy (gpointer user_data)
{
  Server *server = user_data;

  server->destroyed = TRUE;
}

static gpointer
server_main (gpointer data)
{
  Server *server = data;
  g_autoptr(DpTransport) transport = create_plugin (DP_TRANSPORT_EXTENSION_POINT_NAME, "tcp");
  g_autoptr(GError) error = NULL;
  GInputStream *input;
  GOutputStream *output;
  char buffer[5];
  gsize done = 0;
  guint port = 0;

  g_main_context_push_thread_default (server->context);

  g_assert_true (dp_transport_listen (transport, 0, server_accept, server, server_destroy,
                                      &port, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (port, >, 0);
  g_async_queue_push (server->ports, GUINT_TO_POINTER (port));

  g_main_loop_run (server->loop);
  g_assert_nonnull (server->accepted);

  /* Stopping frees what listen() was given. */
  g_assert_false (server->destroyed);
  dp_transport_stop (transport);
  g_assert_true (server->destroyed);

  input = g_io_stream_get_input_stream (G_IO_STREAM (server->accepted));
  output = g_io_stream_get_output_stream (G_IO_STREAM (server->accepted));
  g_assert_true (g_input_stream_read_all (input, buffer, sizeof buffer, &done, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (buffer, done, "hello", 5);
  g_assert_true (g_output_stream_write_all (output, "world", 5, NULL, NULL, &error));
  g_assert_no_error (error);

  g_main_context_pop_thread_default (server->context);
  return NULL;
}

static void
test_tcp_exchange (void)
{
  g_autoptr(DpTransport) client = create_plugin (DP_TRANSPORT_EXTENSION_POINT_NAME, "tcp");
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  Server server = { 0 };
  GInputStream *input;
  GOutputStream *output;
  char buffer[5];
  gsize done = 0;
  guint port;

  server.ports = g_async_queue_new ();
  server.context = g_main_context_new ();
  server.loop = g_main_loop_new (server.context, FALSE);
  server.thread = g_thread_new ("tcp-server", server_main, &server);

  port = GPOINTER_TO_UINT (g_async_queue_timeout_pop (server.ports, WAIT_USEC));
  g_assert_cmpuint (port, >, 0);

  g_object_set (client, "connect-timeout", 5, NULL);
  connection = dp_transport_connect (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (connection);
  g_assert_true (has_no_delay (connection));
  /* The connect timeout is for connecting only. */
  g_assert_cmpuint (g_socket_get_timeout (g_socket_connection_get_socket (connection)), ==, 0);

  output = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  g_assert_true (g_output_stream_write_all (output, "hello", 5, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_input_stream_read_all (input, buffer, sizeof buffer, &done, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (buffer, done, "world", 5);

  g_thread_join (server.thread);
  g_assert_true (server.accepted_in_context);
  g_assert_true (has_no_delay (server.accepted));

  g_object_unref (server.accepted);
  g_main_loop_unref (server.loop);
  g_main_context_unref (server.context);
  g_async_queue_unref (server.ports);
}

static void
never_accept (DpTransport       *transport,
              GSocketConnection *connection,
              gpointer           user_data)
{
}

static void
test_tcp_port_in_use (void)
{
  g_autoptr(DpTransport) first = create_plugin (DP_TRANSPORT_EXTENSION_POINT_NAME, "tcp");
  g_autoptr(DpTransport) second = create_plugin (DP_TRANSPORT_EXTENSION_POINT_NAME, "tcp");
  g_autoptr(DpTransport) third = create_plugin (DP_TRANSPORT_EXTENSION_POINT_NAME, "tcp");
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  guint port = 0, again = 0;

  g_assert_true (dp_transport_listen (first, 0, never_accept, NULL, NULL, &port, &error));
  g_assert_no_error (error);

  /* Another transport on the same port. */
  g_assert_false (dp_transport_listen (second, port, never_accept, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  expected = g_strdup_printf ("Cannot listen on port %u: Address already in use", port);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  /* The same transport twice. */
  g_assert_false (dp_transport_listen (first, 0, never_accept, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* Stopping frees the port at once. */
  dp_transport_stop (first);
  g_assert_true (dp_transport_listen (third, port, never_accept, NULL, NULL, &again, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (again, ==, port);
  dp_transport_stop (third);
}

static void
test_tcp_bind_address (void)
{
  g_autoptr(DpTransport) transport = create_plugin (DP_TRANSPORT_EXTENSION_POINT_NAME, "tcp");
  g_autoptr(DpTransport) client = create_plugin (DP_TRANSPORT_EXTENSION_POINT_NAME, "tcp");
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  guint port = 0;

  g_object_set (transport, "bind-address", "not-an-address", NULL);
  g_assert_false (dp_transport_listen (transport, 0, never_accept, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "not-an-address"));
  g_clear_error (&error);

  g_object_set (transport, "bind-address", "127.0.0.1", "backlog", 4, NULL);
  g_assert_true (dp_transport_listen (transport, 0, never_accept, NULL, NULL, &port, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (port, >, 0);

  /* The kernel completes the handshake; nobody needs to accept. */
  connection = dp_transport_connect (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (connection);
  dp_transport_stop (transport);
}

static void
test_tcp_connect_refused (void)
{
  g_autoptr(DpTransport) transport = create_plugin (DP_TRANSPORT_EXTENSION_POINT_NAME, "tcp");
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *where = NULL;
  guint port = 0;

  /* A port that was just free: listen on it, then stop. */
  g_object_set (transport, "bind-address", "127.0.0.1", NULL);
  g_assert_true (dp_transport_listen (transport, 0, never_accept, NULL, NULL, &port, &error));
  g_assert_no_error (error);
  dp_transport_stop (transport);

  connection = dp_transport_connect (transport, "127.0.0.1", port, NULL, &error);
  g_assert_null (connection);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  where = g_strdup_printf ("127.0.0.1:%u", port);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, where));
  g_clear_error (&error);

  connection = dp_transport_connect (transport, "127.0.0.1", 70000, NULL, &error);
  g_assert_null (connection);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "127.0.0.1:70000"));
}

/* ── launchers ──────────────────────────────────────────────────────── */

static void
assert_strv_equal (const char * const *got,
                   const char * const *expected)
{
  g_autofree char *got_text = g_strjoinv ("|", (char **) got);
  g_autofree char *expected_text = g_strjoinv ("|", (char **) expected);

  g_assert_cmpstr (got_text, ==, expected_text);
  g_assert_true (g_strv_equal (got, expected));
}

/* Runs @argv with @input on its standard input; returns its standard
 * output, asserting it exits with 0. */
static char *
run_argv (const char * const *argv,
          const char         *input)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE
                               | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                               | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, input, NULL, &out, &err, &error));
  g_assert_no_error (error);
  if (err != NULL && err[0] != '\0')
    g_test_message ("%s said on stderr: %s", argv[0], err);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  return out;
}

static const char * const node_argv[] = { "node", "--listen-port", "6344", NULL };

static void
test_local_argv (void)
{
  g_autoptr(DpLauncher) launcher = create_plugin (DP_LAUNCHER_EXTENSION_POINT_NAME, "local");
  g_autofree char *launch_path = dp_distributed_launch_path ();
  const char *local_hosts[] = { "localhost", "127.0.0.1", "::1", "LOCALHOST",
                                g_get_host_name () };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *out = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (local_hosts); i++)
    {
      const char *expected[] = { launch_path, "node", "--listen-port", "6344", NULL };

      g_clear_pointer (&argv, g_strfreev);
      argv = dp_launcher_build_argv (launcher, local_hosts[i], node_argv, &error);
      g_assert_no_error (error);
      assert_strv_equal ((const char * const *) argv, expected);
    }
  /* The build tree's dplaces, which tests/meson.build builds first. */
  g_assert_true (g_file_test (argv[0], G_FILE_TEST_IS_EXECUTABLE));

  /* Another machine: an error pointing at ssh. */
  g_clear_pointer (&argv, g_strfreev);
  argv = dp_launcher_build_argv (launcher, "node1.example.com", node_argv, &error);
  g_assert_null (argv);
  g_assert_error (error, DP_ERROR, DP_ERROR_REFUSED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "node1.example.com"));
  g_assert_nonnull (strstr (error->message, "launcher=ssh"));
  g_clear_error (&error);

  /* launch-path replaces the binary, and the command runs. */
  g_object_set (launcher, "launch-path", "/bin/echo", NULL);
  argv = dp_launcher_build_argv (launcher, "localhost", node_argv, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (argv[0], ==, "/bin/echo");
  out = run_argv ((const char * const *) argv, NULL);
  g_assert_cmpstr (out, ==, "node --listen-port 6344\n");
}

static void
test_ssh_argv (void)
{
  g_autoptr(DpLauncher) launcher = create_plugin (DP_LAUNCHER_EXTENSION_POINT_NAME, "ssh");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *ssh_bin_path = NULL;
  const char *options[] = { "-o StrictHostKeyChecking=accept-new", "-o", "ConnectTimeout=5",
                            "   ", NULL };
  const char *odd_argv[] = { "node", "--name", "a b", "it's", "$HOME", "", NULL };

  /* The defaults: ssh, no pty, no prompts, host, dplaces. */
  g_object_get (launcher, "ssh-bin-path", &ssh_bin_path, NULL);
  argv = dp_launcher_build_argv (launcher, "node1.example.com", node_argv, &error);
  g_assert_no_error (error);
  {
    const char *expected[] = { ssh_bin_path, "-T", "-o", "BatchMode=yes", "node1.example.com",
                               "dplaces", "node", "--listen-port", "6344", NULL };
    assert_strv_equal ((const char * const *) argv, expected);
  }

  /* Every key set. */
  g_object_set (launcher,
                "ssh-bin-path", "/opt/ssh/bin/ssh",
                "user", "alice",
                "port", 2222,
                "identity-file", "/home/alice/.ssh/id_dplaces",
                "options", options,
                "remote-path", "/opt/dplaces/bin/dplaces",
                NULL);
  g_clear_pointer (&argv, g_strfreev);
  argv = dp_launcher_build_argv (launcher, "node1.example.com", node_argv, &error);
  g_assert_no_error (error);
  {
    const char *expected[] = { "/opt/ssh/bin/ssh", "-T", "-o", "BatchMode=yes",
                               "-p", "2222", "-i", "/home/alice/.ssh/id_dplaces",
                               "-o", "StrictHostKeyChecking=accept-new",
                               "-o", "ConnectTimeout=5",
                               "alice@node1.example.com", "/opt/dplaces/bin/dplaces",
                               "node", "--listen-port", "6344", NULL };
    assert_strv_equal ((const char * const *) argv, expected);
  }
  g_assert_false (g_strv_contains ((const char * const *) argv, "-n"));

  /* Words the remote shell would split or expand are quoted. */
  g_clear_pointer (&argv, g_strfreev);
  argv = dp_launcher_build_argv (launcher, "node1", odd_argv, &error);
  g_assert_no_error (error);
  {
    guint n = g_strv_length (argv);

    g_assert_cmpuint (n, >=, 6);
    g_assert_cmpstr (argv[n - 6], ==, "node");
    g_assert_cmpstr (argv[n - 5], ==, "--name");
    g_assert_cmpstr (argv[n - 4], ==, "'a b'");
    g_assert_cmpstr (argv[n - 3], ==, "'it'\\''s'");
    g_assert_cmpstr (argv[n - 2], ==, "'$HOME'");
    g_assert_cmpstr (argv[n - 1], ==, "''");
  }

  /* A host or user ssh would take for an option. */
  g_clear_pointer (&argv, g_strfreev);
  argv = dp_launcher_build_argv (launcher, "-oProxyCommand=evil", node_argv, &error);
  g_assert_null (argv);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_object_set (launcher, "user", "-x", NULL);
  argv = dp_launcher_build_argv (launcher, "node1", node_argv, &error);
  g_assert_null (argv);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* An options item that is not shell words. */
  {
    const char *bad[] = { "-o 'ProxyCommand=unclosed", NULL };

    g_object_set (launcher, "user", NULL, "options", bad, NULL);
  }
  argv = dp_launcher_build_argv (launcher, "node1", node_argv, &error);
  g_assert_null (argv);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "ProxyCommand=unclosed"));
}

/* The keys from a keyfile's [node NAME] group, options as a ; list. */
static void
test_ssh_keyfile (void)
{
  static const char keyfile[] =
    "[node far]\n"
    "host=node1.example.com\n"
    "launcher=ssh\n"
    "user=alice\n"
    "port=2222\n"
    "identity-file=/home/alice/.ssh/id_dplaces\n"
    "options=-o StrictHostKeyChecking=accept-new;-o ConnectTimeout=5\n"
    "remote-path=/opt/dplaces/bin/dplaces\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(DpConfig) config = dp_config_new_from_data (keyfile, -1, "/some/dir/far.ini", &error);
  g_autoptr(DpLauncher) launcher = NULL;
  g_auto(GStrv) argv = NULL;
  const char *expected[] = { "/usr/bin/ssh", "-T", "-o", "BatchMode=yes",
                             "-p", "2222", "-i", "/home/alice/.ssh/id_dplaces",
                             "-o", "StrictHostKeyChecking=accept-new",
                             "-o", "ConnectTimeout=5",
                             "alice@node1.example.com", "/opt/dplaces/bin/dplaces",
                             "node", "--listen-port", "6344", NULL };

  g_assert_no_error (error);
  launcher = create_plugin (DP_LAUNCHER_EXTENSION_POINT_NAME, "ssh");
  g_object_set (launcher, "ssh-bin-path", "/usr/bin/ssh", NULL);
  g_assert_true (dp_config_apply_plugin_keys (config, "node far", G_OBJECT (launcher), &error));
  g_assert_no_error (error);

  argv = dp_launcher_build_argv (launcher, "node1.example.com", node_argv, &error);
  g_assert_no_error (error);
  assert_strv_equal ((const char * const *) argv, expected);
}

/* An ssh launcher pointed at @harness, running @remote_path there. */
static DpLauncher *
harness_launcher (SshdHarness *harness,
                  const char  *remote_path)
{
  DpLauncher *launcher = create_plugin (DP_LAUNCHER_EXTENSION_POINT_NAME, "ssh");

  g_object_set (launcher,
                "user", harness->user,
                "port", harness->port,
                "identity-file", harness->identity_file,
                "options", harness->ssh_options,
                "remote-path", remote_path,
                NULL);
  return launcher;
}

static SshdHarness *
start_harness_or_skip (void)
{
  g_autoptr(GError) error = NULL;
  SshdHarness *harness = sshd_harness_start (&error);

  if (harness == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    {
      g_test_skip (error->message);
      return NULL;
    }
  g_assert_no_error (error);
  g_test_message ("sshd listening on 127.0.0.1:%u", harness->port);
  return harness;
}

static void
test_ssh_real (void)
{
  g_autoptr(SshdHarness) harness = start_harness_or_skip ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *out = NULL;
  const char *echo_argv[] = { "node", "--listen-port", "6344", "it's a $test", NULL };
  const char *cat_argv[] = { "-", NULL };

  if (harness == NULL)
    return;

  /* The command line arrives word for word. */
  {
    g_autoptr(DpLauncher) launcher = harness_launcher (harness, "/bin/echo");

    argv = dp_launcher_build_argv (launcher, "127.0.0.1", echo_argv, &error);
    g_assert_no_error (error);
    out = run_argv ((const char * const *) argv, "");
    g_assert_cmpstr (out, ==, "node --listen-port 6344 it's a $test\n");
  }

  /* Standard input reaches the remote command: the cookie's way. */
  {
    g_autoptr(DpLauncher) launcher = harness_launcher (harness, "/bin/cat");

    g_clear_pointer (&argv, g_strfreev);
    g_clear_pointer (&out, g_free);
    argv = dp_launcher_build_argv (launcher, "127.0.0.1", cat_argv, &error);
    g_assert_no_error (error);
    out = run_argv ((const char * const *) argv, "cookie 0123456789abcdef\nsecond line\n");
    g_assert_cmpstr (out, ==, "cookie 0123456789abcdef\nsecond line\n");
  }
}

typedef struct {
  GMainLoop *loop;
  char *line;
  GError *error;
} LineRead;

static void
line_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LineRead *read = user_data;

  read->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                          NULL, &read->error);
  g_main_loop_quit (read->loop);
}

static gboolean
line_timeout_cb (gpointer user_data)
{
  GCancellable *cancellable = user_data;

  g_cancellable_cancel (cancellable);
  return G_SOURCE_REMOVE;
}

/* The next line of @input, failing the test if none comes in WAIT_USEC. */
static char *
read_line (GDataInputStream *input)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (context, FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GSource) timeout = g_timeout_source_new (WAIT_USEC / 1000);
  LineRead read = { loop, NULL, NULL };

  g_main_context_push_thread_default (context);
  g_source_set_callback (timeout, line_timeout_cb, cancellable, NULL);
  g_source_attach (timeout, context);
  g_data_input_stream_read_line_async (input, G_PRIORITY_DEFAULT, cancellable, line_read_cb,
                                       &read);
  g_main_loop_run (loop);
  g_source_destroy (timeout);
  g_main_context_pop_thread_default (context);

  g_assert_no_error (read.error);
  g_assert_nonnull (read.line);
  return read.line;
}

/* The process listening on TCP @port, found through the socket's
 * inode in /proc/net/tcp and the descriptors in /proc/PID/fd; 0 if none.
 * The node started over ssh is not our child, so this is how the test
 * learns which process to wait for. */
static pid_t
find_listener_pid (guint port)
{
  const char *tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
  g_autofree char *wanted_link = NULL;
  g_autoptr(GDir) proc = NULL;
  const char *entry;

  for (guint t = 0; t < G_N_ELEMENTS (tables) && wanted_link == NULL; t++)
    {
      g_autofree char *table = NULL;
      g_auto(GStrv) lines = NULL;

      if (!g_file_get_contents (tables[t], &table, NULL, NULL))
        continue;
      lines = g_strsplit (table, "\n", -1);
      for (guint i = 1; lines[i] != NULL && wanted_link == NULL; i++)
        {
          unsigned int local_port = 0, state = 0;
          unsigned long inode = 0;

          /* sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode */
          if (sscanf (lines[i], " %*d: %*x:%x %*x:%*x %x %*x:%*x %*x:%*x %*x %*u %*u %lu",
                      &local_port, &state, &inode) == 3
              && local_port == port && state == 0x0A /* LISTEN */)
            wanted_link = g_strdup_printf ("socket:[%lu]", inode);
        }
    }
  if (wanted_link == NULL)
    return 0;

  proc = g_dir_open ("/proc", 0, NULL);
  while (proc != NULL && (entry = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *fd_path = g_build_filename ("/proc", entry, "fd", NULL);
      g_autoptr(GDir) fds = NULL;
      const char *fd;

      if (!g_ascii_isdigit (entry[0]) || (fds = g_dir_open (fd_path, 0, NULL)) == NULL)
        continue;
      while ((fd = g_dir_read_name (fds)) != NULL)
        {
          g_autofree char *fd_link = g_build_filename (fd_path, fd, NULL);
          g_autofree char *target = g_file_read_link (fd_link, NULL);

          if (g_strcmp0 (target, wanted_link) == 0)
            return (pid_t) g_ascii_strtoll (entry, NULL, 10);
        }
    }
  return 0;
}

/* Waits until @pid, not necessarily our child, has exited. */
static void
wait_for_exit (pid_t pid)
{
  int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);

  if (pidfd < 0)
    {
      g_assert_cmpint (errno, ==, ESRCH); /* already gone */
      return;
    }
  g_assert_true (test_pidfd_wait (pidfd, WAIT_USEC));
  close (pidfd);
}

/* The real thing: `dplaces node` started over ssh gets its cookie on
 * standard input, says it is ready, and listens. */
static void
test_ssh_node (void)
{
  g_autoptr(SshdHarness) harness = NULL;
  g_autoptr(DpLauncher) launcher = NULL;
  g_autoptr(DpTransport) transport = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  const char *dplaces = g_getenv ("DPLACES_BIN");
  const char *argv_node[] = { "node", "--listen-port", "0", "--cookie-stdin",
                              "--host", "127.0.0.1", NULL };
  const char cookie[] = "0123456789abcdef0123456789abcdef\n";
  guint port = 0;
  pid_t node_pid;

  if (dplaces == NULL)
    {
      g_test_skip ("DPLACES_BIN is not set: no dplaces binary to start");
      return;
    }
  harness = start_harness_or_skip ();
  if (harness == NULL)
    return;

  launcher = harness_launcher (harness, dplaces);
  argv = dp_launcher_build_argv (launcher, "127.0.0.1", argv_node, &error);
  g_assert_no_error (error);
  process = g_subprocess_newv ((const char * const *) argv, G_SUBPROCESS_FLAGS_STDIN_PIPE
                               | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                               | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error);
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (g_subprocess_get_stdin_pipe (process), cookie,
                                            strlen (cookie), NULL, NULL, &error));
  g_assert_no_error (error);

  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  for (;;)
    {
      g_autofree char *line = read_line (output);

      g_test_message ("node: %s", line);
      if (g_str_has_prefix (line, "DPLACES-NODE-READY "))
        {
          guint64 number = 0;

          g_assert_true (g_ascii_string_to_unsigned (line + strlen ("DPLACES-NODE-READY "), 10,
                                                     1, G_MAXUINT16, &number, NULL));
          port = (guint) number;
          break;
        }
    }

  /* It listens, through the tcp plugin. */
  transport = create_plugin (DP_TRANSPORT_EXTENSION_POINT_NAME, "tcp");
  connection = dp_transport_connect (transport, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (connection);
  g_clear_object (&connection);
  node_pid = find_listener_pid (port);
  g_assert_cmpint (node_pid, >, 0);

  /* Stopping the harness stops the node running in its session (the
   * node would outlive a session that ended first), and ssh with it;
   * the node exits on its own time, after ssh may have. */
  g_clear_pointer (&harness, sshd_harness_stop);
  g_assert_true (g_subprocess_wait (process, NULL, &error));
  g_assert_no_error (error);
  wait_for_exit (node_pid);
  connection = dp_transport_connect (transport, "127.0.0.1", port, NULL, &error);
  g_assert_null (connection);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

static void
test_ssh_refused (void)
{
  g_autoptr(SshdHarness) harness = start_harness_or_skip ();
  g_autoptr(DpLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *options[] = { "-o", "StrictHostKeyChecking=no", "-o",
                            "UserKnownHostsFile=/dev/null", "-o", "PubkeyAuthentication=no",
                            NULL };

  if (harness == NULL)
    return;

  /* Without a key that works, BatchMode makes ssh fail rather than wait
   * for a password nobody types. */
  launcher = harness_launcher (harness, "/bin/echo");
  g_object_set (launcher, "options", options, NULL);
  argv = dp_launcher_build_argv (launcher, "127.0.0.1", node_argv, &error);
  g_assert_no_error (error);
  process = g_subprocess_newv ((const char * const *) argv, G_SUBPROCESS_FLAGS_STDIN_PIPE
                               | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                               | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, "", NULL, &out, &err, &error));
  g_assert_no_error (error);
  g_test_message ("ssh said: %s", err);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 255);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "Permission denied"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/plugins/keys", test_plugins_keys);
  g_test_add_func ("/plugins/defaults", test_plugins_defaults);
  g_test_add_func ("/tcp/exchange", test_tcp_exchange);
  g_test_add_func ("/tcp/port-in-use", test_tcp_port_in_use);
  g_test_add_func ("/tcp/bind-address", test_tcp_bind_address);
  g_test_add_func ("/tcp/connect-refused", test_tcp_connect_refused);
  g_test_add_func ("/local/argv", test_local_argv);
  g_test_add_func ("/ssh/argv", test_ssh_argv);
  g_test_add_func ("/ssh/keyfile", test_ssh_keyfile);
  g_test_add_func ("/ssh/sshd", test_ssh_real);
  g_test_add_func ("/ssh/sshd-refused", test_ssh_refused);
  g_test_add_func ("/ssh/node", test_ssh_node);

  return g_test_run ();
}
