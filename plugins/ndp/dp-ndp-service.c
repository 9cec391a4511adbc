/* dp-ndp-service.c: the [ndp] group of a keyfile
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-ndp"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "dp-ndp-service.h"

/* DpNdpService: what `dplaces run` does with an [ndp] group. Once the
 * system's nodes and places run, it starts the group — workers on nodes
 * it spawns (workers=), on the keyfile's nodes (nodes=) or in the root
 * node's own process (local-workers=) — runs one work (procedure= with
 * data=) in a thread of its own, prints the result if asked, and lets
 * the system end: it holds the system until the work is done, and ends
 * it with status 1 if the work fails. */

struct _DpNdpService
{
  GObject parent_instance;

  /* keys */
  GStrv workers;
  GStrv nodes;
  guint local_workers;
  char *backend;
  char *module;
  char *procedure;
  char *data;
  gboolean print_result;

  /* running */
  GMutex lock;
  DpNdpGroup *group;
  DpSystem *system;
};

enum {
  PROP_0,
  PROP_WORKERS,
  PROP_NODES,
  PROP_LOCAL_WORKERS,
  PROP_BACKEND,
  PROP_MODULE,
  PROP_PROCEDURE,
  PROP_DATA,
  PROP_PRINT_RESULT,
  PROP_GROUP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void dp_ndp_service_service_init (DpServiceInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (DpNdpService, dp_ndp_service, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (DP_TYPE_SERVICE,
                                                               dp_ndp_service_service_init))

/* What the work's thread needs, taken from the keys at start. */
typedef struct {
  GStrv config;
  GPtrArray *nodes;       /* DpRemoteNode* */
  guint local_workers;
  char *backend;
  char *procedure;
  GVariant *data;
} Spec;

static void
spec_free (Spec *spec)
{
  g_strfreev (spec->config);
  g_clear_pointer (&spec->nodes, g_ptr_array_unref);
  g_free (spec->backend);
  g_free (spec->procedure);
  g_clear_pointer (&spec->data, g_variant_unref);
  g_free (spec);
}

static DpNdpGroup *
dup_group (DpNdpService *self)
{
  DpNdpGroup *group;

  g_mutex_lock (&self->lock);
  group = self->group != NULL ? g_object_ref (self->group) : NULL;
  g_mutex_unlock (&self->lock);
  return group;
}

static void
dp_ndp_service_finalize (GObject *object)
{
  DpNdpService *self = DP_NDP_SERVICE (object);

  g_strfreev (self->workers);
  g_strfreev (self->nodes);
  g_free (self->backend);
  g_free (self->module);
  g_free (self->procedure);
  g_free (self->data);
  g_clear_object (&self->group);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (dp_ndp_service_parent_class)->finalize (object);
}

static void
dp_ndp_service_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  DpNdpService *self = DP_NDP_SERVICE (object);

  switch (prop_id)
    {
    case PROP_WORKERS:
      g_value_set_boxed (value, self->workers);
      break;
    case PROP_NODES:
      g_value_set_boxed (value, self->nodes);
      break;
    case PROP_LOCAL_WORKERS:
      g_value_set_uint (value, self->local_workers);
      break;
    case PROP_BACKEND:
      g_value_set_string (value, self->backend);
      break;
    case PROP_MODULE:
      g_value_set_string (value, self->module);
      break;
    case PROP_PROCEDURE:
      g_value_set_string (value, self->procedure);
      break;
    case PROP_DATA:
      g_value_set_string (value, self->data);
      break;
    case PROP_PRINT_RESULT:
      g_value_set_boolean (value, self->print_result);
      break;
    case PROP_GROUP:
      g_value_take_object (value, dup_group (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_ndp_service_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  DpNdpService *self = DP_NDP_SERVICE (object);

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
    case PROP_LOCAL_WORKERS:
      self->local_workers = g_value_get_uint (value);
      break;
    case PROP_BACKEND:
      g_free (self->backend);
      self->backend = g_value_dup_string (value);
      break;
    case PROP_MODULE:
      g_free (self->module);
      self->module = g_value_dup_string (value);
      break;
    case PROP_PROCEDURE:
      g_free (self->procedure);
      self->procedure = g_value_dup_string (value);
      break;
    case PROP_DATA:
      g_free (self->data);
      self->data = g_value_dup_string (value);
      break;
    case PROP_PRINT_RESULT:
      self->print_result = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_ndp_service_class_init (DpNdpServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = dp_ndp_service_finalize;
  object_class->get_property = dp_ndp_service_get_property;
  object_class->set_property = dp_ndp_service_set_property;

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
  properties[PROP_LOCAL_WORKERS] =
    g_param_spec_uint ("local-workers", "Local workers",
                       "Instead of workers= or nodes=: this many worker places in the root node's own "
                       "process (threads) or as its children (processes)",
                       0, 1024, 0, rw);
  properties[PROP_BACKEND] =
    g_param_spec_string ("backend", "Backend",
                         "The workers' place backend: threads (the default) or processes",
                         NULL, rw);
  properties[PROP_MODULE] =
    g_param_spec_string ("module", "Module",
                         "The module of a procedure given as SYMBOL alone (a module in the plugin "
                         "directories, or a path)",
                         NULL, rw);
  properties[PROP_PROCEDURE] =
    g_param_spec_string ("procedure", "Procedure",
                         "The work (required): SYMBOL in module=, or MODULE:SYMBOL; the coordinator "
                         "gives it to the first free worker",
                         NULL, rw);
  properties[PROP_DATA] =
    g_param_spec_string ("data", "Data",
                         "The work's data in GVariant text, such as [int64 9128, 3, 7, 46, 5, 10]; "
                         "() if not given",
                         NULL, rw);
  properties[PROP_PRINT_RESULT] =
    g_param_spec_boolean ("print-result", "Print result",
                          "Print what the work returns in GVariant text",
                          FALSE, rw);
  properties[PROP_GROUP] =
    g_param_spec_object ("group", "Group", "The NDP group, once its workers run",
                         DP_TYPE_NDP_GROUP, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_ndp_service_class_finalize (DpNdpServiceClass *klass)
{
}

static void
dp_ndp_service_init (DpNdpService *self)
{
  g_mutex_init (&self->lock);
}

/* Makes @error a keyfile error about @key, naming its line: the system
 * puts FILE:LINE: [ndp] (the group's line) in front. */
static void
key_error (DpSystem    *system,
           const char  *key,
           GError     **error)
{
  DpConfig *config = dp_system_get_config (system);
  GError *cause;

  if (error == NULL || *error == NULL)
    return;
  cause = *error;
  *error = g_error_new (DP_ERROR, DP_ERROR_CONFIG, "%s= (line %u): %s", key,
                        dp_config_get_line (config, "ndp", key), cause->message);
  g_error_free (cause);
}

static void
work_thread (GTask        *task,
             gpointer      source,
             gpointer      data,
             GCancellable *cancellable)
{
  DpNdpService *self = source;
  Spec *spec = data;
  g_autoptr(DpNdpGroup) group = NULL;
  GError *error = NULL;
  GVariant *result;

  if (spec->config != NULL)
    {
      DpNodeOptions node_options;

      dp_node_options_init (&node_options);
      node_options.backend = spec->backend;
      group = dp_make_ndp_group ((const char * const *) spec->config, &node_options, &error);
    }
  else if (spec->nodes != NULL)
    group = dp_ndp_group_new_on_nodes ((DpRemoteNode **) spec->nodes->pdata, spec->nodes->len,
                                       spec->backend, &error);
  else
    group = dp_ndp_group_new_local (spec->local_workers, spec->backend, &error);
  if (group == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_mutex_lock (&self->lock);
  g_set_object (&self->group, group);
  g_mutex_unlock (&self->lock);

  result = dp_ndp_run (group, spec->procedure, spec->data, &error);
  dp_ndp_group_stop (group);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) g_variant_unref);
}

/* In the node's loop: the work is done. */
static void
work_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  DpNdpService *self = DP_NDP_SERVICE (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = g_task_propagate_pointer (G_TASK (result), &error);
  DpSystem *system = self->system;

  self->system = NULL;
  if (value == NULL)
    {
      g_autofree char *line = g_strdup_printf ("[ndp] the work failed: %s", error->message);

      dp_log_message (DP_LOG_WARNING, line);
      dp_system_exit (system, 1);
    }
  else if (self->print_result)
    {
      g_autofree char *text = g_variant_print (value, FALSE);

      printf ("%s\n", text);
      fflush (stdout);
    }

  dp_system_release (system);
  g_object_unref (system);
}

/* Checks the keys; fills @spec. */
static gboolean
read_keys (DpNdpService  *self,
           DpSystem      *system,
           Spec          *spec,
           GError       **error)
{
  gboolean have_workers = self->workers != NULL && self->workers[0] != NULL;
  gboolean have_nodes = self->nodes != NULL && self->nodes[0] != NULL;
  gboolean have_local = self->local_workers > 0;
  const char *colon;

  if (self->procedure == NULL || self->procedure[0] == '\0')
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_CONFIG,
                           "procedure= is needed: the work, MODULE:SYMBOL");
      return FALSE;
    }
  colon = strrchr (self->procedure, ':');
  if (colon != NULL)
    spec->procedure = g_strdup (self->procedure);
  else if (self->module != NULL && self->module[0] != '\0')
    spec->procedure = g_strconcat (self->module, ":", self->procedure, NULL);
  else
    {
      g_set_error (error, DP_ERROR, DP_ERROR_CONFIG, "“%s”: give MODULE:SYMBOL, or the module in module=",
                   self->procedure);
      key_error (system, "procedure", error);
      return FALSE;
    }
  colon = strrchr (spec->procedure, ':');
  if (colon == spec->procedure || colon[1] == '\0')
    {
      g_set_error (error, DP_ERROR, DP_ERROR_CONFIG, "“%s” is not a procedure address: expected "
                   "MODULE:SYMBOL", spec->procedure);
      key_error (system, "procedure", error);
      return FALSE;
    }

  if (self->data != NULL)
    {
      spec->data = dp_message_parse (self->data, error);
      if (spec->data == NULL)
        {
          key_error (system, "data", error);
          return FALSE;
        }
    }
  else
    spec->data = g_variant_ref_sink (g_variant_new_tuple (NULL, 0));

  if (have_workers + have_nodes + have_local != 1)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_CONFIG,
                           have_workers + have_nodes + have_local == 0
                           ? "no workers: give workers=HOST:PORT;…, nodes=NAME;… or local-workers=N"
                           : "give one of workers=, nodes= and local-workers=");
      return FALSE;
    }
  if (have_workers)
    spec->config = g_strdupv (self->workers);
  else if (have_local)
    spec->local_workers = self->local_workers;
  else
    {
      spec->nodes = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint i = 0; self->nodes[i] != NULL; i++)
        {
          DpRemoteNode *node = dp_system_lookup_node (system, self->nodes[i]);

          if (node == NULL)
            {
              g_set_error (error, DP_ERROR, DP_ERROR_CONFIG, "no [node %s] group", self->nodes[i]);
              key_error (system, "nodes", error);
              return FALSE;
            }
          g_ptr_array_add (spec->nodes, g_object_ref (node));
        }
    }
  spec->backend = g_strdup (self->backend);
  return TRUE;
}

static gboolean
dp_ndp_service_start (DpService  *service,
                      DpSystem   *system,
                      GError    **error)
{
  DpNdpService *self = DP_NDP_SERVICE (service);
  g_autoptr(GTask) task = NULL;
  Spec *spec = g_new0 (Spec, 1);
  GMainContext *context = dp_node_get_context (dp_system_get_node (system));

  if (!read_keys (self, system, spec, error))
    {
      spec_free (spec);
      return FALSE;
    }

  /* The work runs in a thread; it is done in the node's loop. */
  self->system = g_object_ref (system);
  dp_system_hold (system);
  g_main_context_push_thread_default (context);
  task = g_task_new (self, NULL, work_done_cb, NULL);
  g_main_context_pop_thread_default (context);
  g_task_set_source_tag (task, dp_ndp_service_start);
  g_task_set_task_data (task, spec, (GDestroyNotify) spec_free);
  g_task_run_in_thread (task, work_thread);
  return TRUE;
}

static void
dp_ndp_service_stop (DpService *service)
{
  DpNdpService *self = DP_NDP_SERVICE (service);
  g_autoptr(DpNdpGroup) group = dup_group (self);

  /* Work waiting on the group fails, and the thread ends. */
  if (group != NULL)
    dp_ndp_group_stop (group);
}

static void
dp_ndp_service_service_init (DpServiceInterface *iface)
{
  iface->start = dp_ndp_service_start;
  iface->stop = dp_ndp_service_stop;
}

void
dp_ndp_service_register (GTypeModule *module)
{
  dp_ndp_service_register_type (module);
}
