/* dp-map-reduce-job.c: one map-reduce run (the seeds' map-reduce)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-mapreduce"

#include "config.h"

#include <string.h>

#include "dp-kv-table-private.h"
#include "dp-map-reduce-workers-private.h"
#include "dp-map-reduce-protocol-private.h"

/**
 * DpMapReduceJob:
 *
 * One map-reduce over a [class@Dp.MapReduceWorkers] group: the controller
 * of the seeds' `map-reduce`, which the calling process runs while the
 * workers map and reduce.
 *
 * - Every idle worker is given a task (a list of key–value pairs); it
 *   maps it, sorts the output by key and coalesces each key's values
 *   into one list (combining them if there is a combiner), and keeps the
 *   result. A worker with data takes the next task too; it merges what
 *   it holds — reducing each key once, with all its values — when its
 *   data is asked for (or when it holds many tables). So workers combine
 *   locally and ship only their final, compact data.
 * - Once no task is left, idle workers holding data are paired, and the
 *   pair is reduced into one worker: the receiver connects to the other
 *   over the node mesh (the data does not pass through the controller),
 *   they split the keys at the receiver's middle one and each merges and
 *   reduces one half, at the same time; the halves end up on the
 *   receiver, the other worker is free again. Pairs are reduced until
 *   one worker holds everything: its data, sorted by key, is the result,
 *   handed to the outputer if there is one.
 * - A worker that dies (its node killed, its place crashed) has every
 *   task whose output it held, or was mapping, run again on another
 *   worker — Racket 8.7's map-reduce waits for it forever. When one of a
 *   pair dies while they reduce, the survivor reports whether the data
 *   arrived; what did not runs again. A mapper, combiner, reducer or
 *   sorter that fails makes the job fail with its error: it would fail
 *   again.
 *
 * Progress — tasks done out of the total — is logged (at info level,
 * through [func@Dp.log_message]) and readable at any time, from any
 * thread: [method@Dp.MapReduceJob.get_tasks_done],
 * [method@Dp.MapReduceJob.dup_status], and the jobs of the process with
 * [func@Dp.map_reduce_list_jobs], for a control plane. Property
 * notifications are emitted in the thread that runs the job.
 */

struct _DpMapReduceJob
{
  GObject parent_instance;

  DpMapReduceWorkers *workers;
  GVariant *tasks;
  char *mapper;
  char *reducer;
  char *sorter;
  char *combiner;
  char *outputer;

  gint state;             /* DpMapReduceJobState, atomic */
  guint tasks_total;
  gint tasks_done;        /* atomic */
  gint tasks_rerun;       /* atomic */
  gint64 started;
  gint64 finished;
  GMutex lock;            /* for message */
  char *message;          /* the error, when failed */
  guint id;               /* for the control plane: the process's n-th job */
};

enum {
  PROP_0,
  PROP_WORKERS,
  PROP_TASKS,
  PROP_MAPPER,
  PROP_REDUCER,
  PROP_SORTER,
  PROP_COMBINER,
  PROP_OUTPUTER,
  PROP_STATE,
  PROP_TASKS_TOTAL,
  PROP_TASKS_DONE,
  PROP_TASKS_RERUN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (DpMapReduceJob, dp_map_reduce_job, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (DpMapReduceJobState, dp_map_reduce_job_state,
  G_DEFINE_ENUM_VALUE (DP_MAP_REDUCE_JOB_READY, "ready"),
  G_DEFINE_ENUM_VALUE (DP_MAP_REDUCE_JOB_RUNNING, "running"),
  G_DEFINE_ENUM_VALUE (DP_MAP_REDUCE_JOB_DONE, "done"),
  G_DEFINE_ENUM_VALUE (DP_MAP_REDUCE_JOB_FAILED, "failed"))

static const char * const job_state_names[] = { "ready", "running", "done", "failed" };

/* The control plane's view of this process's jobs (DpMonitor): `id`,
 * `name`, `state`, `done` and `total` (tasks), then the job's status. */
static GVariant *
list_job_statuses (gpointer data)
{
  g_autoptr(GPtrArray) list = dp_map_reduce_list_jobs ();
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < list->len; i++)
    {
      DpMapReduceJob *job = g_ptr_array_index (list, i);
      g_autoptr(GVariant) status = dp_map_reduce_job_dup_status (job);
      g_autofree char *id = g_strdup_printf ("mapreduce-%u", job->id);
      g_autofree char *name = g_strdup_printf ("%s / %s", job->mapper, job->reducer);
      GVariantDict dict;

      g_variant_dict_init (&dict, status);
      g_variant_dict_insert (&dict, "id", "s", id);
      g_variant_dict_insert (&dict, "name", "s", name);
      g_variant_dict_insert (&dict, "done", "t", (guint64) dp_map_reduce_job_get_tasks_done (job));
      g_variant_dict_insert (&dict, "total", "t", (guint64) job->tasks_total);
      g_variant_builder_add_value (&builder, g_variant_dict_end (&dict));
    }
  return g_variant_builder_end (&builder);
}

static void
dp_map_reduce_job_constructed (GObject *object)
{
  static gsize monitored;

  G_OBJECT_CLASS (dp_map_reduce_job_parent_class)->constructed (object);

  /* The control plane asks for our jobs when it wants them. */
  if (g_once_init_enter (&monitored))
    {
      dp_monitor_add_job_source (dp_monitor_get_default (), "mapreduce", list_job_statuses, NULL, NULL);
      g_once_init_leave (&monitored, 1);
    }
  DP_MAP_REDUCE_JOB (object)->id = dp_monitor_add_job (dp_monitor_get_default (), "mapreduce", object);
}

static void
dp_map_reduce_job_finalize (GObject *object)
{
  DpMapReduceJob *self = DP_MAP_REDUCE_JOB (object);

  g_clear_object (&self->workers);
  g_clear_pointer (&self->tasks, g_variant_unref);
  g_free (self->mapper);
  g_free (self->reducer);
  g_free (self->sorter);
  g_free (self->combiner);
  g_free (self->outputer);
  g_free (self->message);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (dp_map_reduce_job_parent_class)->finalize (object);
}

static void
dp_map_reduce_job_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  DpMapReduceJob *self = DP_MAP_REDUCE_JOB (object);

