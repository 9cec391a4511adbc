/* dp-service.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "dp-config.h"
#include "dp-error.h"
#include "dp-node.h"
#include "dp-plugin-registry.h"
#include "dp-remote-node.h"
#include "dp-service.h"
#include "dp-system.h"

/**
 * DpService:
 *
 * A framework plugin a keyfile starts: RPC servers, RMPI jobs, MapReduce
 * jobs, the HTTP control plane. Implemented under the
 * %DP_SERVICE_EXTENSION_POINT_NAME extension point; the plugin's name is
 * its keyfile group.
 *
 * The system sets the group's keys as the plugin's properties, then calls
 * [method@Dp.Service.start]; an error that start returns is reported as
 * `FILE:LINE: [GROUP]: MESSAGE`. The functions below are what services
 * share: errors about a key ([func@Dp.service_prefix_key_error]), keys
 * naming `[node NAME]` groups ([func@Dp.service_lookup_nodes]) or
 * procedures ([func@Dp.service_procedure_address]), and a one-shot job
 * that holds the system until it is done ([func@Dp.service_run_job]).
 */

G_DEFINE_INTERFACE (DpService, dp_service, G_TYPE_OBJECT)

static void
dp_service_default_init (DpServiceInterface *iface)
{
}

/**
 * dp_service_start:
 * @self: a service
 * @system: the system it belongs to
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the service started
 */
gboolean
dp_service_start (DpService  *self,
                  DpSystem   *system,
                  GError    **error)
{
  g_return_val_if_fail (DP_IS_SERVICE (self), FALSE);

  return DP_SERVICE_GET_IFACE (self)->start (self, system, error);
}

/**
 * dp_service_stop:
 * @self: a service
 *
 * Stops the service.
 */
void
dp_service_stop (DpService *self)
{
  g_return_if_fail (DP_IS_SERVICE (self));

  if (DP_SERVICE_GET_IFACE (self)->stop != NULL)
    DP_SERVICE_GET_IFACE (self)->stop (self);
}

/**
 * dp_service_prefix_key_error:
 * @system: the system starting the service
 * @group: the service's keyfile group, such as `mapreduce`
 * @key: the key @error is about
 * @error: (inout) (optional) (nullable): an error about @key's value
 *
 * Makes @error, if set, a %DP_ERROR_CONFIG error naming @key and its
 * line: `KEY= (line N): MESSAGE`, which the system puts after
 * `FILE:LINE: [GROUP]: ` when the service's start returns it.
 */
void
dp_service_prefix_key_error (DpSystem    *system,
                             const char  *group,
                             const char  *key,
                             GError     **error)
{
  GError *cause;

  g_return_if_fail (DP_IS_SYSTEM (system));
  g_return_if_fail (group != NULL && key != NULL);

  if (error == NULL || *error == NULL)
    return;
  cause = *error;
  *error = g_error_new (DP_ERROR, DP_ERROR_CONFIG, "%s= (line %u): %s", key,
                        dp_config_get_line (dp_system_get_config (system), group, key), cause->message);
  g_error_free (cause);
}

/**
 * dp_service_lookup_nodes:
 * @system: the system starting the service
 * @group: the service's keyfile group
 * @key: the key that names the nodes, such as `nodes`
 * @names: (array zero-terminated=1): its value: names of `[node NAME]`
 *   groups
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type DpRemoteNode): the nodes,
 *   in order, or %NULL with @error set (see
 *   [func@Dp.service_prefix_key_error]) if the keyfile has no group for
 *   one of the names
 */
GPtrArray *
dp_service_lookup_nodes (DpSystem            *system,
                         const char          *group,
                         const char          *key,
                         const char * const  *names,
                         GError             **error)
{
  g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (DP_IS_SYSTEM (system), NULL);
  g_return_val_if_fail (names != NULL, NULL);

  for (guint i = 0; names[i] != NULL; i++)
    {
      DpRemoteNode *node = dp_system_lookup_node (system, names[i]);

      if (node == NULL)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_CONFIG, "no [node %s] group", names[i]);
          dp_service_prefix_key_error (system, group, key, error);
          return NULL;
        }
      g_ptr_array_add (nodes, g_object_ref (node));
    }
  return g_steal_pointer (&nodes);
}

/**
 * dp_service_procedure_address:
 * @system: the system starting the service
 * @group: the service's keyfile group
 * @key: the key that names the procedure
 * @value: (nullable): its value: `MODULE:SYMBOL`, or `SYMBOL` in @module
 * @module: (nullable): the group's `module=`, for a @value that is a
 *   symbol alone
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the procedure's address
 *   (see [func@Dp.procedure_address_parse]); %NULL with @error set (see
 *   [func@Dp.service_prefix_key_error]) if it is not one, and %NULL
 *   without an error if @value is %NULL or empty
 */
