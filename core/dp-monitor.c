/* dp-monitor.c: what happens in this process, for a control plane
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-monitor"

#include "config.h"

#include <string.h>

#include "dp-monitor.h"

/**
 * DpMonitor:
 *
 * The process's record of what happens in it, for a control plane such as
 * the `http` plugin: lifecycle events — nodes up and down, places started,
 * ended and started again — and log lines, each emitted as
 * #DpMonitor::event and kept in a ring of recent ones; and the long jobs
 * frameworks run here (MapReduce, RMPI), which they describe on demand
 * through a job source ([method@Dp.Monitor.add_job_source]), keeping
 * the list of their jobs here too ([method@Dp.Monitor.add_job]).
 *
 * The core emits the lifecycle events itself. Log lines come from
 * whoever owns the process's GLib log writer: the `dplaces` host passes
 * what it prints to [method@Dp.Monitor.add_log]; a program with its own
 * writer can do the same.
 *
 * An event is an `a{sv}`: `seq` (t, increasing across the process's
 * events and log lines), `time` (x, wall-clock microseconds), `kind` (s,
 * one of the `DP_MONITOR_EVENT_…` names) and the kind's details.
 *
 * Everything here is safe from any thread.
 */

/* How many recent lifecycle events and log lines are kept. */
#define EVENTS_KEPT 256
#define LOGS_KEPT 512

typedef struct {
  GVariant *records[LOGS_KEPT];
  guint capacity;
  guint first;            /* index of the oldest */
  guint length;
} Ring;

typedef struct {
  gatomicrefcount ref_count;
  guint id;
  char *framework;
  DpMonitorJobsFunc func;
  gpointer user_data;
  GDestroyNotify destroy;
} JobSource;

/* A framework's job, for dp_monitor_list_jobs(): forgotten when the job
 * goes (job_gone_cb). */
typedef struct {
  GWeakRef ref;
  gpointer address;
  const char *framework;  /* interned */
} JobLink;

struct _DpMonitor
{
  GObject parent_instance;

  GMutex lock;
  guint64 last_seq;
  Ring events;
  Ring logs;
  GPtrArray *job_sources;  /* JobSource* */
  guint last_job_source_id;
  GPtrArray *jobs;         /* JobLink*, oldest first */
  GHashTable *job_counts;  /* interned framework → how many jobs it added */
};

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (DpMonitor, dp_monitor, G_TYPE_OBJECT)

static JobSource *
job_source_ref (JobSource *source)
{
  g_atomic_ref_count_inc (&source->ref_count);
  return source;
}

static void
job_source_unref (gpointer data)
{
  JobSource *source = data;

  if (!g_atomic_ref_count_dec (&source->ref_count))
    return;
  if (source->destroy != NULL)
    source->destroy (source->user_data);
  g_free (source->framework);
  g_free (source);
}

static void
job_link_free (gpointer data)
{
  JobLink *link = data;

  g_weak_ref_clear (&link->ref);
  g_free (link);
}

static void
ring_clear (Ring *ring)
{
  for (guint i = 0; i < ring->length; i++)
    g_variant_unref (ring->records[(ring->first + i) % ring->capacity]);
  ring->length = 0;
}

/* Takes @record. */
static void
ring_push (Ring     *ring,
           GVariant *record)
{
  if (ring->length == ring->capacity)
    {
      g_variant_unref (ring->records[ring->first]);
      ring->records[ring->first] = record;
      ring->first = (ring->first + 1) % ring->capacity;
    }
  else
    ring->records[(ring->first + ring->length++) % ring->capacity] = record;
}

static GVariant *
ring_dup (Ring    *ring,
          guint64  after)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < ring->length; i++)
    {
      GVariant *record = ring->records[(ring->first + i) % ring->capacity];
      guint64 seq = 0;

      g_variant_lookup (record, "seq", "t", &seq);
      if (seq > after)
        g_variant_builder_add_value (&builder, record);
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static void
dp_monitor_finalize (GObject *object)
{
  DpMonitor *self = DP_MONITOR (object);

  ring_clear (&self->events);
  ring_clear (&self->logs);
  g_ptr_array_unref (self->job_sources);
  g_ptr_array_unref (self->jobs);
  g_hash_table_unref (self->job_counts);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (dp_monitor_parent_class)->finalize (object);
}

static void
dp_monitor_class_init (DpMonitorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dp_monitor_finalize;

  /**
   * DpMonitor::event:
   * @self: the monitor
   * @event: the event, an `a{sv}` (see [class@Dp.Monitor])
   *
   * Something happened. Emitted in the thread where it happened, which
   * may hold locks of the library: a handler must be quick, must not
   * block and must not log (a log line would be an event too); it passes
   * the event on to its own main context.
   */
  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_VARIANT);
}

