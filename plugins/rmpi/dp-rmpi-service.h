/* dp-rmpi-service.h: the [rmpi] keyfile group — an RMPI job run by
 * `dplaces run`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DP_RMPI_INSIDE) && !defined(DP_RMPI_COMPILATION)
#error "Only <dplaces/dp-rmpi.h> can be included directly."
#endif

#include <dplaces/dplaces.h>

#include "dp-rmpi-macros.h"

G_BEGIN_DECLS

#define DP_TYPE_RMPI_SERVICE (dp_rmpi_service_get_type ())
DP_RMPI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpRmpiService, dp_rmpi_service, DP, RMPI_SERVICE, GObject)

void dp_rmpi_service_register (GTypeModule *module);

G_END_DECLS
