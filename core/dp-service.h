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

#include <glib-object.h>

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

G_END_DECLS
