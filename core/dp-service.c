/* dp-service.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dp-service.h"

/**
 * DpService:
 *
 * A framework plugin a keyfile starts: RPC servers, RMPI jobs, MapReduce
 * jobs, the HTTP control plane. Implemented under the
 * %DP_SERVICE_EXTENSION_POINT_NAME extension point; the plugin's name is
 * its keyfile group.
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