static void
dp_monitor_init (DpMonitor *self)
{
  g_mutex_init (&self->lock);
  self->events.capacity = EVENTS_KEPT;
  self->logs.capacity = LOGS_KEPT;
  self->job_sources = g_ptr_array_new_with_free_func (job_source_unref);
  self->jobs = g_ptr_array_new_with_free_func (job_link_free);
  self->job_counts = g_hash_table_new (NULL, NULL);
}

/**
 * dp_monitor_get_default:
 *
 * Returns: (transfer none): the process's monitor
 */
DpMonitor *
dp_monitor_get_default (void)
{
  static DpMonitor *monitor;

  if (g_once_init_enter (&monitor))
    g_once_init_leave (&monitor, g_object_new (DP_TYPE_MONITOR, NULL));
  return monitor;
}

/* Records an event of @kind with @details (an a{sv}, consumed if
 * floating) in @ring, and emits it. */
static void
record (DpMonitor  *self,
        Ring       *ring,
        const char *kind,
        GVariant   *details)
{
  g_autoptr(GVariant) owned = details != NULL ? g_variant_ref_sink (details) : NULL;
  GVariantBuilder builder;
  GVariant *event;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "time", g_variant_new_int64 (g_get_real_time ()));
  g_variant_builder_add (&builder, "{sv}", "kind", g_variant_new_string (kind));
  if (owned != NULL)
    {
      g_variant_iter_init (&iter, owned);
      while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
        {
          g_variant_builder_add (&builder, "{sv}", key, value);
          g_variant_unref (value);
        }
    }

  /* The sequence number last, under the lock, so the ring stays in order.
   * Kept serialized: built, an event is a tree of a few dozen small
   * GVariants (about 3 KiB with malloc's overhead), serialized one block
   * of a few hundred bytes — full rings cost a process 2 MiB less.
   * g_variant_get_data() serializes in place and lets the tree go;
   * g_variant_get_normal_form() would not: a built value is in normal
   * form already, and comes back as it is. */
  g_mutex_lock (&self->lock);
  g_variant_builder_add (&builder, "{sv}", "seq", g_variant_new_uint64 (++self->last_seq));
  event = g_variant_ref_sink (g_variant_builder_end (&builder));
  g_variant_get_data (event);
  ring_push (ring, g_variant_ref (event));
  g_mutex_unlock (&self->lock);

  g_signal_emit (self, signals[SIGNAL_EVENT], 0, event);
  g_variant_unref (event);
}

/**
 * dp_monitor_emit:
 * @self: a monitor
 * @kind: what happened: one of the `DP_MONITOR_EVENT_…` names, or a
 *   framework's own
 * @details: (nullable) (transfer floating): an `a{sv}` of details
 *
 * Records an event and emits #DpMonitor::event. Safe from any thread.
 */
void
dp_monitor_emit (DpMonitor  *self,
                 const char *kind,
                 GVariant   *details)
{
  g_return_if_fail (DP_IS_MONITOR (self));
  g_return_if_fail (kind != NULL);
  g_return_if_fail (details == NULL || g_variant_is_of_type (details, G_VARIANT_TYPE_VARDICT));

  record (self, &self->events, kind, details);
}

static const char *
level_name (GLogLevelFlags level)
{
  switch (level & G_LOG_LEVEL_MASK)
    {
    case G_LOG_LEVEL_ERROR:
      return "error";
    case G_LOG_LEVEL_CRITICAL:
      return "critical";
    case G_LOG_LEVEL_WARNING:
      return "warning";
    case G_LOG_LEVEL_MESSAGE:
      return "message";
    case G_LOG_LEVEL_INFO:
      return "info";
    default:
      return "debug";
    }
}

/**
 * dp_monitor_add_log:
 * @self: a monitor
 * @level: the line's level
 * @fields: (array length=n_fields): its structured fields, as a
 *   [callback@GLib.LogWriterFunc] gets them
 * @n_fields: how many
 *
 * Records a log line — an event of kind %DP_MONITOR_EVENT_LOG, kept in a
 * ring of its own. For a log writer to call with what it writes.
 */