  switch (prop_id)
    {
    case PROP_WORKERS:
      g_value_set_object (value, self->workers);
      break;
    case PROP_TASKS:
      g_value_set_variant (value, self->tasks);
      break;
    case PROP_MAPPER:
      g_value_set_string (value, self->mapper);
      break;
    case PROP_REDUCER:
      g_value_set_string (value, self->reducer);
      break;
    case PROP_SORTER:
      g_value_set_string (value, self->sorter);
      break;
    case PROP_COMBINER:
      g_value_set_string (value, self->combiner);
      break;
    case PROP_OUTPUTER:
      g_value_set_string (value, self->outputer);
      break;
    case PROP_STATE:
      g_value_set_enum (value, dp_map_reduce_job_get_state (self));
      break;
    case PROP_TASKS_TOTAL:
      g_value_set_uint (value, self->tasks_total);
      break;
    case PROP_TASKS_DONE:
      g_value_set_uint (value, dp_map_reduce_job_get_tasks_done (self));
      break;
    case PROP_TASKS_RERUN:
      g_value_set_uint (value, dp_map_reduce_job_get_tasks_rerun (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_map_reduce_job_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  DpMapReduceJob *self = DP_MAP_REDUCE_JOB (object);

  switch (prop_id)
    {
    case PROP_WORKERS:
      self->workers = g_value_dup_object (value);
      break;
    case PROP_TASKS:
      self->tasks = g_value_dup_variant (value);
      self->tasks_total = self->tasks != NULL && g_variant_is_container (self->tasks)
                          ? g_variant_n_children (self->tasks) : 0;
      break;
    case PROP_MAPPER:
      self->mapper = g_value_dup_string (value);
      break;
    case PROP_REDUCER:
      self->reducer = g_value_dup_string (value);
      break;
    case PROP_SORTER:
      self->sorter = g_value_dup_string (value);
      break;
    case PROP_COMBINER:
      self->combiner = g_value_dup_string (value);
      break;
    case PROP_OUTPUTER:
      self->outputer = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_map_reduce_job_class_init (DpMapReduceJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = dp_map_reduce_job_constructed;
  object_class->finalize = dp_map_reduce_job_finalize;
  object_class->get_property = dp_map_reduce_job_get_property;
  object_class->set_property = dp_map_reduce_job_set_property;

  properties[PROP_WORKERS] =
    g_param_spec_object ("workers", "Workers", "The worker places the job runs on",
                         DP_TYPE_MAP_REDUCE_WORKERS, construct);
  properties[PROP_TASKS] =
    g_param_spec_variant ("tasks", "Tasks",
                          "The tasks: an array, each task a list of key–value pairs",
                          G_VARIANT_TYPE_ANY, NULL, construct);
  properties[PROP_MAPPER] =
    g_param_spec_string ("mapper", "Mapper", "The mapper's procedure address, MODULE:SYMBOL",
                         NULL, construct);
  properties[PROP_REDUCER] =
    g_param_spec_string ("reducer", "Reducer", "The reducer's procedure address, MODULE:SYMBOL",
                         NULL, construct);
  properties[PROP_SORTER] =
    g_param_spec_string ("sorter", "Sorter",
                         "The sorter's procedure address, or NULL for the default order",
                         NULL, construct);
  properties[PROP_COMBINER] =
    g_param_spec_string ("combiner", "Combiner",
                         "The combiner's procedure address, or NULL: the reducer combines",
                         NULL, construct);
  properties[PROP_OUTPUTER] =
    g_param_spec_string ("outputer", "Outputer", "The outputer's procedure address, or NULL",
                         NULL, construct);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", "State", "Where the job is", DP_TYPE_MAP_REDUCE_JOB_STATE,
                       DP_MAP_REDUCE_JOB_READY, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TASKS_TOTAL] =
    g_param_spec_uint ("tasks-total", "Tasks total", "How many tasks the job has",
                       0, G_MAXUINT, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TASKS_DONE] =
    g_param_spec_uint ("tasks-done", "Tasks done",
                       "How many tasks are mapped, their output held by a live worker",
                       0, G_MAXUINT, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TASKS_RERUN] =
    g_param_spec_uint ("tasks-rerun", "Tasks rerun",
                       "How many times a task was run again because its worker died",
                       0, G_MAXUINT, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_map_reduce_job_init (DpMapReduceJob *self)
{
  g_mutex_init (&self->lock);
}

/**
 * dp_map_reduce_options_init:
 * @options: (out caller-allocates): options to fill with the defaults
 *
 * No sorter (the default order), no combiner, no outputer.
 */
void
dp_map_reduce_options_init (DpMapReduceOptions *options)
{
  g_return_if_fail (options != NULL);
  memset (options, 0, sizeof *options);
}

/**
 * dp_map_reduce_job_new:
 * @workers: the workers to run on
 * @tasks: (transfer floating): the tasks: an array, each task a list of
 *   key–value pairs, such as `[[(0, 'w0.txt')], [(1, 'w1.txt')]]`
 * @mapper: the procedure address of a [callback@Dp.MapReduceMapper]
 * @reducer: the procedure address of a [callback@Dp.MapReduceReducer]
 * @options: (nullable): sorter, combiner, outputer; %NULL for none
 *
 * Returns: (transfer full): a job, ready to run
 */
DpMapReduceJob *
dp_map_reduce_job_new (DpMapReduceWorkers       *workers,
                       GVariant                 *tasks,
                       const char               *mapper,
                       const char               *reducer,
                       const DpMapReduceOptions *options)
{
  g_autoptr(GVariant) owned_tasks = NULL;

  g_return_val_if_fail (DP_IS_MAP_REDUCE_WORKERS (workers), NULL);
  g_return_val_if_fail (tasks != NULL, NULL);
  g_return_val_if_fail (mapper != NULL && reducer != NULL, NULL);

  owned_tasks = g_variant_ref_sink (tasks);
  return g_object_new (DP_TYPE_MAP_REDUCE_JOB,
                       "workers", workers,
                       "tasks", owned_tasks,
                       "mapper", mapper,
                       "reducer", reducer,
                       "sorter", options != NULL ? options->sorter : NULL,
                       "combiner", options != NULL ? options->combiner : NULL,
                       "outputer", options != NULL ? options->outputer : NULL,
                       NULL);
}

/* ── running ──────────────────────────────────────────────────────── */

typedef enum {
  SLOT_IDLE,
  SLOT_SYNCING,     /* reset sent, waiting for ready */
  SLOT_MAPPING,
  SLOT_FETCHING,    /* taking its peer's data */
  SLOT_SOURCE,      /* its data being taken by its peer */
  SLOT_RESULTS,     /* asked for the result */
  SLOT_DEAD,
} SlotState;

typedef struct {
  guint index;
  SlotState state;
  guint task;        /* SLOT_MAPPING */
  guint32 transfer;  /* SLOT_FETCHING, SLOT_SOURCE */
  guint peer;        /* SLOT_FETCHING: the source; SLOT_SOURCE: the receiver */
  GArray *held;      /* guint: the tasks whose output it holds */
  gboolean pending;  /* dead while being taken from: the receiver settles its tasks */
} Slot;

typedef struct {
  DpMapReduceJob *job;
  DpMapReduceWorkers *workers;
  GPtrArray *slots;  /* Slot* */
  GQueue queue;      /* tasks to map, as GUINT_TO_POINTER (task + 1) */
  guint32 serial;
  guint32 next_transfer;
  GVariant *result;
  GError *error;
} Run;

static const char * const slot_state_names[] = {
  "idle", "syncing", "mapping", "fetching", "source", "results", "dead",
};

static void
slot_free (Slot *slot)
{
  g_array_unref (slot->held);
  g_free (slot);
}

static Slot *
slot_at (Run   *run,
         guint  index)
{
  return g_ptr_array_index (run->slots, index);
}

static char *
describe_worker (Run  *run,
                 Slot *slot)
{
  return g_strdup_printf ("worker %s on %s:%u",
                          dp_map_reduce_workers_get_name (run->workers, slot->index),
                          dp_map_reduce_workers_get_host (run->workers, slot->index),
                          dp_map_reduce_workers_get_port (run->workers, slot->index));
}

static void
update_progress (Run      *run,
                 gboolean  log)
{
  DpMapReduceJob *job = run->job;
  guint done = 0;

  for (guint i = 0; i < run->slots->len; i++)
    {
      Slot *slot = slot_at (run, i);

      if (slot->state != SLOT_DEAD || slot->pending)
        done += slot->held->len;
    }

  if ((guint) g_atomic_int_get (&job->tasks_done) != done)
    {
      g_atomic_int_set (&job->tasks_done, done);
      g_object_notify_by_pspec (G_OBJECT (job), properties[PROP_TASKS_DONE]);
      if (log)
        {
          g_autofree char *line = g_strdup_printf ("map-reduce %s: %u/%u tasks done", job->mapper,
                                                   done, job->tasks_total);
          dp_log_message (DP_LOG_INFO, line);
        }
    }
}

static void worker_died (Run *run, Slot *slot, const char *reason);

static gboolean
send (Run      *run,
      Slot     *slot,
      GVariant *message)
{
  g_autoptr(GError) error = NULL;
  DpChannel *channel = dp_map_reduce_workers_get_channel (run->workers, slot->index);

  if (!dp_channel_put (channel, message, &error))
    {
      worker_died (run, slot, error->message);
      return FALSE;
    }
  return TRUE;
}

/* Puts every task @slot holds back in the queue, first in line. */
static void
requeue_held (Run  *run,
              Slot *slot)
{
  for (guint i = slot->held->len; i > 0; i--)
    {
      g_queue_push_head (&run->queue, GUINT_TO_POINTER (g_array_index (slot->held, guint, i - 1) + 1));
      g_atomic_int_inc (&run->job->tasks_rerun);
    }
  if (slot->held->len > 0)
    g_object_notify_by_pspec (G_OBJECT (run->job), properties[PROP_TASKS_RERUN]);
  g_array_set_size (slot->held, 0);
}

static void
reset_worker (Run  *run,
              Slot *slot)
{
  g_array_set_size (slot->held, 0);
  slot->state = SLOT_SYNCING;
  send (run, slot, g_variant_new (DP_MR_SIMPLE_TYPE, DP_MR_RESET, run->serial));
}

static char *
format_tasks (GArray *tasks)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < tasks->len; i++)
    g_string_append_printf (text, "%s%u", i > 0 ? ", " : "", g_array_index (tasks, guint, i));
  return g_string_free (text, FALSE);
}

/* A worker's channel failed: whatever it held or was doing runs again,
 * except while its data was being taken — the taker settles that. */
static void
worker_died (Run        *run,
             Slot       *slot,
             const char *reason)
{
  g_autofree char *who = describe_worker (run, slot);
  g_autoptr(GArray) lost = g_array_copy (slot->held);
  g_autofree char *lost_text = NULL;
  g_autofree char *line = NULL;
  SlotState was = slot->state;

  if (was == SLOT_DEAD)
    return;

  slot->state = SLOT_DEAD;
  dp_map_reduce_workers_mark_dead (run->workers, slot->index);
  if (was == SLOT_MAPPING)
    g_array_append_val (lost, slot->task);
  lost_text = format_tasks (lost);

  if (was == SLOT_SOURCE)
    line = g_strdup_printf ("map-reduce: %s died (%s) while worker %s took its data (tasks %s)",
                            who, reason, dp_map_reduce_workers_get_name (run->workers, slot->peer),
                            lost_text);
  else if (lost->len > 0)
    line = g_strdup_printf ("map-reduce: %s died (%s); its tasks run again: %s", who, reason, lost_text);
  else
    line = g_strdup_printf ("map-reduce: %s died (%s)", who, reason);
  dp_log_message (DP_LOG_WARNING, line);

  switch (was)
    {
    case SLOT_MAPPING:
      g_queue_push_head (&run->queue, GUINT_TO_POINTER (slot->task + 1));
      g_atomic_int_inc (&run->job->tasks_rerun);
      requeue_held (run, slot);
      break;
    case SLOT_SOURCE:
      slot->pending = TRUE;
      break;
    case SLOT_FETCHING:
      {
        Slot *source = slot_at (run, slot->peer);

        requeue_held (run, slot);
        if (source->state == SLOT_DEAD && source->pending)
          {
            requeue_held (run, source);
            source->pending = FALSE;
          }
        else if (source->state == SLOT_SOURCE)
          {
            /* It may have handed its data to the dead one, or not. */
            requeue_held (run, source);
            reset_worker (run, source);
          }
      }
      break;
    default:
      requeue_held (run, slot);
      break;
    }
  update_progress (run, FALSE);
}

static void
send_map (Run  *run,
          Slot *slot,
          guint task)
{
  DpMapReduceJob *job = run->job;
  g_autoptr(GVariant) value = g_variant_get_child_value (job->tasks, task);

  slot->state = SLOT_MAPPING;
  slot->task = task;
  send (run, slot, g_variant_new (DP_MR_MAP_TYPE, DP_MR_MAP, run->serial, (guint32) task,
                                  value, job->mapper,
                                  job->combiner != NULL ? job->combiner : "", job->reducer,
                                  job->sorter != NULL ? job->sorter : ""));
}

static void
send_fetch (Run  *run,
            Slot *receiver,
            Slot *source)
{
  DpMapReduceJob *job = run->job;
  guint32 transfer = ++run->next_transfer;

  receiver->state = SLOT_FETCHING;
  receiver->peer = source->index;
  receiver->transfer = transfer;
  source->state = SLOT_SOURCE;
  source->peer = receiver->index;
  source->transfer = transfer;
  send (run, receiver, g_variant_new (DP_MR_FETCH_TYPE, DP_MR_FETCH, run->serial, transfer,
                                      dp_map_reduce_workers_get_host (run->workers, source->index),
                                      (guint16) dp_map_reduce_workers_get_port (run->workers, source->index),
                                      dp_map_reduce_workers_get_name (run->workers, source->index),
                                      job->reducer, job->sorter != NULL ? job->sorter : ""));
}

static gint
compare_held (gconstpointer a,
              gconstpointer b)
{
  const Slot *x = *(Slot * const *) a, *y = *(Slot * const *) b;

  return (gint) y->held->len - (gint) x->held->len;
}

/* Gives work to whoever can take it. Tasks first; then, with none left,
 * idle workers holding data are paired; then, with one left holding
 * everything, it is asked for the result. */
static void
schedule (Run *run)
{
  g_autoptr(GPtrArray) holders = g_ptr_array_new ();
  gboolean busy = FALSE;

  for (guint i = 0; i < run->slots->len && !g_queue_is_empty (&run->queue); i++)
    {
      Slot *slot = slot_at (run, i);

      if (slot->state == SLOT_IDLE)
        send_map (run, slot, GPOINTER_TO_UINT (g_queue_pop_head (&run->queue)) - 1);
    }
  if (!g_queue_is_empty (&run->queue))
    return;

  for (guint i = 0; i < run->slots->len; i++)
    {
      Slot *slot = slot_at (run, i);

      if (slot->state == SLOT_IDLE && slot->held->len > 0)
        g_ptr_array_add (holders, slot);
      else if (slot->state != SLOT_IDLE && (slot->state != SLOT_DEAD || slot->pending))
        busy = TRUE;
    }

  /* The one holding more takes the other's data: less crosses. */
  g_ptr_array_sort (holders, compare_held);
  for (guint i = 0; i + 1 < holders->len; i += 2)
    send_fetch (run, g_ptr_array_index (holders, i), g_ptr_array_index (holders, i + 1));

  if (!busy && holders->len == 1)
    {
      Slot *last = g_ptr_array_index (holders, 0);

      last->state = SLOT_RESULTS;
      send (run, last, g_variant_new (DP_MR_RESULTS_TYPE, DP_MR_RESULTS, run->serial, run->job->reducer,
                                      run->job->sorter != NULL ? run->job->sorter : ""));
    }
}

static void
fail_run (Run        *run,
          Slot       *slot,
          const char *why)
{
  g_autofree char *who = describe_worker (run, slot);

  if (run->error == NULL)
    g_set_error (&run->error, DP_ERROR, DP_ERROR_FAILED, "%s: %s", who, why);
}

static void
handle_reply (Run      *run,
              Slot     *slot,
              GVariant *message)
{
  const char *tag = dp_message_get_tag (message);
  guint32 serial = 0, id = 0, keys;
  const char *why;

  if (g_variant_is_container (message) && g_variant_get_type_string (message)[0] == 'a')
    {
      if (slot->state == SLOT_RESULTS)
        {
          /* It arrived checked for normal form: trust it, or GLib 2.74
           * reads each element of the result in time linear in its index. */
          if (g_variant_is_normal_form (message))
            {
              g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes (message);

              run->result = g_variant_ref_sink (g_variant_new_from_bytes (g_variant_get_type (message),
                                                                          bytes, TRUE));
            }
          else
            run->result = g_variant_get_normal_form (message);
          slot->state = SLOT_IDLE;
          g_array_set_size (slot->held, 0);
        }
      return;
    }
  if (slot->state == SLOT_RESULTS && g_strcmp0 (tag, DP_MR_CHUNKS) == 0)
    {
      /* A big result, in chunks: the rest follows on this channel. */
      g_autoptr(GError) error = NULL;
      g_autoptr(DpKvTable) table = NULL;
      g_autofree char *who = describe_worker (run, slot);

      table = dp_kv_table_receive (dp_map_reduce_workers_get_channel (run->workers, slot->index), message,
                                   who, &error);
      if (table == NULL && (g_error_matches (error, DP_ERROR, DP_ERROR_PEER_DIED) ||
                            g_error_matches (error, DP_ERROR, DP_ERROR_CLOSED)))
        worker_died (run, slot, error->message);
      else if (table == NULL)
        fail_run (run, slot, error->message);
      else
        {
          run->result = g_variant_ref_sink (dp_kv_table_to_variant (table));
          slot->state = SLOT_IDLE;
          g_array_set_size (slot->held, 0);
        }
      return;
    }
  if (tag == NULL || g_variant_n_children (message) < 2)
    return;
  {
    g_autoptr(GVariant) child = g_variant_get_child_value (message, 1);

    if (!g_variant_is_of_type (child, G_VARIANT_TYPE_UINT32) ||
        g_variant_get_uint32 (child) != run->serial)
      return;     /* another job's */
  }

  if (g_str_equal (tag, DP_MR_READY))
    {
      if (slot->state == SLOT_SYNCING)
        slot->state = SLOT_IDLE;
    }
  else if (g_str_equal (tag, DP_MR_MAPPED) && g_variant_is_of_type (message, G_VARIANT_TYPE (DP_MR_DONE_TYPE)))
    {
      g_variant_get (message, "(&suuu)", NULL, &serial, &id, &keys);
      if (slot->state == SLOT_MAPPING && id == slot->task)
        {
          g_array_append_val (slot->held, id);
          slot->state = SLOT_IDLE;
          g_debug ("task %u mapped by worker %u: it holds %u keys", id, slot->index, keys);
          update_progress (run, TRUE);
        }
    }
  else if (g_str_equal (tag, DP_MR_MERGED) && g_variant_is_of_type (message, G_VARIANT_TYPE (DP_MR_DONE_TYPE)))
    {
      g_variant_get (message, "(&suuu)", NULL, &serial, &id, &keys);
      if (slot->state == SLOT_FETCHING && id == slot->transfer)
        {
          Slot *source = slot_at (run, slot->peer);

          g_array_append_vals (slot->held, source->held->data, source->held->len);
          g_array_set_size (source->held, 0);
          if (source->state == SLOT_SOURCE)
            source->state = SLOT_IDLE;
          source->pending = FALSE;
          slot->state = SLOT_IDLE;
          g_debug ("worker %u took worker %u's data: it holds %u tasks, %u keys", slot->index,
                   source->index, slot->held->len, keys);
          update_progress (run, FALSE);
        }
    }
  else if (g_str_equal (tag, DP_MR_FETCH_FAILED) &&
           g_variant_is_of_type (message, G_VARIANT_TYPE (DP_MR_FAILED_TYPE)))
    {
      g_variant_get (message, "(&suu&s)", NULL, &serial, &id, &why);
      if (slot->state == SLOT_FETCHING && id == slot->transfer)
        {
          Slot *source = slot_at (run, slot->peer);
          g_autofree char *line = g_strdup_printf ("map-reduce: %s", why);

          dp_log_message (DP_LOG_WARNING, line);
          slot->state = SLOT_IDLE;
          if (source->state == SLOT_SOURCE)
            {
              requeue_held (run, source);
              reset_worker (run, source);
            }
          else if (source->state == SLOT_DEAD && source->pending)
            {
              requeue_held (run, source);
              source->pending = FALSE;
            }
          update_progress (run, FALSE);
        }
    }
  else if (g_str_equal (tag, DP_MR_FAILED) && g_variant_is_of_type (message, G_VARIANT_TYPE (DP_MR_FAILED_TYPE)))
    {
      g_variant_get (message, "(&suu&s)", NULL, &serial, &id, &why);
      fail_run (run, slot, why);
    }
  else
    g_debug ("unexpected reply “%s” from worker %u (%s)", tag, slot->index,
             slot_state_names[slot->state]);
}

/* Maps, reduces and gathers: the result, or NULL with @error set. */
static GVariant *
run_tasks (DpMapReduceJob  *job,
           GCancellable    *cancellable,
           GError         **error)
{
  static gint serials;
  Run run = { job, job->workers, g_ptr_array_new_with_free_func ((GDestroyNotify) slot_free),
              G_QUEUE_INIT, (guint32) g_atomic_int_add (&serials, 1) + 1, 0, NULL, NULL };
  g_autoptr(GPtrArray) channels = g_ptr_array_new ();
  g_autoptr(GArray) indices = g_array_new (FALSE, FALSE, sizeof (guint));
  guint n_workers = dp_map_reduce_workers_get_n_workers (job->workers);
  gint64 timeout = cancellable != NULL ? G_USEC_PER_SEC / 4 : -1;
  GVariant *result = NULL;

  if (job->tasks_total == 0)
    {
      g_ptr_array_unref (run.slots);
      return g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE ("(vav)"), NULL, 0));
    }

  for (guint i = 0; i < job->tasks_total; i++)
    g_queue_push_tail (&run.queue, GUINT_TO_POINTER (i + 1));

  /* Every worker starts empty: whatever an earlier job left is dropped,
   * and its late replies with it. */
  for (guint i = 0; i < n_workers; i++)
    {
      Slot *slot = g_new0 (Slot, 1);

      slot->index = i;
      slot->held = g_array_new (FALSE, FALSE, sizeof (guint));
      slot->state = SLOT_DEAD;
      g_ptr_array_add (run.slots, slot);
      if (dp_map_reduce_workers_is_alive (job->workers, i))
        reset_worker (&run, slot);
    }

  while (run.result == NULL && run.error == NULL)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GVariant) message = NULL;
      guint index = 0;

      if (g_cancellable_set_error_if_cancelled (cancellable, &run.error))
        break;
      schedule (&run);
      if (run.result != NULL || run.error != NULL)
        break;

      g_ptr_array_set_size (channels, 0);
      g_array_set_size (indices, 0);
      for (guint i = 0; i < run.slots->len; i++)
        if (slot_at (&run, i)->state != SLOT_DEAD)
          {
            g_ptr_array_add (channels, dp_map_reduce_workers_get_channel (job->workers, i));
            g_array_append_val (indices, i);
          }
      if (channels->len == 0)
        {
          g_set_error (&run.error, DP_ERROR, DP_ERROR_PEER_DIED,
                       "Every map-reduce worker died; %u of %u tasks were left to do",
                       g_queue_get_length (&run.queue), job->tasks_total);
          break;
        }

      message = dp_channel_sync ((DpChannel **) channels->pdata, channels->len, timeout, &index,
                                 &local_error);
      if (message != NULL)
        handle_reply (&run, slot_at (&run, g_array_index (indices, guint, index)), message);
      else if (local_error != NULL)
        worker_died (&run, slot_at (&run, g_array_index (indices, guint, index)), local_error->message);
      else if (g_cancellable_set_error_if_cancelled (cancellable, &run.error))
        break;
    }

