/* dp-monitor.h: what happens in this process, for a control plane
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

/**
 * DP_MONITOR_EVENT_NODE_UP:
 *
 * A node this process connected to (or spawned) is up. Details: `node`
 * (s, `host:port`), `pid` (i, when this process spawned it).
 */
#define DP_MONITOR_EVENT_NODE_UP "node-up"
/**
 * DP_MONITOR_EVENT_NODE_DOWN:
 *
 * The connection to a node broke. Details: `node` (s), `reason` (s),
 * `restarting` (b: its restart strategy spawns it again).
 */
#define DP_MONITOR_EVENT_NODE_DOWN "node-down"
/**
 * DP_MONITOR_EVENT_NODE_RESTART:
 *
 * A node that died was spawned again. Details: `node` (s), `restarts` (u),
 * `delay` (d: the seconds its supervisor waited first — its restart
 * strategy's delay, or more where the storm guard held it back).
 */
#define DP_MONITOR_EVENT_NODE_RESTART "node-restart"
/**
 * DP_MONITOR_EVENT_PLACE_START:
 *
 * A place started. Details: `place` (s), `node` (s: where it runs),
 * `module`, `function` (s), `backend` (s, places of this process).
 */
#define DP_MONITOR_EVENT_PLACE_START "place-start"
/**
 * DP_MONITOR_EVENT_PLACE_EXIT:
 *
 * A place ended. Details: `place` (s), `node` (s), `status` (i, its
 * completion value), `reason` (s).
 */
#define DP_MONITOR_EVENT_PLACE_EXIT "place-exit"
/**
 * DP_MONITOR_EVENT_PLACE_RESTART:
 *
 * A supervised place was started again. Details: `place` (s), `node` (s),
 * `restarts` (u), `delay` (d: the seconds its supervisor waited first, or
 * its node's when it was started again with its node).
 */
#define DP_MONITOR_EVENT_PLACE_RESTART "place-restart"
/**
 * DP_MONITOR_EVENT_CHANNEL_BUSY:
 *
 * A put on a channel to another process waits: its receiver has not yet
 * consumed a window's worth of what was sent (a slow consumer; the
 * seeds' places never wait, see `docs/ARCHITECTURE.md`, flow control).
 * Emitted on the putting thread as the put starts waiting, at most once
 * a second per channel. Details: `peer` (s: who is on the other side of
 * the connection), `channel` (u: the channel's id on it), `in-flight` (t:
 * bytes sent and not yet consumed), `window` (t).
 */
#define DP_MONITOR_EVENT_CHANNEL_BUSY "channel-busy"
/**
 * DP_MONITOR_EVENT_LOG:
 *
 * A log line (see [method@Dp.Monitor.add_log]). Details: `level` (s:
 * `error`, `critical`, `warning`, `message`, `info` or `debug`; a place's
 * line from [func@Dp.log_message] its own severity, `fatal` to
 * `debug`), `domain` (s), `message` (s).
 */
#define DP_MONITOR_EVENT_LOG "log"

/**
 * DpMonitorJobsFunc:
 * @user_data: the data given to [method@Dp.Monitor.add_job_source]
 *
 * Describes the long jobs a framework runs in this process. Called from
 * any thread, without the monitor's lock held.
 *
 * Returns: (transfer full): an `aa{sv}`, one dictionary per job, with at
 *   least `id` (s), `state` (s), `done` and `total` (t: units of work)
 */
typedef GVariant * (*DpMonitorJobsFunc) (gpointer user_data);

#define DP_TYPE_MONITOR (dp_monitor_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpMonitor, dp_monitor, DP, MONITOR, GObject)

DP_AVAILABLE_IN_ALL
DpMonitor *dp_monitor_get_default        (void);
DP_AVAILABLE_IN_ALL
void       dp_monitor_emit               (DpMonitor        *self,
                                          const char       *kind,
                                          GVariant         *details);
DP_AVAILABLE_IN_ALL
void       dp_monitor_add_log            (DpMonitor        *self,
                                          GLogLevelFlags    level,
                                          const GLogField  *fields,
                                          gsize             n_fields);
DP_AVAILABLE_IN_ALL
GVariant  *dp_monitor_dup_events         (DpMonitor        *self,
                                          guint64           after);
DP_AVAILABLE_IN_ALL
GVariant  *dp_monitor_dup_logs           (DpMonitor        *self,
                                          guint64           after);
DP_AVAILABLE_IN_ALL
guint      dp_monitor_add_job_source     (DpMonitor        *self,
                                          const char       *framework,
                                          DpMonitorJobsFunc func,
                                          gpointer          user_data,
                                          GDestroyNotify    destroy);
DP_AVAILABLE_IN_ALL
void       dp_monitor_remove_job_source  (DpMonitor        *self,
                                          guint             id);
DP_AVAILABLE_IN_ALL
guint      dp_monitor_add_job            (DpMonitor        *self,
                                          const char       *framework,
                                          gpointer          job);
DP_AVAILABLE_IN_ALL
GPtrArray *dp_monitor_list_jobs          (DpMonitor        *self,
                                          const char       *framework);
DP_AVAILABLE_IN_ALL
GVariant  *dp_monitor_dup_jobs           (DpMonitor        *self);

G_END_DECLS