void
dp_monitor_add_log (DpMonitor       *self,
                    GLogLevelFlags   level,
                    const GLogField *fields,
                    gsize            n_fields)
{
  g_autofree char *message = NULL;
  g_autofree char *domain = NULL;
  g_autofree char *severity = NULL;

  g_return_if_fail (DP_IS_MONITOR (self));

  /* A place's line (dp_log_message()) says its own severity. */
  for (gsize i = 0; i < n_fields; i++)
    {
      char **target = g_str_equal (fields[i].key, "MESSAGE") ? &message
                    : g_str_equal (fields[i].key, "GLIB_DOMAIN") ? &domain
                    : g_str_equal (fields[i].key, "DPLACES_SEVERITY") ? &severity : NULL;

      if (target == NULL || fields[i].value == NULL || *target != NULL)
        continue;
      *target = fields[i].length < 0 ? g_strdup (fields[i].value)
                                     : g_strndup (fields[i].value, fields[i].length);
    }
  if (message == NULL)
    return;
  /* Text from others may be anything; a GVariant string must be UTF-8. */
  if (!g_utf8_validate (message, -1, NULL))
    {
      char *valid = g_utf8_make_valid (message, -1);
      g_free (message);
      message = valid;
    }

  record (self, &self->logs, DP_MONITOR_EVENT_LOG,
          g_variant_new_parsed ("{'level': <%s>, 'domain': <%s>, 'message': <%s>}",
                                severity != NULL && g_utf8_validate (severity, -1, NULL)
                                ? severity : level_name (level),
                                domain != NULL && g_utf8_validate (domain, -1, NULL) ? domain : "",
                                message));
}

/**
 * dp_monitor_dup_events:
 * @self: a monitor
 * @after: the `seq` of the last event already seen, or 0
 *
 * Returns: (transfer full): the recent lifecycle events newer than
 *   @after, oldest first, as an `aa{sv}`
 */
GVariant *
dp_monitor_dup_events (DpMonitor *self,
                       guint64    after)
{
  GVariant *events;

  g_return_val_if_fail (DP_IS_MONITOR (self), NULL);

  g_mutex_lock (&self->lock);
  events = ring_dup (&self->events, after);
  g_mutex_unlock (&self->lock);
  return events;
}

/**
 * dp_monitor_dup_logs:
 * @self: a monitor
 * @after: the `seq` of the last line already seen, or 0
 *
 * Returns: (transfer full): the recent log lines newer than @after,
 *   oldest first, as an `aa{sv}`
 */
GVariant *
dp_monitor_dup_logs (DpMonitor *self,
                     guint64    after)
{
  GVariant *logs;

  g_return_val_if_fail (DP_IS_MONITOR (self), NULL);

  g_mutex_lock (&self->lock);
  logs = ring_dup (&self->logs, after);
  g_mutex_unlock (&self->lock);
  return logs;
}

/**
 * dp_monitor_add_job_source:
 * @self: a monitor
 * @framework: the framework's name, such as `mapreduce`
 * @func: (scope notified): describes its jobs in this process
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * Lets a framework show the progress of its long jobs: @func is called
 * whenever someone asks ([method@Dp.Monitor.dup_jobs], the node status
 * other nodes ask for) — nothing is pushed, so a job pays nothing while
 * nobody looks.
 *
 * Returns: an id for [method@Dp.Monitor.remove_job_source]
 */
guint
dp_monitor_add_job_source (DpMonitor         *self,
                           const char        *framework,
                           DpMonitorJobsFunc  func,
                           gpointer           user_data,
                           GDestroyNotify     destroy)
{
  JobSource *source;
  guint id;

  g_return_val_if_fail (DP_IS_MONITOR (self), 0);
  g_return_val_if_fail (framework != NULL && func != NULL, 0);

  source = g_new0 (JobSource, 1);
  g_atomic_ref_count_init (&source->ref_count);
  source->framework = g_strdup (framework);
  source->func = func;
  source->user_data = user_data;
  source->destroy = destroy;

  g_mutex_lock (&self->lock);
  id = source->id = ++self->last_job_source_id;
  g_ptr_array_add (self->job_sources, source);
  g_mutex_unlock (&self->lock);
  return id;
}

/**
 * dp_monitor_remove_job_source:
 * @self: a monitor
 * @id: what [method@Dp.Monitor.add_job_source] returned
 *
 * Forgets a job source.
 */
void
dp_monitor_remove_job_source (DpMonitor *self,
                              guint      id)
{
  g_return_if_fail (DP_IS_MONITOR (self));

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->job_sources->len; i++)
    if (((JobSource *) g_ptr_array_index (self->job_sources, i))->id == id)
      {
        g_ptr_array_remove_index (self->job_sources, i);
        break;
      }
  g_mutex_unlock (&self->lock);
}

/* A job is disposed of: its link goes. The link's weak reference is
 * cleared already, so dp_monitor_list_jobs() skips it until then. */
