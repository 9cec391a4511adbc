/* dp-processes-backend.c: places as child processes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-processes"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include "dp-processes-backend.h"

/* DpProcessesBackend: each place runs in a child process — `dplaces
 * place-helper`, which loads the module and calls the function — connected
 * to its creator by a Unix socket pair carrying a DpSocketConnection. Channel
 * 1 on it is the place's own channel. The child's exit status (or the signal
 * that killed it) becomes the place's completion value, reported once the
 * connection has also delivered everything the child sent.
 *
 * The child has no node and no cookie: it registers the socket pair as its
 * parent connection (dp_node_set_parent_connection()), so dp_log_message()
 * sends LOG frames up it and dp_connect_to_named_place_at() CONNECT_TO
 * frames; the creator serves both with dp_node_handle_child_request().
 * When that connection closes under it, its creator is gone, and so is the
 * place (creator_gone_cb()). */

struct _DpProcessesBackend
{
  GObject parent_instance;

  char *launch_path;
};

enum {
  PROP_0,
  PROP_LAUNCH_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void dp_processes_backend_place_backend_init (DpPlaceBackendInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (DpProcessesBackend, dp_processes_backend, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (DP_TYPE_PLACE_BACKEND,
                                                               dp_processes_backend_place_backend_init))

/* A running child place. */
typedef struct {
  gatomicrefcount ref_count;
  GMutex lock;
  GCond exited_cond;
  DpPlace *place;
  GPid pid;
  gboolean killed;
  gboolean exited;          /* the process has ended */
  gboolean disconnected;    /* the connection has delivered all and closed */
  gint status;
  char *reason;
  char *name;
} ChildPlace;

static GQuark
child_place_quark (void)
{
  return g_quark_from_static_string ("dp-processes-child-place");
}

static ChildPlace *
child_place_ref (ChildPlace *child)
{
  g_atomic_ref_count_inc (&child->ref_count);
  return child;
}

static void
child_place_unref (ChildPlace *child)
{
  if (!g_atomic_ref_count_dec (&child->ref_count))
    return;

  g_spawn_close_pid (child->pid);
  g_free (child->reason);
  g_free (child->name);
  g_cond_clear (&child->exited_cond);
  g_mutex_clear (&child->lock);
  g_free (child);
}

static gpointer
run_loop (gpointer loop)
{
  g_main_loop_run (loop);
  return NULL;
}

static void
child_place_unref_closure (gpointer  data,
                           GClosure *closure)
{
  child_place_unref (data);
}

/* Child watches run on a context of their own, in a thread of their own,
 * so an exit is noticed even when nobody runs a main loop. */
static GMainContext *
watch_context (void)
{
  static GMainContext *context;
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      GMainLoop *loop;

      context = g_main_context_new ();
      loop = g_main_loop_new (context, FALSE);
      g_thread_unref (g_thread_new ("dp-child-watch", run_loop, loop));
      g_once_init_leave (&initialized, 1);
    }

  return context;
}

/* Reports the exit once both the process has ended and its connection has
 * closed: messages it put before exiting are delivered first. */
static void
child_place_maybe_report (ChildPlace *child)
{
  gboolean report;

  g_mutex_lock (&child->lock);
  report = child->exited && child->disconnected && child->place != NULL;
  g_mutex_unlock (&child->lock);

  if (report)
    {
      DpPlace *place = g_steal_pointer (&child->place);

      dp_place_report_exit (place, child->status, child->reason);
      g_object_unref (place);
    }
}

static void
child_exited_cb (GPid     pid,
                 gint     wait_status,
                 gpointer data)
{
  ChildPlace *child = data;

  g_mutex_lock (&child->lock);
  child->exited = TRUE;
  if (WIFEXITED (wait_status))
    {
      child->status = WEXITSTATUS (wait_status);
      child->reason = g_strdup_printf ("exited with status %d", child->status);
    }
  else if (WIFSIGNALED (wait_status) && child->killed && WTERMSIG (wait_status) == SIGKILL)
    {
      child->status = 1;
      child->reason = g_strdup ("killed");
    }
  else if (WIFSIGNALED (wait_status))
    {
      int signal_number = WTERMSIG (wait_status);
      const char *abbrev = sigabbrev_np (signal_number);

      child->status = 128 + signal_number;
      child->reason = g_strdup_printf ("killed by signal SIG%s (%s)",
                                       abbrev != NULL ? abbrev : "?", strsignal (signal_number));
    }
  else
    {
      child->status = 1;
      child->reason = g_strdup ("ended");
    }
  g_cond_broadcast (&child->exited_cond);
  g_mutex_unlock (&child->lock);

  g_debug ("place process %d %s", pid, child->reason);
  child_place_maybe_report (child);
}

/* The connection closes when the child dies: its channels should die with
 * the child's fate ("killed by signal SIGABRT"), not with "connection
 * closed". The exit status follows the closed socket closely. */
static GError *
connection_reason_cb (DpSocketConnection *connection,
                      const GError       *reason,
                      gpointer            data)
{
  ChildPlace *child = data;
  gint64 end_time = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  GError *better = NULL;

  g_mutex_lock (&child->lock);
  while (!child->exited)
    if (!g_cond_wait_until (&child->exited_cond, &child->lock, end_time))
      break;
  if (child->exited)
    better = g_error_new (DP_ERROR, DP_ERROR_PEER_DIED, "Place “%s” %s", child->name, child->reason);
  g_mutex_unlock (&child->lock);

  return better;
}

static void
connection_closed_cb (DpSocketConnection *connection,
                      GError             *reason,
                      gpointer            data)
{
  ChildPlace *child = data;

  g_mutex_lock (&child->lock);
  child->disconnected = TRUE;
  g_mutex_unlock (&child->lock);

  child_place_maybe_report (child);
}

/* What the child asks of us, its creator: log lines for the root,
 * connections to named places elsewhere (it has no node, no cookie). */
static gboolean
child_request_cb (DpSocketConnection *connection,
                  guint               kind,
                  guint32             channel,
                  guint32             aux,
                  GVariant           *payload,
                  gpointer            data)
{
  ChildPlace *child = data;
  g_autofree char *prefix = g_strdup_printf ("place %s", child->name);

  return dp_node_handle_child_request (connection, kind, channel, aux, payload, prefix);
}

static char **
child_environment (void)
{
  g_auto(GStrv) dirs = dp_plugin_registry_dup_directories (dp_plugin_registry_get_default ());
  g_autofree char *path = g_strjoinv (G_SEARCHPATH_SEPARATOR_S, dirs);
  char **env = g_get_environ ();

  /* The child looks where we look. */
  return g_environ_setenv (env, "DPLACES_PLUGIN_PATH", path, TRUE);
}

static gboolean
dp_processes_backend_launch (DpPlaceBackend  *backend,
                             DpPlace         *place,
                             GError         **error)
{
  DpProcessesBackend *self = DP_PROCESSES_BACKEND (backend);
  g_autofree char *module_path = NULL;
  g_autofree char *launch_path = NULL;
  g_autofree char *fd_arg = NULL;
  g_auto(GStrv) env = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(DpPlaceChannel) endpoint = NULL;
  g_autoptr(DpSocketConnection) connection = NULL;
  const char *argv[12];
  gint source_fds[1], target_fds[1];
  int sv[2];
  GPid pid;
  ChildPlace *child;
  GSource *watch;
  guint n = 0;

  /* Find the module and function here, so errors name this node's
   * directories and come back from dp_place_start(). */
  if (dp_place_resolve_function (place, error) == NULL)
    return FALSE;
  module_path = dp_plugin_registry_find_module (dp_plugin_registry_get_default (),
                                                dp_place_get_module (place), error);
  if (module_path == NULL)
    return FALSE;
  {
    g_autofree char *self_exe = realpath ("/proc/self/exe", NULL);
    g_autofree char *real = realpath (module_path, NULL);

    /* A child process cannot load a function from another program. */
    if (self_exe != NULL && real != NULL && g_str_equal (self_exe, real))
      {
        g_set_error (error, DP_ERROR, DP_ERROR_NOT_FOUND,
                     "Place %s: the processes backend runs functions from modules, not from "
                     "the program itself; put %s in a module", dp_place_get_name (place),
                     dp_place_get_function (place));
        return FALSE;
      }
  }

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    {
      int saved_errno = errno;
      g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "socketpair: %s", g_strerror (saved_errno));
      return FALSE;
    }