  if (run.result != NULL)
    result = run.result;
  else
    g_propagate_error (error, run.error);
  g_queue_clear (&run.queue);
  g_ptr_array_unref (run.slots);
  return result;
}

static void
set_state (DpMapReduceJob      *self,
           DpMapReduceJobState  state)
{
  g_atomic_int_set (&self->state, state);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/**
 * dp_map_reduce_job_run:
 * @self: a job that has not run
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Runs the job, blocking until it is done (the seeds' `map-reduce`).
 *
 * Returns: (transfer full): the result — a list of `(key, values)` pairs
 *   sorted by key, type `a(KaV)`, or with an outputer what it returned —
 *   or %NULL with @error set. With no task, or no mapper output at all,
 *   the list is an empty `a(vav)`.
 */
GVariant *
dp_map_reduce_job_run (DpMapReduceJob  *self,
                       GCancellable    *cancellable,
                       GError         **error)
{
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GVariant) output = NULL;
  DpMapReduceOutputer outputer = NULL;
  GError *local_error = NULL;
  const char *addresses[] = { self->mapper, self->reducer, self->sorter, self->combiner };
  g_autofree char *line = NULL;

  g_return_val_if_fail (DP_IS_MAP_REDUCE_JOB (self), NULL);

  if (!g_atomic_int_compare_and_exchange (&self->state, DP_MAP_REDUCE_JOB_READY, DP_MAP_REDUCE_JOB_RUNNING))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_REFUSED, "A map-reduce job runs only once");
      return NULL;
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  self->started = g_get_monotonic_time ();

  if (self->tasks == NULL || !g_variant_is_container (self->tasks) ||
      g_variant_get_type_string (self->tasks)[0] != 'a')
    g_set_error (&local_error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                 "The tasks must be an array of tasks, each a list of key–value pairs; got a value of type “%s”",
                 self->tasks != NULL ? g_variant_get_type_string (self->tasks) : "none");
  for (guint i = 0; i < G_N_ELEMENTS (addresses) && local_error == NULL; i++)
    if (addresses[i] != NULL)
      dp_procedure_address_parse (addresses[i], NULL, NULL, &local_error);
  if (local_error == NULL && self->outputer != NULL)
    {
      outputer = dp_procedure_address_resolve (self->outputer, &local_error);
      if (outputer == NULL)
        g_prefix_error (&local_error, "outputer %s: ", self->outputer);
    }

  if (local_error == NULL && dp_map_reduce_workers_claim (self->workers, &local_error))
    {
      line = g_strdup_printf ("map-reduce %s: %u tasks on %u workers", self->mapper, self->tasks_total,
                              dp_map_reduce_workers_get_n_alive (self->workers));
      dp_log_message (DP_LOG_INFO, line);
      result = run_tasks (self, cancellable, &local_error);
      dp_map_reduce_workers_release (self->workers);
    }

  if (result != NULL && outputer != NULL)
    {
      output = outputer (result, &local_error);
      if (output != NULL)
        g_variant_take_ref (output);
      else if (local_error != NULL)
        g_prefix_error (&local_error, "outputer %s failed: ", self->outputer);
    }

  self->finished = g_get_monotonic_time ();
  if (local_error != NULL)
    {
      g_mutex_lock (&self->lock);
      self->message = g_strdup (local_error->message);
      g_mutex_unlock (&self->lock);
      set_state (self, DP_MAP_REDUCE_JOB_FAILED);
      g_propagate_error (error, local_error);
      return NULL;
    }

  g_free (line);
  line = g_strdup_printf ("map-reduce %s: %u tasks done in %.3f s (%u run again)", self->mapper,
                          self->tasks_total, (self->finished - self->started) / (double) G_USEC_PER_SEC,
                          dp_map_reduce_job_get_tasks_rerun (self));
  dp_log_message (DP_LOG_INFO, line);
  set_state (self, DP_MAP_REDUCE_JOB_DONE);
  return output != NULL ? g_steal_pointer (&output) : g_steal_pointer (&result);
}