static void
job_gone_cb (gpointer  data,
             GObject  *where_the_job_was)
{
  DpMonitor *self = data;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->jobs->len; i++)
    if (((JobLink *) g_ptr_array_index (self->jobs, i))->address == where_the_job_was)
      {
        g_ptr_array_remove_index (self->jobs, i);
        break;
      }
  g_mutex_unlock (&self->lock);
}

/**
 * dp_monitor_add_job:
 * @self: a monitor
 * @framework: the framework's name, such as `mapreduce`
 * @job: (type GObject): one of its jobs, just made
 *
 * Counts @job among @framework's jobs for as long as it exists — without
 * holding it — for [method@Dp.Monitor.list_jobs]: how a framework lists
 * its jobs for its job source (see [method@Dp.Monitor.add_job_source]).
 * Safe to call from any thread.
 *
 * Returns: the job's number among @framework's: 1, 2, … in the order
 *   they were added
 */
guint
dp_monitor_add_job (DpMonitor  *self,
                    const char *framework,
                    gpointer    job)
{
  JobLink *link;
  guint number;

  g_return_val_if_fail (DP_IS_MONITOR (self), 0);
  g_return_val_if_fail (framework != NULL, 0);
  g_return_val_if_fail (G_IS_OBJECT (job), 0);

  link = g_new0 (JobLink, 1);
  link->address = job;
  link->framework = g_intern_string (framework);
  g_weak_ref_init (&link->ref, job);
  g_object_weak_ref (job, job_gone_cb, self);

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->jobs, link);
  number = GPOINTER_TO_UINT (g_hash_table_lookup (self->job_counts, link->framework)) + 1;
  g_hash_table_insert (self->job_counts, (gpointer) link->framework, GUINT_TO_POINTER (number));
  g_mutex_unlock (&self->lock);
  return number;
}

/**
 * dp_monitor_list_jobs:
 * @self: a monitor
 * @framework: the framework's name, such as `mapreduce`
 *
 * Safe to call from any thread.
 *
 * Returns: (transfer full) (element-type GObject): the jobs of @framework
 *   given to [method@Dp.Monitor.add_job] that still exist — running, or
 *   done and still referenced — oldest first
 */
GPtrArray *
dp_monitor_list_jobs (DpMonitor  *self,
                      const char *framework)
{
  GPtrArray *alive = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (DP_IS_MONITOR (self), alive);
  g_return_val_if_fail (framework != NULL, alive);

  framework = g_intern_string (framework);
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->jobs->len; i++)
    {
      JobLink *link = g_ptr_array_index (self->jobs, i);
      GObject *job = link->framework == framework ? g_weak_ref_get (&link->ref) : NULL;

      /* A job being disposed is gone already. */
      if (job != NULL)
        g_ptr_array_add (alive, job);
    }
  g_mutex_unlock (&self->lock);
  return alive;
}

/**
 * dp_monitor_dup_jobs:
 * @self: a monitor
 *
 * Asks every job source for its jobs.
 *
 * Returns: (transfer full): an `aa{sv}`: each job's dictionary, as its
 *   source gave it, with `framework` (s) added
 */
GVariant *
dp_monitor_dup_jobs (DpMonitor *self)
{
  g_autoptr(GPtrArray) sources = g_ptr_array_new_with_free_func (job_source_unref);
  GVariantBuilder builder;

  g_return_val_if_fail (DP_IS_MONITOR (self), NULL);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->job_sources->len; i++)
    g_ptr_array_add (sources, job_source_ref (g_ptr_array_index (self->job_sources, i)));
  g_mutex_unlock (&self->lock);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < sources->len; i++)
    {
      JobSource *source = g_ptr_array_index (sources, i);
      g_autoptr(GVariant) jobs = source->func (source->user_data);
      GVariantIter iter;
      GVariant *job;

      if (jobs == NULL)
        continue;
      /* Floating or full, the reference is ours now. */
      g_variant_take_ref (jobs);
      if (!g_variant_is_of_type (jobs, G_VARIANT_TYPE ("aa{sv}")))
        {
          g_warning ("Job source %s gave a %s, not an aa{sv}", source->framework,
                     g_variant_get_type_string (jobs));
          continue;
        }
      g_variant_iter_init (&iter, jobs);
      while ((job = g_variant_iter_next_value (&iter)) != NULL)
        {
          GVariantDict dict;

          g_variant_dict_init (&dict, job);
          g_variant_dict_insert (&dict, "framework", "s", source->framework);
          g_variant_builder_add_value (&builder, g_variant_dict_end (&dict));
          g_variant_unref (job);
        }
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}
