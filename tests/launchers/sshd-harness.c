/* sshd-harness.c: a private sshd on 127.0.0.1 for the tests
 *
 * Everything lives in a temporary directory: host key, user key,
 * authorized_keys, sshd_config, the pid file and sshd's log. sshd runs in
 * the foreground (-D) as a child, logging to the directory (-e), on a port
 * the system just handed out; the harness waits until that port answers
 * with an SSH banner. Debian's sshd needs root (privilege separation, and
 * logging in as another user) and the directory /run/sshd; without root,
 * or without sshd, ssh or ssh-keygen, starting fails with
 * G_IO_ERROR_NOT_SUPPORTED, which a test turns into g_test_skip().
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "sshd-harness.h"
#include "test-nodes.h"

#define SSHD_PATH "/usr/sbin/sshd"
#define PRIVSEP_DIR "/run/sshd"

/* How long sshd may take to answer, polled every POLL_USEC. */
#define START_TIMEOUT_USEC (10 * G_USEC_PER_SEC)
#define POLL_USEC (20 * 1000)

/* How long stopping waits for sessions to end by themselves. */
#define STOP_TIMEOUT_USEC (G_USEC_PER_SEC / 2)

/* How many ports to try when the one picked is taken in between. */
#define PORT_ATTEMPTS 3

/* Runs @argv to the end; an error carries its output. */
static gboolean
run_quietly (const char * const  *argv,
             GError             **error)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *output = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE
                               | G_SUBPROCESS_FLAGS_STDERR_MERGE, error);
  if (process == NULL)
    return FALSE;
  if (!g_subprocess_communicate_utf8 (process, NULL, NULL, &output, NULL, error))
    return FALSE;
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed: %s", argv[0],
                   output != NULL ? output : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
generate_key (const char  *ssh_keygen,
              const char  *path,
              GError     **error)
{
  const char *argv[] = { ssh_keygen, "-q", "-t", "ed25519", "-N", "", "-C", "dplaces-test",
                         "-f", path, NULL };

  return run_quietly (argv, error);
}

/* A port nobody listens on right now on 127.0.0.1. */
static guint
pick_free_port (GError **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         error);
  if (socket == NULL || !g_socket_bind (socket, address, FALSE, error))
    return 0;
  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return 0;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* Whether sshd answers on @port: a connection that reads an SSH banner. */
static gboolean
sshd_answers (guint port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  char banner[4] = { 0 };
  gssize got;

  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, 2);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  if (connection == NULL)
    return FALSE;
  got = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                             banner, sizeof banner, NULL, NULL);
  return got == sizeof banner && memcmp (banner, "SSH-", 4) == 0;
}

static char *
read_log (SshdHarness *harness)
{
  g_autofree char *path = g_build_filename (harness->dir, "sshd.log", NULL);
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return g_strdup ("");
  return g_strstrip (contents);
}

