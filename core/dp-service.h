/* dp-service.h: a framework a keyfile starts — the interface service
 * plugins implement
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _DpSystem DpSystem;

/**
 * DP_SERVICE_EXTENSION_POINT_NAME:
 *
 * The extension point service plugins implement [iface@Dp.Service] under.
 */
#define DP_SERVICE_EXTENSION_POINT_NAME "dplaces-service"

#define DP_TYPE_SERVICE (dp_service_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (DpService, dp_service, DP, SERVICE, GObject)

/**
 * DpServiceInterface:
 * @start: starts the service in @system, once its nodes and places run
 *   and before its loop does. A service with work to finish holds the
 *   system (dp_system_hold()) until it is done.
 * @stop: (nullable): stops it, when the system ends
 *
 * A framework started by a keyfile group named after the plugin — `[rmpi]`,
 * `[mapreduce]`, `[http]` — with the plugin's writable properties as the
 * group's keys: what `dplaces run` runs besides places and timers.
 */
struct _DpServiceInterface
{
  GTypeInterface parent_iface;

  gboolean (*start) (DpService  *self,
                     DpSystem   *system,
                     GError    **error);
  void     (*stop)  (DpService  *self);

  /*< private >*/
  gpointer padding[8];
};

DP_AVAILABLE_IN_ALL
gboolean dp_service_start (DpService  *self,
                           DpSystem   *system,
                           GError    **error);
DP_AVAILABLE_IN_ALL
void     dp_service_stop  (DpService  *self);

/* What services share: their keyfile group's keys, and a one-shot job. */

DP_AVAILABLE_IN_ALL
void       dp_service_prefix_key_error  (DpSystem            *system,
                                         const char          *group,
                                         const char          *key,
                                         GError             **error);
DP_AVAILABLE_IN_ALL
GPtrArray *dp_service_lookup_nodes      (DpSystem            *system,
                                         const char          *group,
                                         const char          *key,
                                         const char * const  *names,
                                         GError             **error);
DP_AVAILABLE_IN_ALL
char      *dp_service_procedure_address (DpSystem            *system,
                                         const char          *group,
                                         const char          *key,
                                         const char          *value,
                                         const char          *module,
                                         GError             **error);

/**
 * DpServiceJobFunc:
 * @service: the service that runs the job
 * @data: the data given to [func@Dp.service_run_job]
 * @cancellable: (nullable): the job's cancellable
 * @error: return location for a #GError
 *
 * A service's job. It runs in a thread of its own and may block.
 *
 * Returns: (transfer full): what the job gives, or %NULL with @error set
 */
typedef GVariant * (*DpServiceJobFunc) (DpService     *service,
                                        gpointer       data,
                                        GCancellable  *cancellable,
                                        GError       **error);

DP_AVAILABLE_IN_ALL
void       dp_service_run_job           (DpService           *service,
                                         DpSystem            *system,
                                         const char          *what,
                                         gboolean             print_result,
                                         DpServiceJobFunc     func,
                                         gpointer             data,
                                         GDestroyNotify       destroy,
                                         GCancellable        *cancellable);

G_END_DECLS
