/* dp-supervise-process.h: an external command supervised on some host
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"

#include "dp-spawned-process.h"

G_BEGIN_DECLS

DP_AVAILABLE_IN_ALL
DpSpawnedProcess *dp_supervise_process_at (const char          *hostname,
                                           const char * const  *argv,
                                           GError             **error);
DP_AVAILABLE_IN_ALL
DpSpawnedProcess *dp_supervise_process_at_full (const char          *hostname,
                                                const char * const  *argv,
                                                DpRestartStrategy   *restart_on_exit,
                                                GError             **error);

G_END_DECLS
