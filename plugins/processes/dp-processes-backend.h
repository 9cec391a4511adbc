/* dp-processes-backend.h: places as child processes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define DP_TYPE_PROCESSES_BACKEND (dp_processes_backend_get_type ())
G_DECLARE_FINAL_TYPE (DpProcessesBackend, dp_processes_backend, DP, PROCESSES_BACKEND, GObject)

void dp_processes_backend_register (GTypeModule *module);

G_MODULE_EXPORT int dp_processes_child_main (int         fd,
                                             const char *module,
                                             const char *function,
                                             const char *name);

G_END_DECLS