static gboolean
write_config (SshdHarness  *harness,
              const char   *config_path,
              GError      **error)
{
  g_autofree char *host_key = g_build_filename (harness->dir, "host_key", NULL);
  g_autofree char *authorized_keys = g_build_filename (harness->dir, "authorized_keys", NULL);
  g_autofree char *pid_file = g_build_filename (harness->dir, "sshd.pid", NULL);
  g_autoptr(GString) config = NULL;
  static const char * const passed_on[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" };

  config = g_string_new (NULL);
  g_string_printf (config, "ListenAddress 127.0.0.1\n"
                   "Port %u\n"
                   "HostKey %s\n"
                   "AuthorizedKeysFile %s\n"
                   "PidFile %s\n"
                   "UsePAM no\n"
                   "StrictModes no\n"
                   "PermitRootLogin prohibit-password\n"
                   "PubkeyAuthentication yes\n"
                   "PasswordAuthentication no\n"
                   "KbdInteractiveAuthentication no\n"
                   "X11Forwarding no\n"
                   "PrintMotd no\n"
                   "LogLevel ERROR\n",
                   harness->port, host_key, authorized_keys, pid_file);
  /* A node started over ssh gets sshd's environment, not ours: in a
   * sanitizer build it must report where the test looks
   * (tests/sanitize-wrapper.sh). */
  for (guint i = 0; i < G_N_ELEMENTS (passed_on); i++)
    {
      const char *value = g_getenv (passed_on[i]);

      if (value != NULL && strpbrk (value, " \t\"\n") == NULL)
        g_string_append_printf (config, "SetEnv %s=%s\n", passed_on[i], value);
    }
  return g_file_set_contents (config_path, config->str, config->len, error);
}

/* In sshd, before exec: a test that dies without stopping its harness
 * (an assertion aborts it) takes its sshd with it. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* Starts sshd on harness->port and waits until it answers. FALSE with
 * @port_taken set when it could not bind its port. */
static gboolean
start_sshd (SshdHarness  *harness,
            const char   *config_path,
            gboolean     *port_taken,
            GError      **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *log_path = g_build_filename (harness->dir, "sshd.log", NULL);
  gint64 deadline;

  *port_taken = FALSE;
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  harness->sshd = g_subprocess_launcher_spawn (launcher, error, SSHD_PATH, "-D", "-e",
                                               "-f", config_path, NULL);
  if (harness->sshd == NULL)
    return FALSE;

  deadline = g_get_monotonic_time () + START_TIMEOUT_USEC;
  while (!sshd_answers (harness->port))
    {
      /* GSubprocess reaps its child in GLib's worker thread; the
       * identifier is gone once it has exited. */
      if (g_subprocess_get_identifier (harness->sshd) == NULL)
        {
          g_autofree char *log = read_log (harness);

          g_subprocess_wait (harness->sshd, NULL, NULL);
          g_clear_object (&harness->sshd);
          *port_taken = strstr (log, "Address already in use") != NULL;
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "sshd on port %u exited at once: %s", harness->port, log);
          return FALSE;
        }
      if (g_get_monotonic_time () >= deadline)
        {
          g_autofree char *log = read_log (harness);

          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "sshd did not answer on port %u within %d s: %s", harness->port,
                       (int) (START_TIMEOUT_USEC / G_USEC_PER_SEC), log);
          return FALSE;
        }
      g_usleep (POLL_USEC);
    }

  return TRUE;
}

/* Debian's sshd refuses to start without its privilege separation
 * directory, which systemd (RuntimeDirectory=sshd) normally makes. */
static gboolean
ensure_privsep_dir (GError **error)
{
  if (g_file_test (PRIVSEP_DIR, G_FILE_TEST_IS_DIR))
    return TRUE;
  if (g_mkdir_with_parents (PRIVSEP_DIR, 0755) != 0 || g_chmod (PRIVSEP_DIR, 0755) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot create %s for sshd: %s", PRIVSEP_DIR, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/**
 * sshd_harness_start:
 * @error: return location for a #GError
 *
 * Starts an sshd on 127.0.0.1 that lets the current user in with a fresh
 * key, and waits until it answers.
 *
 * Returns: (transfer full): the running harness, or %NULL with @error set:
 *   %G_IO_ERROR_NOT_SUPPORTED when this machine cannot run it (not root,
 *   or sshd, ssh or ssh-keygen missing), another error when it failed
 */
SshdHarness *
sshd_harness_start (GError **error)
{
  g_autoptr(SshdHarness) harness = NULL;
  g_autofree char *ssh_keygen = g_find_program_in_path ("ssh-keygen");
  g_autofree char *ssh = g_find_program_in_path ("ssh");
  g_autofree char *host_key = NULL;
  g_autofree char *user_pub = NULL;
  g_autofree char *authorized_keys = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *public_key = NULL;
  static const char * const ssh_options[] = {
    "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "LogLevel=ERROR",
    NULL
  };

  if (!g_file_test (SSHD_PATH, G_FILE_TEST_IS_EXECUTABLE) || ssh_keygen == NULL || ssh == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "An sshd test needs %s, ssh and ssh-keygen (Debian: openssh-server, "
                   "openssh-client)", SSHD_PATH);
      return NULL;
    }
  if (getuid () != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "An sshd test needs root: sshd's privilege separation needs it");
      return NULL;
    }
  if (!ensure_privsep_dir (error))
    return NULL;

  harness = g_new0 (SshdHarness, 1);
  harness->dir = g_dir_make_tmp ("dplaces-sshd-XXXXXX", error);
  if (harness->dir == NULL)
    return NULL;
  harness->user = g_strdup (g_get_user_name ());
  for (guint i = 0; i < G_N_ELEMENTS (ssh_options); i++)
    harness->ssh_options[i] = ssh_options[i];

  host_key = g_build_filename (harness->dir, "host_key", NULL);
  harness->identity_file = g_build_filename (harness->dir, "user_key", NULL);
  if (!generate_key (ssh_keygen, host_key, error)
      || !generate_key (ssh_keygen, harness->identity_file, error))
    return NULL;

  user_pub = g_strconcat (harness->identity_file, ".pub", NULL);
  authorized_keys = g_build_filename (harness->dir, "authorized_keys", NULL);
  if (!g_file_get_contents (user_pub, &public_key, NULL, error)
      || !g_file_set_contents (authorized_keys, public_key, -1, error))
    return NULL;

  config_path = g_build_filename (harness->dir, "sshd_config", NULL);
  for (guint attempt = 1; ; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      gboolean port_taken;

      harness->port = pick_free_port (error);
      if (harness->port == 0 || !write_config (harness, config_path, error))
        return NULL;
      if (start_sshd (harness, config_path, &port_taken, &local_error))
        break;
      if (!port_taken || attempt == PORT_ATTEMPTS)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }

  return g_steal_pointer (&harness);
}

