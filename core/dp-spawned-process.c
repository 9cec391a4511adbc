/* dp-spawned-process.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-process"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "dp-error.h"
#include "dp-event-container.h"
#include "dp-spawned-process.h"
#include "dp-supervisor-private.h"
#include "dp-worker-private.h"

/**
 * DpSpawnedProcess:
 *
 * A process started for the system — a node, or an external command
 * under supervision: the seeds' `spawned-process%` on [class@Gio.Subprocess].
 *
 * Its standard output and error are forwarded to ours line by line,
 * prefixed with [property@Dp.SpawnedProcess:log-prefix] (a node's
 * `PLACE host:port`). A node announces itself with a first line
 * `DPLACES-NODE-READY PORT`, which is not forwarded:
 * [method@Dp.SpawnedProcess.wait_ready] waits for it. The output and the
 * exit are watched on the library's own thread, with or without a main
 * loop running. #DpSpawnedProcess::exited is emitted there.
 *
 * Made with a restart strategy ([ctor@Dp.SpawnedProcess.new_full], the
 * seeds' `supervise-process-at` `#:restart-on-exit`), the command is run
 * again each time it ends, as the strategy says: the object then stands
 * for the supervised command, whichever process runs it;
 * #DpSpawnedProcess::exited is emitted at each end and
 * #DpSpawnedProcess::restarted at each new start, and
 * [method@Dp.SpawnedProcess.wait] returns once the strategy gives up (or
 * [method@Dp.SpawnedProcess.stop] is called).
 */

#define READY_PREFIX "DPLACES-NODE-READY "

struct _DpSpawnedProcess
{
  GObject parent_instance;

  GSubprocess *subprocess;
  char *log_prefix;
  GBytes *input;

  GMutex lock;
  GCond cond;
  gboolean ready;
  guint port;
  gboolean exited;        /* the current process ended */
  gboolean final;         /* … and will not be run again */
  gint status;
  char *exit_reason;
  guint open_streams;

  /* Supervision: the command, run again as the strategy says. */
  GStrv argv;
  DpSupervisor *supervisor;
  GPtrArray *old_reasons; /* earlier lives' exit reasons, for readers */
  guint restarts;
};