static void
run_thread (GTask        *task,
            gpointer      source,
            gpointer      data,
            GCancellable *cancellable)
{
  GError *error = NULL;
  GVariant *result = dp_map_reduce_job_run (source, cancellable, &error);

  if (result != NULL)
    g_task_return_pointer (task, result, (GDestroyNotify) g_variant_unref);
  else
    g_task_return_error (task, error);
}

/**
 * dp_map_reduce_job_run_async:
 * @self: a job that has not run
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the thread-default main context of the caller
 *   when the job is done
 * @user_data: data for @callback
 *
 * Runs the job in a thread of its own.
 */
void
dp_map_reduce_job_run_async (DpMapReduceJob      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DP_IS_MAP_REDUCE_JOB (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dp_map_reduce_job_run_async);
  g_task_run_in_thread (task, run_thread);
}

/**
 * dp_map_reduce_job_run_finish:
 * @self: the job
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: (transfer full): what [method@Dp.MapReduceJob.run] returns
 */
GVariant *
dp_map_reduce_job_run_finish (DpMapReduceJob  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * dp_map_reduce:
 * @workers: the workers (from [func@Dp.make_map_reduce_workers])
 * @tasks: (transfer floating): the tasks: an array, each task a list of
 *   key–value pairs
 * @mapper: the mapper's procedure address, `MODULE:SYMBOL`
 * @reducer: the reducer's procedure address
 * @options: (nullable): sorter, combiner, outputer; %NULL for none
 * @error: return location for a #GError
 *
 * The seeds' `map-reduce`: runs a [class@Dp.MapReduceJob] and waits for
 * it. (The seeds' config argument is the workers' own.)
 *
 * Returns: (transfer full): the result — see [method@Dp.MapReduceJob.run] —
 *   or %NULL with @error set
 */
GVariant *
dp_map_reduce (DpMapReduceWorkers        *workers,
               GVariant                  *tasks,
               const char                *mapper,
               const char                *reducer,
               const DpMapReduceOptions  *options,
               GError                   **error)
{
  g_autoptr(DpMapReduceJob) job = NULL;

  g_return_val_if_fail (DP_IS_MAP_REDUCE_WORKERS (workers), NULL);
  g_return_val_if_fail (tasks != NULL && mapper != NULL && reducer != NULL, NULL);

  job = dp_map_reduce_job_new (workers, tasks, mapper, reducer, options);
  return dp_map_reduce_job_run (job, NULL, error);
}

/**
 * dp_map_reduce_job_get_state:
 * @self: a job
 *
 * Returns: where it is
 */
DpMapReduceJobState
dp_map_reduce_job_get_state (DpMapReduceJob *self)
{
  g_return_val_if_fail (DP_IS_MAP_REDUCE_JOB (self), DP_MAP_REDUCE_JOB_READY);
  return g_atomic_int_get (&self->state);
}

/**
 * dp_map_reduce_job_get_tasks_total:
 * @self: a job
 *
 * Returns: how many tasks it has
 */
guint
dp_map_reduce_job_get_tasks_total (DpMapReduceJob *self)
{
  g_return_val_if_fail (DP_IS_MAP_REDUCE_JOB (self), 0);
  return self->tasks_total;
}

/**
 * dp_map_reduce_job_get_tasks_done:
 * @self: a job
 *
 * How many tasks are mapped, with their output held by a live worker —
 * a number that falls when a worker holding output dies. Safe to call
 * from any thread while the job runs.
 *
 * Returns: the tasks done
 */
guint
dp_map_reduce_job_get_tasks_done (DpMapReduceJob *self)
{
  g_return_val_if_fail (DP_IS_MAP_REDUCE_JOB (self), 0);
  return (guint) g_atomic_int_get (&self->tasks_done);
}

/**
 * dp_map_reduce_job_get_tasks_rerun:
 * @self: a job
 *
 * Returns: how many times a task was put back to run again, its worker
 *   having died
 */
guint
dp_map_reduce_job_get_tasks_rerun (DpMapReduceJob *self)
{
  g_return_val_if_fail (DP_IS_MAP_REDUCE_JOB (self), 0);
  return (guint) g_atomic_int_get (&self->tasks_rerun);
}

/**
 * dp_map_reduce_job_dup_status:
 * @self: a job
 *
 * The job's status, for a control plane (JSON through
 * `json_gvariant_serialize()`): `state` (s), `mapper`, `reducer` (s),
 * `tasks-total`, `tasks-done`, `tasks-rerun` (u), `workers`,
 * `workers-alive` (u), `seconds` (d, running or run), and `error` (s)
 * when it failed. Safe to call from any thread.
 *
 * Returns: (transfer full): an `a{sv}`
 */
GVariant *
dp_map_reduce_job_dup_status (DpMapReduceJob *self)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  DpMapReduceJobState state;
  gint64 end;

  g_return_val_if_fail (DP_IS_MAP_REDUCE_JOB (self), NULL);

  state = dp_map_reduce_job_get_state (self);
  end = state == DP_MAP_REDUCE_JOB_RUNNING ? g_get_monotonic_time () : self->finished;
  g_variant_builder_add (&builder, "{sv}", "state", g_variant_new_string (job_state_names[state]));
  g_variant_builder_add (&builder, "{sv}", "mapper", g_variant_new_string (self->mapper));
  g_variant_builder_add (&builder, "{sv}", "reducer", g_variant_new_string (self->reducer));
  g_variant_builder_add (&builder, "{sv}", "tasks-total", g_variant_new_uint32 (self->tasks_total));
  g_variant_builder_add (&builder, "{sv}", "tasks-done",
                         g_variant_new_uint32 (dp_map_reduce_job_get_tasks_done (self)));
  g_variant_builder_add (&builder, "{sv}", "tasks-rerun",
                         g_variant_new_uint32 (dp_map_reduce_job_get_tasks_rerun (self)));
  g_variant_builder_add (&builder, "{sv}", "workers",
                         g_variant_new_uint32 (dp_map_reduce_workers_get_n_workers (self->workers)));
  g_variant_builder_add (&builder, "{sv}", "workers-alive",
                         g_variant_new_uint32 (dp_map_reduce_workers_get_n_alive (self->workers)));
  g_variant_builder_add (&builder, "{sv}", "seconds",
                         g_variant_new_double (self->started == 0 ? 0.0
                                               : (end - self->started) / (double) G_USEC_PER_SEC));
  g_mutex_lock (&self->lock);
  if (self->message != NULL)
    g_variant_builder_add (&builder, "{sv}", "error", g_variant_new_string (self->message));
  g_mutex_unlock (&self->lock);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/**
 * dp_map_reduce_list_jobs:
 *
 * The map-reduce jobs of this process that still exist — running, or
 * done and still referenced — for a control plane to show. Safe to call
 * from any thread.
 *
 * Returns: (transfer full) (element-type DpMapReduceJob): the jobs
 */
GPtrArray *
dp_map_reduce_list_jobs (void)
{
  return dp_monitor_list_jobs (dp_monitor_get_default (), "mapreduce");
}
