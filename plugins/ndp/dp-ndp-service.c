/* dp-ndp-service.c: the [ndp] group of a keyfile
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-ndp"

#include "config.h"

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

/* The work, in a thread of its own (dp_service_run_job()). */
static GVariant *
run_work (DpService     *service,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  DpNdpService *self = DP_NDP_SERVICE (service);
  Spec *spec = data;
  g_autoptr(DpNdpGroup) group = NULL;
  GVariant *result;

  if (spec->config != NULL)
    {
      DpNodeOptions node_options;

      dp_node_options_init (&node_options);
      node_options.backend = spec->backend;
      group = dp_make_ndp_group ((const char * const *) spec->config, &node_options, error);
    }
  else if (spec->nodes != NULL)
    group = dp_ndp_group_new_on_nodes ((DpRemoteNode **) spec->nodes->pdata, spec->nodes->len,
                                       spec->backend, error);
  else
    group = dp_ndp_group_new_local (spec->local_workers, spec->backend, error);
  if (group == NULL)
    return NULL;

  g_mutex_lock (&self->lock);
  g_set_object (&self->group, group);
  g_mutex_unlock (&self->lock);

  result = dp_ndp_run (group, spec->procedure, spec->data, error);
  dp_ndp_group_stop (group);
  return result;
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

  if (self->procedure == NULL || self->procedure[0] == '\0')
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_CONFIG,
                           "procedure= is needed: the work, MODULE:SYMBOL");
      return FALSE;
    }
  spec->procedure = dp_service_procedure_address (system, "ndp", "procedure", self->procedure, self->module,
                                                  error);
  if (spec->procedure == NULL)
    return FALSE;

  if (self->data != NULL)
    {
      spec->data = dp_message_parse (self->data, error);
      if (spec->data == NULL)
        {
          dp_service_prefix_key_error (system, "ndp", "data", error);
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
      spec->nodes = dp_service_lookup_nodes (system, "ndp", "nodes", (const char * const *) self->nodes, error);
      if (spec->nodes == NULL)
        return FALSE;
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
  Spec *spec = g_new0 (Spec, 1);

  if (!read_keys (self, system, spec, error))
    {
      spec_free (spec);
      return FALSE;
    }

  dp_service_run_job (service, system, "[ndp] the work", self->print_result, run_work, spec,
                      (GDestroyNotify) spec_free, NULL);
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