  launch_path = self->launch_path != NULL ? g_strdup (self->launch_path)
                                          : dp_distributed_launch_path ();
  argv[n++] = launch_path;
  argv[n++] = "place-helper";
  argv[n++] = "--fd=3";
  argv[n++] = "--module";
  argv[n++] = module_path;
  argv[n++] = "--function";
  argv[n++] = dp_place_get_function (place);
  argv[n++] = "--name";
  argv[n++] = dp_place_get_name (place);
  argv[n++] = NULL;

  source_fds[0] = sv[1];
  target_fds[0] = 3;
  env = child_environment ();
  if (!g_spawn_async_with_pipes_and_fds (NULL, argv, (const char * const *) env,
                                         G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                         -1, -1, -1, source_fds, target_fds, 1,
                                         &pid, NULL, NULL, NULL, error))
    {
      close (sv[0]);
      close (sv[1]);
      g_prefix_error (error, "Cannot start place %s in a process (%s): ",
                      dp_place_get_name (place), launch_path);
      return FALSE;
    }
  close (sv[1]);

  socket = g_socket_new_from_fd (sv[0], error);
  if (socket == NULL)
    {
      close (sv[0]);
      kill (pid, SIGKILL);
      return FALSE;
    }

  child = g_new0 (ChildPlace, 1);
  g_atomic_ref_count_init (&child->ref_count);
  g_mutex_init (&child->lock);
  g_cond_init (&child->exited_cond);
  child->place = g_object_ref (place);
  child->name = g_strdup (dp_place_get_name (place));
  child->pid = pid;

