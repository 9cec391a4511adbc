/* dp-rmpi-launch.h: configuring and launching an RMPI program
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

DP_RMPI_AVAILABLE_IN_ALL
GVariant *dp_rmpi_build_default_config  (const char          *first_key,
                                         ...) G_GNUC_NULL_TERMINATED;
DP_RMPI_AVAILABLE_IN_ALL
GVariant *dp_rmpi_make_localhost_config (guint                cnt,
                                         guint                start_port,
                                         const char          *name);
DP_RMPI_AVAILABLE_IN_ALL
GVariant *dp_rmpi_make_remote_config    (const char * const  *hosts,
                                         guint                cnt,
                                         guint                start_port,
                                         const char          *name);
DP_RMPI_AVAILABLE_IN_ALL
GVariant *dp_rmpi_launch                (GVariant            *default_config,
                                         GVariant            *config,
                                         GError             **error);

G_END_DECLS
