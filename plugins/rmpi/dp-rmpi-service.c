/* dp-rmpi-service.c: the [rmpi] keyfile group — an RMPI job run by
 * `dplaces run`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-rmpi"

#include "config.h"

#include <stdio.h>

#include "dp-rmpi.h"
#include "dp-rmpi-service.h"

/**
 * DpRmpiService:
 *
 * The `rmpi` service plugin: a keyfile's `[rmpi]` group launches an RMPI
 * program when the system starts, as [func@Dp.rmpi_launch] would —
 *
 * ```ini
 * [rmpi]
 * hosts=localhost;localhost
 * ranks-per-host=2
 * module=kmeans
 * function=kmeans_place
 * args=(uint32 20000, uint32 3, uint32 8, uint32 100, uint32 7)
 * ```
 *
 * — a node per host (or the keyfile's own `[node NAME]` groups, with
 * `nodes=`), `ranks-per-host` rank places on each, ranked host after host.
 * The system is held while the job runs; when rank 0 has finished and
 * every rank's place ended, rank 0's result is printed (if it gave one)
 * and the system exits, 0 on success and 1 if a rank failed.
 */

struct _DpRmpiService
{
  GObject parent_instance;

  /* keys */
  GStrv hosts;
  GStrv nodes;
  guint ranks_per_host;
  char *module;
  char *function;
  char *args;
  char *name;
  char *launcher;
  char *launch_path;
  guint listen_port;
  gboolean exit_when_done;
  gboolean print_result;

  /* running */
  DpSystem *system;
  DpRmpiJob *job;
  GThread *thread;
};