enum {
  SIGNAL_EXITED,
  SIGNAL_RESTARTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void dp_spawned_process_event_container_init (DpEventContainerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DpSpawnedProcess, dp_spawned_process, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (DP_TYPE_EVENT_CONTAINER,
                                                      dp_spawned_process_event_container_init))

static GPtrArray *
dp_spawned_process_register_events (DpEventContainer *container,
                                    GPtrArray        *events)
{
  /* Everything is watched on the library's worker context already. */
  return events;
}

static void
dp_spawned_process_event_container_init (DpEventContainerInterface *iface)
{
  iface->register_events = dp_spawned_process_register_events;
}

static void
dp_spawned_process_finalize (GObject *object)
{
  DpSpawnedProcess *self = DP_SPAWNED_PROCESS (object);

  if (self->supervisor != NULL)
    dp_supervisor_stop (self->supervisor);
  g_clear_object (&self->supervisor);
  g_clear_object (&self->subprocess);
  g_clear_pointer (&self->input, g_bytes_unref);
  g_clear_pointer (&self->argv, g_strfreev);
  g_clear_pointer (&self->old_reasons, g_ptr_array_unref);
  g_free (self->log_prefix);
  g_free (self->exit_reason);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (dp_spawned_process_parent_class)->finalize (object);
}

static void
dp_spawned_process_class_init (DpSpawnedProcessClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dp_spawned_process_finalize;

  /**
   * DpSpawnedProcess::exited:
   * @self: the process
   * @status: its exit status, or 128 + the signal that killed it
   *
   * The process ended. Emitted on the library's worker thread.
   */
  signals[SIGNAL_EXITED] =
    g_signal_new ("exited", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);

  /**
   * DpSpawnedProcess::restarted:
   * @self: the process
   *
   * A supervised command was started again after it ended. Emitted on
   * the library's worker thread.
   */
  signals[SIGNAL_RESTARTED] =
    g_signal_new ("restarted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
dp_spawned_process_init (DpSpawnedProcess *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}

typedef struct {
  DpSpawnedProcess *self;
  GDataInputStream *stream;
  FILE *out;
  gboolean first;
} LineReader;

static void read_next_line (LineReader *reader);

static void
line_reader_free (LineReader *reader)
{
  g_object_unref (reader->stream);
  g_object_unref (reader->self);
  g_free (reader);
}

static void
line_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  LineReader *reader = data;
  DpSpawnedProcess *self = reader->self;
  g_autoptr(GError) error = NULL;
  gsize length;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (reader->stream, result,
                                                                      &length, &error);

  if (line == NULL && error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    {
      /* Not UTF-8: forward it anyway. */
      g_clear_error (&error);
      line = g_strdup ("(a line that is not UTF-8)");
    }
  if (line == NULL)
    {
      g_mutex_lock (&self->lock);
      self->open_streams--;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      line_reader_free (reader);
      return;
    }

  if (reader->out == stdout && !self->ready && g_str_has_prefix (line, READY_PREFIX))
    {
      guint64 port = 0;

      g_ascii_string_to_unsigned (line + strlen (READY_PREFIX), 10, 0, 65535, &port, NULL);
      g_mutex_lock (&self->lock);
      self->ready = TRUE;
      self->port = port;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
    }
  else
    {
      /* One write per line, so lines of different nodes do not mix. */
      g_autofree char *text = NULL;

      g_mutex_lock (&self->lock);
      text = self->log_prefix != NULL ? g_strdup_printf ("%s: %s\n", self->log_prefix, line)
                                      : g_strdup_printf ("%s\n", line);
      g_mutex_unlock (&self->lock);
      fputs (text, reader->out);
      fflush (reader->out);
    }

  read_next_line (reader);
}

static void
read_next_line (LineReader *reader)
{
  g_data_input_stream_read_line_async (reader->stream, G_PRIORITY_DEFAULT, NULL,
                                       line_read_cb, reader);
}

static void
subprocess_waited_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      data)
{
  DpSpawnedProcess *self = data;
  GSubprocess *subprocess = G_SUBPROCESS (source);
  g_autoptr(DpSupervisor) supervisor = NULL;
  gint status;

  g_subprocess_wait_finish (subprocess, result, NULL);

  g_mutex_lock (&self->lock);
  if (self->exit_reason != NULL)
    {
      /* An earlier life's: whoever read it may still hold it. */
      if (self->old_reasons == NULL)
        self->old_reasons = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (self->old_reasons, g_steal_pointer (&self->exit_reason));
    }
  if (g_subprocess_get_if_exited (subprocess))
    {
      status = g_subprocess_get_exit_status (subprocess);
      self->exit_reason = g_strdup_printf ("exited with status %d", status);
    }
  else if (g_subprocess_get_if_signaled (subprocess))
    {
      int signal_number = g_subprocess_get_term_sig (subprocess);
      const char *abbrev = sigabbrev_np (signal_number);

      status = 128 + signal_number;
      self->exit_reason = g_strdup_printf ("killed by signal SIG%s", abbrev != NULL ? abbrev : "?");
    }
  else
    {
      status = 1;
      self->exit_reason = g_strdup ("ended");
    }
  self->exited = TRUE;
  self->status = status;
  if (self->supervisor != NULL && !dp_supervisor_is_finished (self->supervisor))
    supervisor = g_object_ref (self->supervisor);
  else
    self->final = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  g_debug ("process %s %s", g_subprocess_get_identifier (subprocess), self->exit_reason);
  g_signal_emit (self, signals[SIGNAL_EXITED], 0, status);
  /* A supervised command: its strategy decides what comes next. */
  if (supervisor != NULL)
    dp_supervisor_exited (supervisor, status, self->exit_reason);
  g_object_unref (self);
}

static void
start_reader (DpSpawnedProcess *self,
              GInputStream     *stream,
              FILE             *out)
{
  LineReader *reader = g_new0 (LineReader, 1);

  reader->self = g_object_ref (self);
  reader->stream = g_data_input_stream_new (stream);
  reader->out = out;
  self->open_streams++;
  read_next_line (reader);
}

/* On the worker thread: watch the output and the exit. */
static gboolean
start_watching_cb (gpointer data)
{
  DpSpawnedProcess *self = data;
  g_autoptr(GSubprocess) subprocess = NULL;

  g_mutex_lock (&self->lock);
  subprocess = g_object_ref (self->subprocess);
  start_reader (self, g_subprocess_get_stdout_pipe (subprocess), stdout);
  start_reader (self, g_subprocess_get_stderr_pipe (subprocess), stderr);
  g_mutex_unlock (&self->lock);

  /* Standard input stays open while we live: a node reads its cookie
   * there, then takes the end of its input for the end of its spawner. */
  if (self->input != NULL)
    g_output_stream_write_bytes_async (g_subprocess_get_stdin_pipe (subprocess),
                                       self->input, G_PRIORITY_DEFAULT, NULL, NULL, NULL);

  g_subprocess_wait_async (subprocess, NULL, subprocess_waited_cb, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static GSubprocess *
launch (const char * const  *cmdline,
        GError             **error)
{
  GSubprocess *subprocess = g_subprocess_newv (cmdline,
                                               G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                               G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                               G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                               error);
  if (subprocess == NULL)
    g_prefix_error (error, "Cannot start %s: ", cmdline[0]);
  return subprocess;
}

static gboolean
emit_restarted_cb (gpointer data)
{
  g_signal_emit (data, signals[SIGNAL_RESTARTED], 0);
  return G_SOURCE_REMOVE;
}

/* On the worker thread: the strategy says run the command again. */
static void
supervisor_start_cb (DpSupervisor *supervisor,
                     GObject      *owner,
                     gpointer      data)
{
  DpSpawnedProcess *self = DP_SPAWNED_PROCESS (owner);
  g_autoptr(GError) error = NULL;
  GSubprocess *subprocess = launch ((const char * const *) self->argv, &error);

  if (subprocess == NULL)
    {
      dp_supervisor_exited (supervisor, 1, error->message);
      return;
    }

  if (dp_supervisor_is_finished (supervisor))
    {
      /* Stopped meanwhile. */
      g_subprocess_force_exit (subprocess);
      g_object_unref (subprocess);
      return;
    }

  g_mutex_lock (&self->lock);
  g_set_object (&self->subprocess, subprocess);
  self->exited = FALSE;
  self->restarts++;
  g_mutex_unlock (&self->lock);
  g_object_unref (subprocess);

  dp_supervisor_started (supervisor);
  g_debug ("%s started again (pid %d)", self->argv[0], dp_spawned_process_get_pid (self));
  start_watching_cb (self);
  emit_restarted_cb (self);
}

/* On the worker thread: no more restarts. */
static void
supervisor_done_cb (DpSupervisor        *supervisor,
                    GObject             *owner,
                    DpRestartDecision    decision,
                    const DpRestartInfo *info,
                    gpointer             data)
{
  DpSpawnedProcess *self = DP_SPAWNED_PROCESS (owner);

  g_mutex_lock (&self->lock);
  self->final = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/**
 * dp_spawned_process_new:
 * @cmdline: (array zero-terminated=1): the command and its arguments
 * @log_prefix: (nullable): what to put in front of each line it prints
 * @input: (nullable): what to write on its standard input (a node's
 *   cookie). Standard input stays open as long as @self lives: a node
 *   exits when it closes.
 * @error: return location for a #GError
 *
 * Starts @cmdline (the seeds' `new spawned-process%`).
 *
 * Returns: (transfer full): the running process, or %NULL with @error set
 */
DpSpawnedProcess *
dp_spawned_process_new (const char * const  *cmdline,
                        const char          *log_prefix,
                        GBytes              *input,
                        GError             **error)
{
  return dp_spawned_process_new_full (cmdline, log_prefix, input, NULL, error);
}

/**
 * dp_spawned_process_new_full:
 * @cmdline: (array zero-terminated=1): the command and its arguments
 * @log_prefix: (nullable): what to put in front of each line it prints
 * @input: (nullable): what to write on its standard input, at each start
 * @restart_on_exit: (nullable): a restart strategy that runs the command
 *   again when it ends, or %NULL
 * @error: return location for a #GError
 *
 * Starts @cmdline and, with @restart_on_exit, supervises it: each time it
 * ends the strategy decides whether, and after how long, to run it again
 * (on the library's worker thread). The process object and the
 * supervision live until the strategy stops or gives up, or
 * [method@Dp.SpawnedProcess.stop].
 *
 * Returns: (transfer full): the running process, or %NULL with @error set
 */
DpSpawnedProcess *
dp_spawned_process_new_full (const char * const  *cmdline,
                             const char          *log_prefix,
                             GBytes              *input,
                             DpRestartStrategy   *restart_on_exit,
                             GError             **error)
{
  g_autoptr(DpSpawnedProcess) self = NULL;

  g_return_val_if_fail (cmdline != NULL && cmdline[0] != NULL, NULL);
  g_return_val_if_fail (restart_on_exit == NULL || DP_IS_RESTART_STRATEGY (restart_on_exit), NULL);

  self = g_object_new (DP_TYPE_SPAWNED_PROCESS, NULL);
  self->log_prefix = g_strdup (log_prefix);
  self->input = input != NULL ? g_bytes_ref (input) : NULL;
  self->argv = g_strdupv ((char **) cmdline);
  self->subprocess = launch (cmdline, error);
  if (self->subprocess == NULL)
    return NULL;

  if (restart_on_exit != NULL)
    {
      g_autofree char *name = g_strdup_printf ("process %s", cmdline[0]);

      self->supervisor = dp_supervisor_new (restart_on_exit, name, dp_worker_context (),
                                            G_OBJECT (self), supervisor_start_cb,
                                            supervisor_done_cb, NULL, NULL);
      dp_supervisor_started (self->supervisor);
    }

  dp_worker_invoke (start_watching_cb, g_object_ref (self), g_object_unref);
  return g_steal_pointer (&self);
}

/**
 * dp_spawned_process_get_pid:
 * @self: a process
 *
 * Returns: its process id (the seeds' `get-pid`), or 0 once reaped
 */
GPid
dp_spawned_process_get_pid (DpSpawnedProcess *self)
{
  const char *identifier;
  GPid pid;

  g_return_val_if_fail (DP_IS_SPAWNED_PROCESS (self), 0);

  g_mutex_lock (&self->lock);
  identifier = g_subprocess_get_identifier (self->subprocess);
  pid = identifier != NULL ? (GPid) g_ascii_strtoll (identifier, NULL, 10) : 0;
  g_mutex_unlock (&self->lock);

  return pid;
}

/**
 * dp_spawned_process_get_log_prefix:
 * @self: a process
 *
 * Returns: (transfer full) (nullable): the prefix of its forwarded lines
 */
char *
dp_spawned_process_get_log_prefix (DpSpawnedProcess *self)
{
  char *prefix;

  g_return_val_if_fail (DP_IS_SPAWNED_PROCESS (self), NULL);

  g_mutex_lock (&self->lock);
  prefix = g_strdup (self->log_prefix);
  g_mutex_unlock (&self->lock);

  return prefix;
}

/**
 * dp_spawned_process_set_log_prefix:
 * @self: a process
 * @log_prefix: (nullable): what to put in front of each line from now on
 *
 * Changes the prefix, once a node says which port it got.
 */
void
dp_spawned_process_set_log_prefix (DpSpawnedProcess *self,
                                   const char       *log_prefix)
{
  g_return_if_fail (DP_IS_SPAWNED_PROCESS (self));

  g_mutex_lock (&self->lock);
  g_free (self->log_prefix);
  self->log_prefix = g_strdup (log_prefix);
  g_mutex_unlock (&self->lock);
}

/**
 * dp_spawned_process_wait_ready:
 * @self: a process that is a node
 * @timeout_ms: how long to wait
 * @out_port: (out) (optional): the port the node listens on
 * @error: return location for a #GError
 *
 * Waits for the node to say it listens.
 *
 * Returns: %TRUE once it does; %FALSE with @error set if it ended first or
 *   the time ran out
 */
gboolean
dp_spawned_process_wait_ready (DpSpawnedProcess  *self,
                               guint              timeout_ms,
                               guint             *out_port,
                               GError           **error)
{
  gint64 end_time = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean ready;

  g_return_val_if_fail (DP_IS_SPAWNED_PROCESS (self), FALSE);

  g_mutex_lock (&self->lock);
  while (!self->ready && !(self->exited && self->open_streams == 0))
    if (!g_cond_wait_until (&self->cond, &self->lock, end_time))
      break;
  ready = self->ready;
  if (ready && out_port != NULL)
    *out_port = self->port;
  if (!ready)
    {
      if (self->exited)
        g_set_error (error, DP_ERROR, DP_ERROR_PEER_DIED, "The node process %s before it was ready",
                     self->exit_reason);
      else
        g_set_error (error, DP_ERROR, DP_ERROR_TIMED_OUT,
                     "The node process did not say it was ready within %u ms", timeout_ms);
    }
  g_mutex_unlock (&self->lock);

  return ready;
}

/**
 * dp_spawned_process_wait:
 * @self: a process
 *
 * Waits for the process to end — a supervised command, to end for good.
 *
 * Returns: its exit status, or 128 + the signal that killed it
 */
gint
dp_spawned_process_wait (DpSpawnedProcess *self)
{
  gint status;

  g_return_val_if_fail (DP_IS_SPAWNED_PROCESS (self), -1);

  g_mutex_lock (&self->lock);
  while (!self->final)
    g_cond_wait (&self->cond, &self->lock);
  status = self->status;
  g_mutex_unlock (&self->lock);

  return status;
}

/**
 * dp_spawned_process_wait_timeout:
 * @self: a process
 * @timeout_ms: how long to wait
 *
 * Waits for the process to end, for at most @timeout_ms.
 *
 * Returns: %TRUE if it has ended
 */
gboolean
dp_spawned_process_wait_timeout (DpSpawnedProcess *self,
                                 guint             timeout_ms)
{
  gint64 end_time = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean exited;

  g_return_val_if_fail (DP_IS_SPAWNED_PROCESS (self), TRUE);

  g_mutex_lock (&self->lock);
  while (!self->final)
    if (!g_cond_wait_until (&self->cond, &self->lock, end_time))
      break;
  exited = self->final;
  g_mutex_unlock (&self->lock);

  return exited;
}

/**
 * dp_spawned_process_wait_output_timeout:
 * @self: a process
 * @timeout_ms: how long to wait
 *
 * Waits, for at most @timeout_ms, until the process has closed its
 * standard output and error and every line it wrote there has been
 * forwarded — normally when it has ended.
 *
 * Returns: %TRUE if its output is all forwarded
 */
gboolean
dp_spawned_process_wait_output_timeout (DpSpawnedProcess *self,
                                        guint             timeout_ms)
{
  gint64 end_time = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean drained;

  g_return_val_if_fail (DP_IS_SPAWNED_PROCESS (self), TRUE);

  g_mutex_lock (&self->lock);
  while (self->open_streams > 0)
    if (!g_cond_wait_until (&self->cond, &self->lock, end_time))
      break;
  drained = self->open_streams == 0;
  g_mutex_unlock (&self->lock);

  return drained;
}

gboolean
dp_spawned_process_has_exited (DpSpawnedProcess *self)
{
  gboolean exited;

  g_return_val_if_fail (DP_IS_SPAWNED_PROCESS (self), TRUE);

  g_mutex_lock (&self->lock);
  exited = self->final;
  g_mutex_unlock (&self->lock);

  return exited;
}

/**
 * dp_spawned_process_get_exit_reason:
 * @self: a process
 *
 * Returns: (nullable): how it ended, once it has
 */
const char *
dp_spawned_process_get_exit_reason (DpSpawnedProcess *self)
{
  g_return_val_if_fail (DP_IS_SPAWNED_PROCESS (self), NULL);
  return self->exit_reason;
}

/**
 * dp_spawned_process_kill:
 * @self: a process
 *
 * Kills the process (SIGKILL). A supervised command is run again as its
 * strategy says, as after any other death; see
 * [method@Dp.SpawnedProcess.stop] to end it for good.
 */
void
dp_spawned_process_kill (DpSpawnedProcess *self)
{
  g_autoptr(GSubprocess) subprocess = NULL;

  g_return_if_fail (DP_IS_SPAWNED_PROCESS (self));

  g_mutex_lock (&self->lock);
  subprocess = g_object_ref (self->subprocess);
  g_mutex_unlock (&self->lock);
  g_subprocess_force_exit (subprocess);
}

/**
 * dp_spawned_process_stop:
 * @self: a process
 *
 * Ends a supervised command for good: no more restarts, and the process
 * running now is killed (SIGKILL). For a process without supervision, the
 * same as [method@Dp.SpawnedProcess.kill].
 */
void
dp_spawned_process_stop (DpSpawnedProcess *self)
{
  g_autoptr(GSubprocess) subprocess = NULL;
  g_autoptr(DpSupervisor) supervisor = NULL;
  gboolean was_exited;

  g_return_if_fail (DP_IS_SPAWNED_PROCESS (self));

  g_mutex_lock (&self->lock);
  supervisor = self->supervisor != NULL ? g_object_ref (self->supervisor) : NULL;
  subprocess = g_object_ref (self->subprocess);
  was_exited = self->exited;
  g_mutex_unlock (&self->lock);

  if (supervisor != NULL)
    dp_supervisor_stop (supervisor);

  g_mutex_lock (&self->lock);
  /* Stopped between two lives: nothing will end any more. */
  if (was_exited && self->exited)
    {
      self->final = TRUE;
      g_cond_broadcast (&self->cond);
    }
  g_mutex_unlock (&self->lock);

  g_subprocess_force_exit (subprocess);
}

/**
 * dp_spawned_process_get_restarts:
 * @self: a process
 *
 * Returns: how many times a supervised command was started again
 */
guint
dp_spawned_process_get_restarts (DpSpawnedProcess *self)
{
  guint restarts;

  g_return_val_if_fail (DP_IS_SPAWNED_PROCESS (self), 0);

  g_mutex_lock (&self->lock);
  restarts = self->restarts;
  g_mutex_unlock (&self->lock);

  return restarts;
}
