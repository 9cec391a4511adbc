/* sshd-harness.c: a private sshd on 127.0.0.1 for the tests
 *
 * Everything lives in a temporary directory: host key, user key,
 * authorized_keys, sshd_config, the pid file and sshd's log. sshd runs in
 * the foreground (-D) as a child, logging to the directory (-e), on a port
 * the system just handed out; the harness waits until sshd says it
 * listens — READY=1 on NOTIFY_SOCKET, systemd's readiness protocol, which
 * Debian's sshd speaks — or exits. Debian's sshd needs root (privilege
 * separation, and logging in as another user) and the directory
 * /run/sshd; without root, or without sshd, ssh or ssh-keygen, starting
 * fails with G_IO_ERROR_NOT_SUPPORTED, which a test turns into
 * g_test_skip().
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "sshd-harness.h"
#include "test-nodes.h"

#define SSHD_PATH "/usr/sbin/sshd"
#define PRIVSEP_DIR "/run/sshd"

/* How long sshd may take to say it listens: only a hang takes longer. */
#define START_TIMEOUT_USEC (10 * G_USEC_PER_SEC)

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

/* The socket sshd tells it is ready on: a datagram socket at @path. */
static GSocket *
notify_socket_new (const char  *path,
                   GError     **error)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof address.sun_path)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG, "%s: too long for a socket",
                   path);
      return NULL;
    }
  strcpy (address.sun_path, path);
  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *) &address, sizeof address) != 0)
    {
      int saved_errno = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot make sshd's notification socket %s: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  return g_socket_new_from_fd (fd, error);
}

typedef struct {
  gboolean ready;         /* sshd said READY=1 */
  gboolean waited;        /* the wait for sshd's exit returned */
  gboolean timed_out;
} Startup;

static gboolean
notified_cb (GSocket      *socket,
             GIOCondition  condition,
             gpointer      data)
{
  Startup *startup = data;
  char buffer[512];
  gssize got = g_socket_receive (socket, buffer, sizeof buffer - 1, NULL, NULL);

  if (got > 0)
    {
      g_auto(GStrv) lines = NULL;

      buffer[got] = '\0';
      lines = g_strsplit (buffer, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        startup->ready |= g_str_equal (lines[i], "READY=1");
    }
  return G_SOURCE_CONTINUE;
}

static void
sshd_waited_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  Startup *startup = data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  startup->waited = TRUE;
}

static gboolean
startup_timeout_cb (gpointer data)
{
  Startup *startup = data;

  startup->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Starts sshd on harness->port and waits until it says it listens. FALSE
 * with @port_taken set when it could not bind its port. */
static gboolean
start_sshd (SshdHarness  *harness,
            const char   *config_path,
            gboolean     *port_taken,
            GError      **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GSocket) notify = NULL;
  g_autoptr(GSource) notified = NULL;
  g_autoptr(GSource) timeout = NULL;
  g_autofree char *log_path = g_build_filename (harness->dir, "sshd.log", NULL);
  g_autofree char *notify_path = g_build_filename (harness->dir, "notify", NULL);
  Startup startup = { FALSE, FALSE, FALSE };

  *port_taken = FALSE;
  g_unlink (notify_path);
  notify = notify_socket_new (notify_path, error);
  if (notify == NULL)
    return FALSE;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "NOTIFY_SOCKET", notify_path, TRUE);
  harness->sshd = g_subprocess_launcher_spawn (launcher, error, SSHD_PATH, "-D", "-e",
                                               "-f", config_path, NULL);
  if (harness->sshd == NULL)
    return FALSE;

  /* Whichever comes first: READY=1, sshd's exit, the deadline. */
  g_main_context_push_thread_default (context);
  notified = g_socket_create_source (notify, G_IO_IN, NULL);
  g_source_set_callback (notified, (GSourceFunc) (void (*) (void)) notified_cb, &startup, NULL);
  g_source_attach (notified, context);
  timeout = g_timeout_source_new (START_TIMEOUT_USEC / 1000);
  g_source_set_callback (timeout, startup_timeout_cb, &startup, NULL);
  g_source_attach (timeout, context);
  g_subprocess_wait_async (harness->sshd, cancellable, sshd_waited_cb, &startup);
  while (!startup.ready && !startup.waited && !startup.timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (notified);
  g_source_destroy (timeout);
  /* The wait's callback runs in this context, with our Startup: let it. */
  g_cancellable_cancel (cancellable);
  while (!startup.waited)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  if (startup.ready)
    return TRUE;

  if (g_subprocess_get_identifier (harness->sshd) == NULL)
    {
      g_autofree char *log = read_log (harness);

      g_clear_object (&harness->sshd);
      *port_taken = strstr (log, "Address already in use") != NULL;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "sshd on port %u exited at once: %s", harness->port, log);
      return FALSE;
    }
  {
    g_autofree char *log = read_log (harness);

    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 "sshd did not say it listens on port %u within %d s (READY=1 on NOTIFY_SOCKET): %s",
                 harness->port, (int) (START_TIMEOUT_USEC / G_USEC_PER_SEC), log);
  }
  return FALSE;
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

/* Waits until every process of @pids has exited, or @timeout_usec passed:
 * through pidfds, which tell when a process that is not our child ends. */
static void
wait_exits (GArray *pids,
            gint64  timeout_usec)
{
  gint64 deadline = g_get_monotonic_time () + timeout_usec;
  g_autofree struct pollfd *fds = g_new0 (struct pollfd, MAX (pids->len, 1));
  guint n = 0;

  for (guint i = 0; i < pids->len; i++)
    {
      int fd = pidfd_open (g_array_index (pids, GPid, i), 0);

      /* ESRCH: gone already. */
      if (fd >= 0)
        fds[n++] = (struct pollfd) { fd, POLLIN, 0 };
    }
  while (n > 0)
    {
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      int ready;

      if (left <= 0)
        break;
      ready = poll (fds, n, (int) left);
      if (ready < 0 && errno == EINTR)
        continue;
      if (ready <= 0)
        break;
      for (guint i = n; i > 0; i--)
        if (fds[i - 1].revents != 0)
          {
            close (fds[i - 1].fd);
            fds[i - 1] = fds[--n];
          }
    }
  for (guint i = 0; i < n; i++)
    close (fds[i].fd);
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
          g_autoptr(GArray) descendants = list_descendants (pid);

          wait_exits (descendants, STOP_TIMEOUT_USEC);
          /* What is left, and whatever started meanwhile. */
          g_array_unref (descendants);
          descendants = list_descendants (pid);
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