char *
dp_service_procedure_address (DpSystem    *system,
                              const char  *group,
                              const char  *key,
                              const char  *value,
                              const char  *module,
                              GError     **error)
{
  g_autofree char *address = NULL;

  g_return_val_if_fail (DP_IS_SYSTEM (system), NULL);

  if (value == NULL || value[0] == '\0')
    return NULL;
  if (strchr (value, ':') != NULL)
    address = g_strdup (value);
  else if (module != NULL && module[0] != '\0')
    address = g_strconcat (module, ":", value, NULL);
  else
    {
      g_set_error (error, DP_ERROR, DP_ERROR_CONFIG, "“%s”: give MODULE:SYMBOL, or the module in module=",
                   value);
      dp_service_prefix_key_error (system, group, key, error);
      return NULL;
    }
  if (!dp_procedure_address_parse (address, NULL, NULL, error))
    {
      dp_service_prefix_key_error (system, group, key, error);
      return NULL;
    }
  return g_steal_pointer (&address);
}

typedef struct {
  DpSystem *system;
  char *what;
  gboolean print_result;
  DpServiceJobFunc func;
  gpointer data;
  GDestroyNotify destroy;
} ServiceJob;

static void
service_job_free (gpointer data)
{
  ServiceJob *job = data;

  if (job->destroy != NULL)
    job->destroy (job->data);
  g_object_unref (job->system);
  g_free (job->what);
  g_free (job);
}

static void
service_job_thread (GTask        *task,
                    gpointer      source,
                    gpointer      data,
                    GCancellable *cancellable)
{
  ServiceJob *job = data;
  GError *error = NULL;
  GVariant *result = job->func (DP_SERVICE (source), job->data, cancellable, &error);

  if (result == NULL && error == NULL)
    g_set_error (&error, DP_ERROR, DP_ERROR_FAILED, "it gave nothing, and no error");
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) g_variant_unref);
}

/* On the system's loop: the job is done. */
static void
service_job_done_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      data)
{
  ServiceJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = g_task_propagate_pointer (G_TASK (result), &error);

  if (value == NULL)
    {
      /* Cancelled: the system ended first, and says so itself. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *line = g_strdup_printf ("%s failed: %s", job->what, error->message);

          dp_log_message (DP_LOG_WARNING, line);
          dp_system_exit (job->system, 1);
        }
    }
  else if (job->print_result)
    {
      g_autofree char *text = g_variant_print (value, FALSE);

      printf ("%s\n", text);
      fflush (stdout);
    }

  dp_system_release (job->system);
}

/**
 * dp_service_run_job:
 * @service: a service, from its start
 * @system: the system it starts in
 * @what: the job, for the log: `[mapreduce] map-reduce`
 * @print_result: print what the job gives on standard output, in GVariant
 *   text
 * @func: (scope notified): the job
 * @data: (closure func): its data
 * @destroy: (nullable) (destroy func): frees @data once the job is done
 * @cancellable: (nullable): cancels the job: a cancelled job ends quietly
 *
 * Runs a service's one-shot job — a keyfile's map-reduce, its NDP work —
 * the way `dplaces run` wants it: the system is held
 * ([method@Dp.System.hold]) while @func runs in a thread of its own; then,
 * on the system's loop, a failure is logged as `WHAT failed: MESSAGE` and
 * ends the system with status 1, what the job gave is printed if
 * @print_result, and the system is released.
 */
void
dp_service_run_job (DpService        *service,
                    DpSystem         *system,
                    const char       *what,
                    gboolean          print_result,
                    DpServiceJobFunc  func,
                    gpointer          data,
                    GDestroyNotify    destroy,
                    GCancellable     *cancellable)
{
  GMainContext *context;
  g_autoptr(GTask) task = NULL;
  ServiceJob *job;

  g_return_if_fail (DP_IS_SERVICE (service));
  g_return_if_fail (DP_IS_SYSTEM (system));
  g_return_if_fail (what != NULL && func != NULL);

  job = g_new0 (ServiceJob, 1);
  job->system = g_object_ref (system);
  job->what = g_strdup (what);
  job->print_result = print_result;
  job->func = func;
  job->data = data;
  job->destroy = destroy;

  dp_system_hold (system);
  context = dp_node_get_context (dp_system_get_node (system));
  g_main_context_push_thread_default (context);
  task = g_task_new (service, cancellable, service_job_done_cb, NULL);
  g_main_context_pop_thread_default (context);
  g_task_set_source_tag (task, dp_service_run_job);
  g_task_set_task_data (task, job, service_job_free);
  g_task_run_in_thread (task, service_job_thread);
}