/* The processes descending from @ancestor, parents before children:
 * sshd's per-connection processes and the commands they run. */
static GArray *
list_descendants (GPid ancestor)
{
  GArray *descendants = g_array_new (FALSE, FALSE, sizeof (GPid));
  g_autoptr(GArray) pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  g_autoptr(GArray) ppids = g_array_new (FALSE, FALSE, sizeof (GPid));
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *stat_path = NULL;
      g_autofree char *stat = NULL;
      const char *after_comm;
      int ppid = 0;
      char state;

      if (!g_ascii_isdigit (name[0]))
        continue;
      stat_path = g_build_filename ("/proc", name, "stat", NULL);
      if (!g_file_get_contents (stat_path, &stat, NULL, NULL))
        continue;
      /* PID (COMM) STATE PPID …, where COMM may hold anything. */
      after_comm = strrchr (stat, ')');
      if (after_comm != NULL && sscanf (after_comm + 1, " %c %d", &state, &ppid) == 2)
        {
          GPid pid = (GPid) g_ascii_strtoll (name, NULL, 10);
          GPid parent = (GPid) ppid;

          g_array_append_val (pids, pid);
          g_array_append_val (ppids, parent);
        }
    }

  /* Breadth first: each found process's children join the end. */
  g_array_append_val (descendants, ancestor);
  for (guint i = 0; i < descendants->len; i++)
    for (guint j = 0; j < pids->len; j++)
      if (g_array_index (ppids, GPid, j) == g_array_index (descendants, GPid, i))
        g_array_append_val (descendants, g_array_index (pids, GPid, j));
  g_array_remove_index (descendants, 0);
  return descendants;
}

/**
 * sshd_harness_stop:
 * @harness: (transfer full) (nullable): a harness
 *
 * Stops sshd and, after half a second's grace, whatever still runs in its
 * sessions (a node started through it, say); waits for sshd and removes
 * its directory.
 */
void
sshd_harness_stop (SshdHarness *harness)
{
  if (harness == NULL)
    return;

  if (harness->sshd != NULL)
    {
      const char *identifier = g_subprocess_get_identifier (harness->sshd);

      /* Sessions first: once the listener is gone they would outlive it,
       * orphans, and so would a command still running in one (a node,
       * say). Sessions whose client has gone end by themselves at once;
       * what is left after a moment is stopped. */
      if (identifier != NULL)
        {
          GPid pid = (GPid) g_ascii_strtoll (identifier, NULL, 10);
          gint64 deadline = g_get_monotonic_time () + STOP_TIMEOUT_USEC;
          g_autoptr(GArray) descendants = list_descendants (pid);

          while (descendants->len > 0 && g_get_monotonic_time () < deadline)
            {
              g_usleep (POLL_USEC);
              g_array_unref (descendants);
              descendants = list_descendants (pid);
            }
          for (guint i = 0; i < descendants->len; i++)
            kill (g_array_index (descendants, GPid, i), SIGTERM);
        }
      g_subprocess_send_signal (harness->sshd, SIGTERM);
      g_subprocess_wait (harness->sshd, NULL, NULL);
      g_object_unref (harness->sshd);
    }
  if (harness->dir != NULL)
    test_remove_tree (harness->dir);

  g_free (harness->dir);
  g_free (harness->user);
  g_free (harness->identity_file);
  g_free (harness);
}