  /* The place's endpoint holds the connection, and the connection the
   * child record: no cycle. */
  connection = dp_socket_connection_new (socket, TRUE);
  {
    /* Who is on the other side, for the control plane. */
    g_autofree char *description = g_strdup_printf ("place %s", dp_place_get_name (place));
    dp_socket_connection_set_description (connection, description);
  }
  endpoint = dp_socket_connection_open_channel (connection, DP_SOCKET_CONNECTION_FIRST_CHANNEL);
  dp_place_set_endpoint (place, endpoint);
  dp_socket_connection_set_reason_func (connection, connection_reason_cb,
                                        child_place_ref (child), (GDestroyNotify) child_place_unref);
  dp_socket_connection_set_control_handler (connection, child_request_cb,
                                            child_place_ref (child), (GDestroyNotify) child_place_unref);
  g_signal_connect_data (connection, "closed", G_CALLBACK (connection_closed_cb),
                         child_place_ref (child), child_place_unref_closure, 0);
  g_object_set_qdata_full (G_OBJECT (place), child_place_quark (), child_place_ref (child),
                           (GDestroyNotify) child_place_unref);
  dp_socket_connection_start (connection);

  watch = g_child_watch_source_new (pid);
  g_source_set_callback (watch, G_SOURCE_FUNC (child_exited_cb), child, (GDestroyNotify) child_place_unref);
  g_source_attach (watch, watch_context ());
  g_source_unref (watch);

  g_debug ("place %s runs in process %d", dp_place_get_name (place), pid);
  return TRUE;
}

static void
dp_processes_backend_kill (DpPlaceBackend *backend,
                           DpPlace        *place)
{
  ChildPlace *child = g_object_get_qdata (G_OBJECT (place), child_place_quark ());

  if (child == NULL)
    return;

  g_mutex_lock (&child->lock);
  if (!child->exited)
    {
      child->killed = TRUE;
      kill (child->pid, SIGKILL);
    }
  g_mutex_unlock (&child->lock);
}

static void
dp_processes_backend_exit_current (DpPlaceBackend *backend,
                                   DpPlace        *place,
                                   gint            status)
{
  fflush (stdout);
  fflush (stderr);
  exit (status);
}

static void
dp_processes_backend_place_backend_init (DpPlaceBackendInterface *iface)
{
  iface->launch = dp_processes_backend_launch;
  iface->kill = dp_processes_backend_kill;
  iface->exit_current = dp_processes_backend_exit_current;
}

/* The child: `dplaces place-helper --fd N --module PATH --function F`. */

/* A place dies with its creator (Racket's places die with the place that
 * made them): once the connection to the creator is gone, nothing can
 * reach the place nor report its end, and one busy or blocked inside its
 * own process would otherwise live on forever. The place ending by itself
 * (its function returning, or exit()) and its creator going are told apart
 * by who moves the state out of CHILD_RUNNING first. */
enum {
  CHILD_RUNNING,
  CHILD_FINISHING,  /* the place ends by itself, with its own status */
  CHILD_ORPHANED,   /* the creator is gone: the place is being killed */
};

static gint child_state = CHILD_RUNNING;  /* atomic */

/* Flushes @stream unless another thread keeps it locked for a while: the
 * place's own thread may hold the lock in a write that blocks for good. */
static void
flush_unless_held (FILE *stream)
{
  for (guint i = 0; i < 50; i++)
    {
      if (ftrylockfile (stream) == 0)
        {
          fflush_unlocked (stream);
          funlockfile (stream);
          return;
        }
      g_usleep (2000);
    }
}

/* Whoever lost the race waits for the winner to end the process. */
G_GNUC_NORETURN static void
wait_for_the_end (void)
{
  for (;;)
    pause ();
}

