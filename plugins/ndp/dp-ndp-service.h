/* dp-ndp-service.h: the [ndp] group of a keyfile
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dp-ndp.h"

G_BEGIN_DECLS

#define DP_TYPE_NDP_SERVICE (dp_ndp_service_get_type ())
G_DECLARE_FINAL_TYPE (DpNdpService, dp_ndp_service, DP, NDP_SERVICE, GObject)

void dp_ndp_service_register (GTypeModule *module);

G_END_DECLS
