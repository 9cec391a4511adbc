/* dp-restart-strategy.h: when and how soon to restart what died — the
 * interface restart strategy plugins implement
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
 * DP_RESTART_STRATEGY_EXTENSION_POINT_NAME:
 *
 * The extension point restart strategy plugins implement
 * [iface@Dp.RestartStrategy] under.
 */
#define DP_RESTART_STRATEGY_EXTENSION_POINT_NAME "dplaces-restart-strategy"

/**
 * DpRestartDecision:
 * @DP_RESTART_DECISION_RESTART: start the child again, after the delay the
 *   strategy gives
 * @DP_RESTART_DECISION_STOP: leave it ended; that is not a failure (the
 *   `never` strategy)
 * @DP_RESTART_DECISION_GIVE_UP: leave it ended because restarting it again
 *   is pointless (the retries ran out): `on-final-fail` runs
 * @DP_RESTART_DECISION_ESCALATE: give up, and let the failure reach the
 *   child's parent (Erlang's supervisor intensity): `on-final-fail` runs,
 *   then the parent fails too
 *
 * What a [iface@Dp.RestartStrategy] decides when a child ends.
 */
typedef enum {
  DP_RESTART_DECISION_RESTART,
  DP_RESTART_DECISION_STOP,
  DP_RESTART_DECISION_GIVE_UP,
  DP_RESTART_DECISION_ESCALATE,
} DpRestartDecision;

/**
 * DpRestartInfo:
 * @name: the child, for messages: `place NAME`, `node HOST:PORT`,
 *   `process COMMAND`
 * @started: when the instance that ended started, in
 *   g_get_monotonic_time() microseconds
 * @ended: when it ended: the strategy's "now", in the same clock
 * @exit_status: its completion value (128 + a signal for a killed process)
 * @exit_reason: (nullable): how it ended, in words
 * @n_restarts: how many times the supervisor restarted this child so far
 *
 * A child that ended, as a strategy sees it. Times come from the
 * supervisor, never from the strategy's own clock, so a strategy is a
 * function of what it is told: tests give it any times they like.
 */
typedef struct {
  const char *name;
  gint64 started;
  gint64 ended;
  gint exit_status;
  const char *exit_reason;
  guint n_restarts;

  /*< private >*/
  gpointer padding[4];
} DpRestartInfo;

#define DP_TYPE_RESTART_STRATEGY (dp_restart_strategy_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (DpRestartStrategy, dp_restart_strategy, DP, RESTART_STRATEGY, GObject)

/**
 * DpRestartStrategyInterface:
 * @decide: a child ended: decide whether to restart it and, if so, in how
 *   many microseconds (*@out_delay_us, 0 for at once). Counts what it needs
 *   to count (retries, recent restarts) in the instance.
 * @reset: (nullable): forgets what was counted, as if no child had ever
 *   ended
 *
 * A restart strategy: the seeds' `#:restart-on-exit` value (`#t`, a
 * `restarter%`, an object with a `restart` method). Plugins implement it
 * behind %DP_RESTART_STRATEGY_EXTENSION_POINT_NAME; their writable
 * properties are the keys a `[place NAME]` or `[node NAME]` group with
 * `restart=NAME` may set.
 *
 * A strategy keeps its counts in the instance, so one instance supervises
 * one child — a keyfile makes one per group. Given to several children,
 * an instance counts for all of them together (as one Erlang supervisor's
 * restart intensity covers all its children).
 */
struct _DpRestartStrategyInterface
{
  GTypeInterface parent_iface;

  DpRestartDecision (*decide) (DpRestartStrategy   *self,
                               const DpRestartInfo *info,
                               gint64              *out_delay_us);
  void              (*reset)  (DpRestartStrategy   *self);

  /*< private >*/
  gpointer padding[8];
};

/**
 * DpRestartFunc:
 * @strategy: the `function` strategy calling it; keep per-child state on
 *   it with g_object_set_data() if you need any
 * @info: the child that ended
 * @out_delay_us: (out): for %DP_RESTART_DECISION_RESTART, the delay in
 *   microseconds
 *
 * A restart strategy written as a function and exported by a module: the
 * seeds' restart procedure, or object with a `restart` method. The
 * `function` strategy plugin (`restart=function`, `restart-module=`,
 * `restart-function=`) calls it each time the child ends.
 *
 * Returns: what to do
 */
typedef DpRestartDecision (*DpRestartFunc) (DpRestartStrategy   *strategy,
                                            const DpRestartInfo *info,
                                            gint64              *out_delay_us);

DP_AVAILABLE_IN_ALL
DpRestartStrategy *dp_restart_strategy_new     (const char          *name,
                                                GError             **error);
DP_AVAILABLE_IN_ALL
DpRestartDecision  dp_restart_strategy_decide  (DpRestartStrategy   *self,
                                                const DpRestartInfo *info,
                                                gint64              *out_delay_us);
DP_AVAILABLE_IN_ALL
void               dp_restart_strategy_reset   (DpRestartStrategy   *self);
DP_AVAILABLE_IN_ALL
void               dp_restart_strategy_gave_up (DpRestartStrategy   *self,
                                                const DpRestartInfo *info,
                                                DpRestartDecision    decision);
DP_AVAILABLE_IN_ALL
const char        *dp_restart_decision_to_string (DpRestartDecision  decision);

G_END_DECLS