enum {
  PROP_0,
  PROP_HOSTS,
  PROP_NODES,
  PROP_RANKS_PER_HOST,
  PROP_MODULE,
  PROP_FUNCTION,
  PROP_ARGS,
  PROP_NAME,
  PROP_LAUNCHER,
  PROP_LAUNCH_PATH,
  PROP_LISTEN_PORT,
  PROP_EXIT_WHEN_DONE,
  PROP_PRINT_RESULT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void dp_rmpi_service_service_init (DpServiceInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (DpRmpiService, dp_rmpi_service, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (DP_TYPE_SERVICE,
                                                               dp_rmpi_service_service_init))

typedef struct {
  DpRmpiService *service;   /* a reference */
  GVariant *result;
  GError *error;
} JobOutcome;

static gboolean
job_done_cb (gpointer data)
{
  JobOutcome *outcome = data;
  DpRmpiService *self = outcome->service;
  gint status = 0;

  g_thread_join (g_steal_pointer (&self->thread));
  if (outcome->error != NULL)
    {
      g_printerr ("rmpi: %s\n", outcome->error->message);
      status = 1;
    }
  else if (self->print_result && outcome->result != NULL &&
           !g_variant_is_of_type (outcome->result, G_VARIANT_TYPE_UNIT))
    {
      g_autofree char *text = dp_message_to_display (outcome->result);

      printf ("%s%s", text, g_str_has_suffix (text, "\n") ? "" : "\n");
      fflush (stdout);
    }

  dp_system_release (self->system);
  if (self->exit_when_done || status != 0)
    dp_system_exit (self->system, status);

  g_clear_pointer (&outcome->result, g_variant_unref);
  g_clear_error (&outcome->error);
  g_object_unref (outcome->service);
  g_free (outcome);
  return G_SOURCE_REMOVE;
}

static gpointer
job_thread (gpointer data)
{
  DpRmpiService *self = data;
  JobOutcome *outcome = g_new0 (JobOutcome, 1);

  outcome->service = g_object_ref (self);
  if (dp_rmpi_job_start (self->job, &outcome->error))
    outcome->result = dp_rmpi_job_wait (self->job, &outcome->error);
  g_main_context_invoke (dp_node_get_context (dp_system_get_node (self->system)), job_done_cb,
                         outcome);
  return NULL;
}

static gboolean
fail_key (GError     **error,
          const char  *key,
          const char  *format,
          ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail_key (GError     **error,
          const char  *key,
          const char  *format,
          ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DP_ERROR, DP_ERROR_CONFIG, "%s: %s", key, message);
  return FALSE;
}

static gboolean
dp_rmpi_service_start (DpService  *service,
                       DpSystem   *system,
                       GError    **error)
{
  DpRmpiService *self = DP_RMPI_SERVICE (service);
  g_autoptr(GVariant) args = NULL;
  g_autoptr(GPtrArray) nodes = NULL;
  GVariantBuilder entries;
  gboolean use_nodes = self->nodes != NULL && self->nodes[0] != NULL;
  const char * const *places = use_nodes ? (const char * const *) self->nodes
                                         : (const char * const *) self->hosts;
  guint n_places = places != NULL ? g_strv_length ((char **) places) : 0;
  guint rank = 0;

  if (self->module == NULL || self->module[0] == '\0')
    return fail_key (error, "module", "the place module of the ranks is needed");
  if (self->function == NULL || self->function[0] == '\0')
    return fail_key (error, "function", "the rank function the module exports is needed");
  if (n_places == 0)
    return fail_key (error, use_nodes ? "nodes" : "hosts", "at least one is needed");
  if (self->ranks_per_host == 0)
    return fail_key (error, "ranks-per-host", "at least 1");

  args = dp_message_parse (self->args != NULL ? self->args : "()", error);
  if (args == NULL)
    {
      dp_service_prefix_key_error (system, "rmpi", "args", error);
      return FALSE;
    }
  if (use_nodes)
    {
      nodes = dp_service_lookup_nodes (system, "rmpi", "nodes", places, error);
      if (nodes == NULL)
        return FALSE;
    }

  g_variant_builder_init (&entries, G_VARIANT_TYPE ("a(sqsua{sv})"));
  for (guint h = 0; h < n_places; h++)
    {
      g_autofree char *node_key = NULL;
      const char *host = places[h];

      if (use_nodes)
        {
          host = dp_remote_node_get_host (g_ptr_array_index (nodes, h));
          node_key = g_strdup (places[h]);
        }
      else
        node_key = g_strdup_printf ("%u", h);

      for (guint k = 0; k < self->ranks_per_host; k++, rank++)
        {
          g_autofree char *rank_name = g_strdup_printf ("%s_%u", self->name, rank);
          GVariantBuilder options;

          g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
          g_variant_builder_add (&options, "{sv}", "node", g_variant_new_string (node_key));
          g_variant_builder_add (&entries, "(sqsua{sv})", host,
                                 (guint16) (self->listen_port == 0 ? 0 : self->listen_port + h),
                                 rank_name, rank, &options);
        }
    }

  {
    GVariantBuilder defaults;

    g_variant_builder_init (&defaults, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add (&defaults, "{sv}", "mpi-module", g_variant_new_string (self->module));
    g_variant_builder_add (&defaults, "{sv}", "mpi-func", g_variant_new_string (self->function));
    g_variant_builder_add (&defaults, "{sv}", "mpi-args", args);
    if (self->launcher != NULL && self->launcher[0] != '\0')
      g_variant_builder_add (&defaults, "{sv}", "launcher", g_variant_new_string (self->launcher));
    if (self->launch_path != NULL && self->launch_path[0] != '\0')
      g_variant_builder_add (&defaults, "{sv}", "launch-path",
                             g_variant_new_string (self->launch_path));

    self->job = dp_rmpi_job_new (g_variant_builder_end (&defaults),
                                 g_variant_builder_end (&entries), error);
  }
  if (self->job == NULL)
    return FALSE;
  if (use_nodes)
    for (guint h = 0; h < n_places; h++)
      dp_rmpi_job_add_node (self->job, places[h], g_ptr_array_index (nodes, h));

  /* Spawning and waiting block: not on the node's loop. */
  self->system = g_object_ref (system);
  dp_system_hold (system);
  self->thread = g_thread_new ("dp-rmpi-job", job_thread, self);
  return TRUE;
}

static void
dp_rmpi_service_stop (DpService *service)
{
  DpRmpiService *self = DP_RMPI_SERVICE (service);

  if (self->job != NULL)
    dp_rmpi_job_stop (self->job);
}

static void
dp_rmpi_service_service_init (DpServiceInterface *iface)
{
  iface->start = dp_rmpi_service_start;
  iface->stop = dp_rmpi_service_stop;
}

static void
dp_rmpi_service_dispose (GObject *object)
{
  DpRmpiService *self = DP_RMPI_SERVICE (object);

  g_clear_object (&self->job);
  g_clear_object (&self->system);

  G_OBJECT_CLASS (dp_rmpi_service_parent_class)->dispose (object);
}

static void
dp_rmpi_service_finalize (GObject *object)
{
  DpRmpiService *self = DP_RMPI_SERVICE (object);

  g_strfreev (self->hosts);
  g_strfreev (self->nodes);
  g_free (self->module);
  g_free (self->function);
  g_free (self->args);
  g_free (self->name);
  g_free (self->launcher);
  g_free (self->launch_path);

  G_OBJECT_CLASS (dp_rmpi_service_parent_class)->finalize (object);
}

static void
dp_rmpi_service_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  DpRmpiService *self = DP_RMPI_SERVICE (object);

  switch (prop_id)
    {
    case PROP_HOSTS: g_value_set_boxed (value, self->hosts); break;
    case PROP_NODES: g_value_set_boxed (value, self->nodes); break;
    case PROP_RANKS_PER_HOST: g_value_set_uint (value, self->ranks_per_host); break;
    case PROP_MODULE: g_value_set_string (value, self->module); break;
    case PROP_FUNCTION: g_value_set_string (value, self->function); break;
    case PROP_ARGS: g_value_set_string (value, self->args); break;
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_LAUNCHER: g_value_set_string (value, self->launcher); break;
    case PROP_LAUNCH_PATH: g_value_set_string (value, self->launch_path); break;
    case PROP_LISTEN_PORT: g_value_set_uint (value, self->listen_port); break;
    case PROP_EXIT_WHEN_DONE: g_value_set_boolean (value, self->exit_when_done); break;
    case PROP_PRINT_RESULT: g_value_set_boolean (value, self->print_result); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_string (char         **field,
            const GValue  *value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
}

static void
dp_rmpi_service_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  DpRmpiService *self = DP_RMPI_SERVICE (object);

  switch (prop_id)
    {
    case PROP_HOSTS:
      g_strfreev (self->hosts);
      self->hosts = g_value_dup_boxed (value);
      break;
    case PROP_NODES:
      g_strfreev (self->nodes);
      self->nodes = g_value_dup_boxed (value);
      break;
    case PROP_RANKS_PER_HOST: self->ranks_per_host = g_value_get_uint (value); break;
    case PROP_MODULE: set_string (&self->module, value); break;
    case PROP_FUNCTION: set_string (&self->function, value); break;
    case PROP_ARGS: set_string (&self->args, value); break;
    case PROP_NAME: set_string (&self->name, value); break;
    case PROP_LAUNCHER: set_string (&self->launcher, value); break;
    case PROP_LAUNCH_PATH: set_string (&self->launch_path, value); break;
    case PROP_LISTEN_PORT: self->listen_port = g_value_get_uint (value); break;
    case PROP_EXIT_WHEN_DONE: self->exit_when_done = g_value_get_boolean (value); break;
    case PROP_PRINT_RESULT: self->print_result = g_value_get_boolean (value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_rmpi_service_class_init (DpRmpiServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->dispose = dp_rmpi_service_dispose;
  object_class->finalize = dp_rmpi_service_finalize;
  object_class->get_property = dp_rmpi_service_get_property;
  object_class->set_property = dp_rmpi_service_set_property;

  properties[PROP_HOSTS] =
    g_param_spec_boxed ("hosts", "Hosts",
                        "The hosts to start a node on, one node per entry (a host may repeat), "
                        "ranks numbered host after host (default: localhost)",
                        G_TYPE_STRV, flags);
  properties[PROP_NODES] =
    g_param_spec_boxed ("nodes", "Nodes",
                        "Instead of hosts: the NAMEs of this keyfile's [node NAME] groups to "
                        "run the ranks on",
                        G_TYPE_STRV, flags);
  properties[PROP_RANKS_PER_HOST] =
    g_param_spec_uint ("ranks-per-host", "Ranks per host",
                       "How many rank places each node runs",
                       1, G_MAXUINT16, 1, flags);
  properties[PROP_MODULE] =
    g_param_spec_string ("module", "Module",
                         "The place module with the rank function (the seeds' #:mpi-module)",
                         NULL, flags);
  properties[PROP_FUNCTION] =
    g_param_spec_string ("function", "Function",
                         "The rank function it exports, which calls dp_rmpi_init() "
                         "(#:mpi-func)",
                         NULL, flags);
  properties[PROP_ARGS] =
    g_param_spec_string ("args", "Arguments",
                         "The job's arguments, a message in GVariant text form, which "
                         "dp_rmpi_init() hands every rank (#:mpi-args)",
                         "()", flags);
  properties[PROP_NAME] =
    g_param_spec_string ("name", "Name",
                         "Rank i's place is named NAME_i",
                         "rmpi", flags);
  properties[PROP_LAUNCHER] =
    g_param_spec_string ("launcher", "Launcher",
                         "How hosts' nodes start: local or ssh (default: local for this "
                         "machine, ssh otherwise)",
                         NULL, flags);
  properties[PROP_LAUNCH_PATH] =
    g_param_spec_string ("launch-path", "Launch path",
                         "The dplaces binary on the hosts (#:racket-path and "
                         "#:distributed-launch-path)",
                         NULL, flags);
  properties[PROP_LISTEN_PORT] =
    g_param_spec_uint ("listen-port", "Listen port",
                       "Host i's node listens on listen-port + i; 0 lets each pick its port",
                       0, G_MAXUINT16, 0, flags);
  properties[PROP_EXIT_WHEN_DONE] =
    g_param_spec_boolean ("exit-when-done", "Exit when done",
                          "End the system when the job is done (a failed job always ends it, "
                          "with status 1)",
                          TRUE, flags);
  properties[PROP_PRINT_RESULT] =
    g_param_spec_boolean ("print-result", "Print result",
                          "Print the result rank 0 gives dp_rmpi_finish_with_result()",
                          TRUE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_rmpi_service_class_finalize (DpRmpiServiceClass *klass)
{
}

static void
dp_rmpi_service_init (DpRmpiService *self)
{
  const char *localhost[] = { "localhost", NULL };

  self->hosts = g_strdupv ((char **) localhost);
  self->ranks_per_host = 1;
  self->args = g_strdup ("()");
  self->name = g_strdup ("rmpi");
  self->exit_when_done = TRUE;
  self->print_result = TRUE;
}

void
dp_rmpi_service_register (GTypeModule *module)
{
  dp_rmpi_service_register_type (module);
}
