/* dp-spawned-process.h: a process started for the system, its output
 * forwarded
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"

#include <gio/gio.h>

#include "dp-restart-strategy.h"

G_BEGIN_DECLS

#define DP_TYPE_SPAWNED_PROCESS (dp_spawned_process_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpSpawnedProcess, dp_spawned_process, DP, SPAWNED_PROCESS, GObject)

DP_AVAILABLE_IN_ALL
DpSpawnedProcess *dp_spawned_process_new        (const char * const *cmdline,
                                                 const char         *log_prefix,
                                                 GBytes             *input,
                                                 GError            **error);
DP_AVAILABLE_IN_ALL
DpSpawnedProcess *dp_spawned_process_new_full   (const char * const *cmdline,
                                                 const char         *log_prefix,
                                                 GBytes             *input,
                                                 DpRestartStrategy  *restart_on_exit,
                                                 GError            **error);
DP_AVAILABLE_IN_ALL
GPid              dp_spawned_process_get_pid    (DpSpawnedProcess   *self);
DP_AVAILABLE_IN_ALL
char             *dp_spawned_process_get_log_prefix (DpSpawnedProcess *self);
DP_AVAILABLE_IN_ALL
void              dp_spawned_process_set_log_prefix (DpSpawnedProcess *self,
                                                     const char       *log_prefix);
DP_AVAILABLE_IN_ALL
gboolean          dp_spawned_process_wait_ready (DpSpawnedProcess   *self,
                                                 guint               timeout_ms,
                                                 guint              *out_port,
                                                 GError            **error);
DP_AVAILABLE_IN_ALL
gint              dp_spawned_process_wait       (DpSpawnedProcess   *self);
DP_AVAILABLE_IN_ALL
gboolean          dp_spawned_process_wait_timeout (DpSpawnedProcess *self,
                                                   guint             timeout_ms);
DP_AVAILABLE_IN_ALL
gboolean          dp_spawned_process_wait_output_timeout (DpSpawnedProcess *self,
                                                          guint             timeout_ms);
DP_AVAILABLE_IN_ALL
gboolean          dp_spawned_process_has_exited (DpSpawnedProcess   *self);
DP_AVAILABLE_IN_ALL
const char       *dp_spawned_process_get_exit_reason (DpSpawnedProcess *self);
DP_AVAILABLE_IN_ALL
void              dp_spawned_process_kill       (DpSpawnedProcess   *self);
DP_AVAILABLE_IN_ALL
void              dp_spawned_process_stop       (DpSpawnedProcess   *self);
DP_AVAILABLE_IN_ALL
guint             dp_spawned_process_get_restarts (DpSpawnedProcess *self);

G_END_DECLS