/* The place ends by itself — its function returned, or something called
 * exit() (dp_place_exit() does, here) —: from now on the creator's going
 * changes nothing. Unless the creator went first: then the place is being
 * killed. */
static void
child_finishing (void)
{
  if (!g_atomic_int_compare_and_exchange (&child_state, CHILD_RUNNING, CHILD_FINISHING) &&
      g_atomic_int_get (&child_state) == CHILD_ORPHANED)
    wait_for_the_end ();
}

/* Runs in the thread that saw the connection close: the background
 * reader, or the place's own thread reading in a get or a put. */
static void
creator_gone_cb (DpSocketConnection *connection,
                 GError             *reason,
                 gpointer            data)
{
  const char *name = data;

  if (!g_atomic_int_compare_and_exchange (&child_state, CHILD_RUNNING, CHILD_ORPHANED))
    return;   /* the place is ending by itself, with its own status */

  g_debug ("place %s: its creator is gone (%s), so is the place", name, reason->message);
  flush_unless_held (stdout);
  flush_unless_held (stderr);
  /* Dies as dp_place_kill() would have killed it, SIGKILL, for whoever
   * reaps it now: an exit status would be the place's own completion
   * value (a place may dp_place_exit (1) by itself). */
  kill (getpid (), SIGKILL);
  wait_for_the_end ();
}

int
dp_processes_child_main (int         fd,
                         const char *module,
                         const char *function,
                         const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(DpSocketConnection) connection = NULL;
  g_autoptr(DpPlaceChannel) endpoint = NULL;
  g_autoptr(DpPlace) self = NULL;
  DpPlaceFunc place_function;

  fcntl (fd, F_SETFD, FD_CLOEXEC);
  socket = g_socket_new_from_fd (fd, &error);
  if (socket == NULL)
    {
      g_printerr ("place %s: %s\n", name, error->message);
      return 127;
    }

  place_function = (DpPlaceFunc) dp_plugin_registry_lookup_symbol (dp_plugin_registry_get_default (),
                                                                   module, function, &error);
  if (place_function == NULL)
    {
      g_printerr ("place %s: %s\n", name, error->message);
      return 127;
    }

  connection = dp_socket_connection_new (socket, FALSE);
  endpoint = dp_socket_connection_open_channel (connection, DP_SOCKET_CONNECTION_FIRST_CHANNEL);
  /* Before the first read, so no close goes unseen. */
  atexit (child_finishing);
  g_signal_connect (connection, "closed", G_CALLBACK (creator_gone_cb), (gpointer) name);
  dp_socket_connection_start (connection);

  /* No node and no cookie here: log lines and connections to named places
   * go through our creator. */
  dp_node_set_parent_connection (connection);

  /* This process is the place: code in it finds itself as the current
   * place, and channels it receives are its own. */
  self = dp_place_new (module, function);
  dp_place_set_name (self, name);
  dp_place_enter (self);

  place_function (DP_CHANNEL (endpoint));
  child_finishing ();

  dp_place_leave (self);
  dp_node_set_parent_connection (NULL);
  fflush (stdout);
  fflush (stderr);
  return 0;
}

static void
dp_processes_backend_finalize (GObject *object)
{
  DpProcessesBackend *self = DP_PROCESSES_BACKEND (object);

  g_free (self->launch_path);

  G_OBJECT_CLASS (dp_processes_backend_parent_class)->finalize (object);
}

static void
dp_processes_backend_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  DpProcessesBackend *self = DP_PROCESSES_BACKEND (object);

  switch (prop_id)
    {
    case PROP_LAUNCH_PATH:
      g_value_set_string (value, self->launch_path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_processes_backend_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  DpProcessesBackend *self = DP_PROCESSES_BACKEND (object);

  switch (prop_id)
    {
    case PROP_LAUNCH_PATH:
      g_free (self->launch_path);
      self->launch_path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_processes_backend_class_init (DpProcessesBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dp_processes_backend_finalize;
  object_class->get_property = dp_processes_backend_get_property;
  object_class->set_property = dp_processes_backend_set_property;

  properties[PROP_LAUNCH_PATH] =
    g_param_spec_string ("launch-path", "Launch path",
                         "The dplaces binary that runs each place (its place-helper command); "
                         "empty for the one next to this libdplaces",
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_processes_backend_class_finalize (DpProcessesBackendClass *klass)
{
}

static void
dp_processes_backend_init (DpProcessesBackend *self)
{
}

void
dp_processes_backend_register (GTypeModule *module)
{
  dp_processes_backend_register_type (module);
}
