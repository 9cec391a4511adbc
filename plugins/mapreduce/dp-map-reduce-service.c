/* dp-map-reduce-service.c: the [mapreduce] group of a keyfile
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-mapreduce"

#include "config.h"

#include "dp-map-reduce-service.h"

/* DpMapReduceService: what `dplaces run` does with a [mapreduce] group.
 * Once the system's nodes and places run, it starts the workers (on
 * nodes it spawns from workers=, or on the keyfile's nodes=), runs one
 * map-reduce over the tasks (tasks=, or a task per file of input-files=)
 * in a thread of its own, prints the result if asked, and lets the system
 * end: it holds the system until the job is done, and ends it with status
 * 1 if the job fails. The running job is the `job` property, its
 * progress `tasks-done` of `tasks-total`. */

struct _DpMapReduceService
{
  GObject parent_instance;

  /* keys */
  GStrv workers;
  GStrv nodes;
  char *backend;
  char *module;
  char *mapper;
  char *reducer;
  char *sorter;
  char *combiner;
  char *outputer;
  char *tasks;
  GStrv input_files;
  gboolean print_result;

  /* running */
  GMutex lock;
  DpMapReduceJob *job;
  GCancellable *cancellable;
};

enum {
  PROP_0,
  PROP_WORKERS,
  PROP_NODES,
  PROP_BACKEND,
  PROP_MODULE,
  PROP_MAPPER,
  PROP_REDUCER,
  PROP_SORTER,
  PROP_COMBINER,
  PROP_OUTPUTER,
  PROP_TASKS,
  PROP_INPUT_FILES,
  PROP_PRINT_RESULT,
  PROP_JOB,
  PROP_TASKS_TOTAL,
  PROP_TASKS_DONE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void dp_map_reduce_service_service_init (DpServiceInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (DpMapReduceService, dp_map_reduce_service, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (DP_TYPE_SERVICE,
                                                               dp_map_reduce_service_service_init))

/* What the job's thread needs, taken from the keys at start. */
typedef struct {
  GStrv config;
  GPtrArray *nodes;       /* DpRemoteNode* */
  char *backend;
  GVariant *tasks;
  char *mapper;
  char *reducer;
  char *sorter;
  char *combiner;
  char *outputer;
} Spec;

static void
spec_free (Spec *spec)
{
  g_strfreev (spec->config);
  g_clear_pointer (&spec->nodes, g_ptr_array_unref);
  g_free (spec->backend);
  g_clear_pointer (&spec->tasks, g_variant_unref);
  g_free (spec->mapper);
  g_free (spec->reducer);
  g_free (spec->sorter);
  g_free (spec->combiner);
  g_free (spec->outputer);
  g_free (spec);
}

static DpMapReduceJob *
dup_job (DpMapReduceService *self)
{
  DpMapReduceJob *job;

  g_mutex_lock (&self->lock);
  job = self->job != NULL ? g_object_ref (self->job) : NULL;
  g_mutex_unlock (&self->lock);
  return job;
}

static void
dp_map_reduce_service_finalize (GObject *object)
{
  DpMapReduceService *self = DP_MAP_REDUCE_SERVICE (object);

  g_strfreev (self->workers);
  g_strfreev (self->nodes);
  g_free (self->backend);
  g_free (self->module);
  g_free (self->mapper);
  g_free (self->reducer);
  g_free (self->sorter);
  g_free (self->combiner);
  g_free (self->outputer);
  g_free (self->tasks);
  g_strfreev (self->input_files);
  g_clear_object (&self->job);
  g_clear_object (&self->cancellable);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (dp_map_reduce_service_parent_class)->finalize (object);
}

static void
dp_map_reduce_service_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  DpMapReduceService *self = DP_MAP_REDUCE_SERVICE (object);
  g_autoptr(DpMapReduceJob) job = NULL;

  switch (prop_id)
    {
    case PROP_WORKERS:
      g_value_set_boxed (value, self->workers);
      break;
    case PROP_NODES:
      g_value_set_boxed (value, self->nodes);
      break;
    case PROP_BACKEND:
      g_value_set_string (value, self->backend);
      break;
    case PROP_MODULE:
      g_value_set_string (value, self->module);
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
    case PROP_TASKS:
      g_value_set_string (value, self->tasks);
      break;
    case PROP_INPUT_FILES:
      g_value_set_boxed (value, self->input_files);
      break;
    case PROP_PRINT_RESULT:
      g_value_set_boolean (value, self->print_result);
      break;
    case PROP_JOB:
      g_value_take_object (value, dup_job (self));
      break;
    case PROP_TASKS_TOTAL:
      job = dup_job (self);
      g_value_set_uint (value, job != NULL ? dp_map_reduce_job_get_tasks_total (job) : 0);
      break;
    case PROP_TASKS_DONE:
      job = dup_job (self);
      g_value_set_uint (value, job != NULL ? dp_map_reduce_job_get_tasks_done (job) : 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_map_reduce_service_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  DpMapReduceService *self = DP_MAP_REDUCE_SERVICE (object);

  switch (prop_id)
    {
    case PROP_WORKERS:
      g_strfreev (self->workers);
      self->workers = g_value_dup_boxed (value);
      break;
    case PROP_NODES:
      g_strfreev (self->nodes);
      self->nodes = g_value_dup_boxed (value);
      break;
    case PROP_BACKEND:
      g_free (self->backend);
      self->backend = g_value_dup_string (value);
      break;
    case PROP_MODULE:
      g_free (self->module);
      self->module = g_value_dup_string (value);
      break;
    case PROP_MAPPER:
      g_free (self->mapper);
      self->mapper = g_value_dup_string (value);
      break;
    case PROP_REDUCER:
      g_free (self->reducer);
      self->reducer = g_value_dup_string (value);
      break;
    case PROP_SORTER:
      g_free (self->sorter);
      self->sorter = g_value_dup_string (value);
      break;
    case PROP_COMBINER:
      g_free (self->combiner);
      self->combiner = g_value_dup_string (value);
      break;
    case PROP_OUTPUTER:
      g_free (self->outputer);
      self->outputer = g_value_dup_string (value);
      break;
    case PROP_TASKS:
      g_free (self->tasks);
      self->tasks = g_value_dup_string (value);
      break;
    case PROP_INPUT_FILES:
      g_strfreev (self->input_files);
      self->input_files = g_value_dup_boxed (value);
      break;
    case PROP_PRINT_RESULT:
      self->print_result = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_map_reduce_service_class_init (DpMapReduceServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = dp_map_reduce_service_finalize;
  object_class->get_property = dp_map_reduce_service_get_property;
  object_class->set_property = dp_map_reduce_service_set_property;

  properties[PROP_WORKERS] =
    g_param_spec_boxed ("workers", "Workers",
                        "Where to start worker nodes, one worker each: HOST:PORT;HOST:PORT;… "
                        "(the seeds' config list; port 0 lets a node pick one)",
                        G_TYPE_STRV, rw);
  properties[PROP_NODES] =
    g_param_spec_boxed ("nodes", "Nodes",
                        "Instead of workers=: [node NAME] groups of this keyfile to run a worker on, "
                        "one each: NAME;NAME;…",
                        G_TYPE_STRV, rw);
  properties[PROP_BACKEND] =
    g_param_spec_string ("backend", "Backend",
                         "The workers' place backend on their nodes: threads (the default) or processes",
                         NULL, rw);
  properties[PROP_MODULE] =
    g_param_spec_string ("module", "Module",
                         "The module of the procedures given as SYMBOL alone (a module in the plugin "
                         "directories, or a path)",
                         NULL, rw);
  properties[PROP_MAPPER] =
    g_param_spec_string ("mapper", "Mapper",
                         "The mapper (required): SYMBOL in module=, or MODULE:SYMBOL; it maps a task to "
                         "key–value pairs",
                         NULL, rw);
  properties[PROP_REDUCER] =
    g_param_spec_string ("reducer", "Reducer",
                         "The reducer (required): SYMBOL or MODULE:SYMBOL; it reduces a key's values",
                         NULL, rw);
  properties[PROP_SORTER] =
    g_param_spec_string ("sorter", "Sorter",
                         "The order of keys: SYMBOL or MODULE:SYMBOL of a comparison; by default "
                         "numbers by value and strings byte by byte",
                         NULL, rw);
  properties[PROP_COMBINER] =
    g_param_spec_string ("combiner", "Combiner",
                         "Reduces each task's own output on the worker that mapped it: SYMBOL or "
                         "MODULE:SYMBOL; without one the reducer does it as the worker merges its tasks",
                         NULL, rw);
  properties[PROP_OUTPUTER] =
    g_param_spec_string ("outputer", "Outputer",
                         "Runs on the final result here, its return value being the job's: SYMBOL or "
                         "MODULE:SYMBOL",
                         NULL, rw);
  properties[PROP_TASKS] =
    g_param_spec_string ("tasks", "Tasks",
                         "The tasks in GVariant text: an array of lists of key–value pairs, such as "
                         "[[(0, 'w0.txt')], [(1, 'w1.txt')]]",
                         NULL, rw);
  properties[PROP_INPUT_FILES] =
    g_param_spec_boxed ("input-files", "Input files",
                        "Instead of tasks=: one task per file, task N being [(N, 'FILE')] with FILE "
                        "relative to the keyfile (the seeds' word count): FILE;FILE;…",
                        G_TYPE_STRV, rw);
  properties[PROP_PRINT_RESULT] =
    g_param_spec_boolean ("print-result", "Print result",
                          "Print what the job returns (the result, or the outputer's value) in "
                          "GVariant text",
                          FALSE, rw);
  properties[PROP_JOB] =
    g_param_spec_object ("job", "Job", "The map-reduce job, once its workers run",
                         DP_TYPE_MAP_REDUCE_JOB, ro);
  properties[PROP_TASKS_TOTAL] =
    g_param_spec_uint ("tasks-total", "Tasks total", "How many tasks the job has",
                       0, G_MAXUINT, 0, ro);
  properties[PROP_TASKS_DONE] =
    g_param_spec_uint ("tasks-done", "Tasks done", "How many tasks are done",
                       0, G_MAXUINT, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_map_reduce_service_class_finalize (DpMapReduceServiceClass *klass)
{
}

static void
dp_map_reduce_service_init (DpMapReduceService *self)
{
  g_mutex_init (&self->lock);
}

static GVariant *
read_tasks (DpMapReduceService  *self,
            DpSystem            *system,
            GError             **error)
{
  if (self->tasks != NULL && self->input_files != NULL)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_CONFIG, "give tasks= or input-files=, not both");
      return NULL;
    }

  if (self->tasks != NULL)
    {
      g_autoptr(GVariant) tasks = dp_message_parse (self->tasks, error);

      if (tasks == NULL)
        {
          dp_service_prefix_key_error (system, "mapreduce", "tasks", error);
          return NULL;
        }
      if (!g_variant_is_container (tasks) || g_variant_get_type_string (tasks)[0] != 'a')
        {
          g_set_error (error, DP_ERROR, DP_ERROR_CONFIG,
                       "expected an array of tasks, got a value of type “%s”",
                       g_variant_get_type_string (tasks));
          dp_service_prefix_key_error (system, "mapreduce", "tasks", error);
          return NULL;
        }
      return g_steal_pointer (&tasks);
    }

  if (self->input_files != NULL)
    {
      g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("aa(xs)"));

      for (guint i = 0; self->input_files[i] != NULL; i++)
        {
          g_autofree char *path = dp_config_resolve_path (dp_system_get_config (system),
                                                          self->input_files[i]);

          g_variant_builder_open (&builder, G_VARIANT_TYPE ("a(xs)"));
          g_variant_builder_add (&builder, "(xs)", (gint64) i, path);
          g_variant_builder_close (&builder);
        }
      return g_variant_ref_sink (g_variant_builder_end (&builder));
    }

  g_set_error_literal (error, DP_ERROR, DP_ERROR_CONFIG,
                       "no tasks: give tasks= (an array of tasks) or input-files=");
  return NULL;
}

/* The job, in a thread of its own (dp_service_run_job()). */
static GVariant *
run_job (DpService     *service,
         gpointer       data,
         GCancellable  *cancellable,
         GError       **error)
{
  DpMapReduceService *self = DP_MAP_REDUCE_SERVICE (service);
  Spec *spec = data;
  g_autoptr(DpMapReduceWorkers) workers = NULL;
  g_autoptr(DpMapReduceJob) job = NULL;
  DpMapReduceOptions options;

  if (spec->config != NULL)
    {
      DpNodeOptions node_options;

      dp_node_options_init (&node_options);
      node_options.backend = spec->backend;
      workers = dp_make_map_reduce_workers ((const char * const *) spec->config, &node_options, error);
    }
  else
    workers = dp_map_reduce_workers_new_on_nodes ((DpRemoteNode **) spec->nodes->pdata, spec->nodes->len,
                                                  spec->backend, error);
  if (workers == NULL)
    return NULL;

  dp_map_reduce_options_init (&options);
  options.sorter = spec->sorter;
  options.combiner = spec->combiner;
  options.outputer = spec->outputer;
  job = dp_map_reduce_job_new (workers, spec->tasks, spec->mapper, spec->reducer, &options);
  g_mutex_lock (&self->lock);
  g_set_object (&self->job, job);
  g_mutex_unlock (&self->lock);

  return dp_map_reduce_job_run (job, cancellable, error);
}

static gboolean
dp_map_reduce_service_start (DpService  *service,
                             DpSystem   *system,
                             GError    **error)
{
  DpMapReduceService *self = DP_MAP_REDUCE_SERVICE (service);
  Spec *spec = g_new0 (Spec, 1);
  GError *local_error = NULL;
  struct {
    const char *key;
    const char *value;
    char **address;
  } procedures[] = {
    { "mapper", self->mapper, &spec->mapper },
    { "reducer", self->reducer, &spec->reducer },
    { "sorter", self->sorter, &spec->sorter },
    { "combiner", self->combiner, &spec->combiner },
    { "outputer", self->outputer, &spec->outputer },
  };

  if (self->mapper == NULL || self->mapper[0] == '\0' || self->reducer == NULL || self->reducer[0] == '\0')
    g_set_error (&local_error, DP_ERROR, DP_ERROR_CONFIG, "mapper= and reducer= are needed");
  for (guint i = 0; i < G_N_ELEMENTS (procedures) && local_error == NULL; i++)
    *procedures[i].address = dp_service_procedure_address (system, "mapreduce", procedures[i].key,
                                                           procedures[i].value, self->module, &local_error);
  if (local_error == NULL)
    spec->tasks = read_tasks (self, system, &local_error);

  if (local_error == NULL)
    {
      gboolean have_workers = self->workers != NULL && self->workers[0] != NULL;
      gboolean have_nodes = self->nodes != NULL && self->nodes[0] != NULL;

      if (have_workers == have_nodes)
        g_set_error_literal (&local_error, DP_ERROR, DP_ERROR_CONFIG,
                             have_workers ? "give workers= or nodes=, not both"
                                          : "no workers: give workers=HOST:PORT;… or nodes=NAME;…");
      else if (have_workers)
        spec->config = g_strdupv (self->workers);
      else
        spec->nodes = dp_service_lookup_nodes (system, "mapreduce", "nodes",
                                               (const char * const *) self->nodes, &local_error);
    }

  if (local_error != NULL)
    {
      spec_free (spec);
      g_propagate_error (error, local_error);
      return FALSE;
    }
  spec->backend = g_strdup (self->backend);

  self->cancellable = g_cancellable_new ();
  dp_service_run_job (service, system, "[mapreduce] map-reduce", self->print_result, run_job, spec,
                      (GDestroyNotify) spec_free, self->cancellable);
  return TRUE;
}

static void
dp_map_reduce_service_stop (DpService *service)
{
  DpMapReduceService *self = DP_MAP_REDUCE_SERVICE (service);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

static void
dp_map_reduce_service_service_init (DpServiceInterface *iface)
{
  iface->start = dp_map_reduce_service_start;
  iface->stop = dp_map_reduce_service_stop;
}

void
dp_map_reduce_service_register (GTypeModule *module)
{
  dp_map_reduce_service_register_type (module);
}
