/* dp-restart-strategy.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-supervision"

#include "config.h"

#include "dp-enum-types.h"
#include "dp-error.h"
#include "dp-plugin-registry.h"
#include "dp-restart-strategy.h"

/**
 * DpRestartStrategy:
 *
 * Decides, each time a supervised child ends — a place, a node, a thread,
 * an external process —, whether it is started again and after how long,
 * and when to give up. Supervisors ask it
 * ([method@Dp.RestartStrategy.decide]), wait the delay on a main loop, and
 * start the child again; when it gives up they emit
 * #DpRestartStrategy::gave-up, once per child, and run the child's
 * `on-final-fail`.
 *
 * The strategies: `never`, `always` (the seeds' `#:restart-on-exit #t`),
 * `restarter` ([class@Dp.Restarter], the seeds' `restart-every`),
 * `backoff` (exponential, with jitter and a cap), `intensity` (Erlang's
 * restart intensity) and `function` (a [callback@Dp.RestartFunc] exported
 * by a module). `dplaces inspect` lists them and their keys.
 */

enum {
  SIGNAL_GAVE_UP,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_INTERFACE (DpRestartStrategy, dp_restart_strategy, G_TYPE_OBJECT)

static void
dp_restart_strategy_default_init (DpRestartStrategyInterface *iface)
{
  /**
   * DpRestartStrategy::gave-up:
   * @self: the strategy
   * @child: the child given up on (`place NAME`, `node HOST:PORT`…)
   * @decision: %DP_RESTART_DECISION_GIVE_UP or
   *   %DP_RESTART_DECISION_ESCALATE
   * @reason: how the child last ended
   *
   * The strategy gave up on @child: the seeds' `on-final-fail`. Emitted
   * once per child, by its supervisor, in the main context the supervisor
   * runs on: the root node's loop for places a keyfile declares on the
   * root, the library's worker thread for remote places, nodes and
   * processes.
   */
  signals[SIGNAL_GAVE_UP] =
    g_signal_new ("gave-up", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, DP_TYPE_RESTART_DECISION, G_TYPE_STRING);
}

/**
 * dp_restart_strategy_new:
 * @name: a strategy plugin: `never`, `always`, `restarter`, `backoff`,
 *   `intensity`, `function`, or one of your own
 * @error: return location for a #GError
 *
 * Makes a strategy with default properties; set them with g_object_set().
 * `dp_restart_strategy_new ("always", NULL)` is the seeds'
 * `#:restart-on-exit #t`.
 *
 * Returns: (transfer full): the strategy, or %NULL with @error set if
 *   there is no such plugin
 */
DpRestartStrategy *
dp_restart_strategy_new (const char  *name,
                         GError     **error)
{
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return dp_plugin_registry_create (dp_plugin_registry_get_default (),
                                    DP_RESTART_STRATEGY_EXTENSION_POINT_NAME, name, error);
}

/**
 * dp_restart_strategy_decide:
 * @self: a strategy
 * @info: the child that ended
 * @out_delay_us: (out) (optional): for %DP_RESTART_DECISION_RESTART, how
 *   long to wait before starting it again, in microseconds
 *
 * Asks @self what to do about a child that ended. A pure function of
 * @info and what @self counted so far: a test drives it with made-up
 * times, with no clock involved.
 *
 * Returns: the decision
 */
DpRestartDecision
dp_restart_strategy_decide (DpRestartStrategy   *self,
                            const DpRestartInfo *info,
                            gint64              *out_delay_us)
{
  DpRestartStrategyInterface *iface;
  DpRestartDecision decision;
  gint64 delay = 0;

  g_return_val_if_fail (DP_IS_RESTART_STRATEGY (self), DP_RESTART_DECISION_STOP);
  g_return_val_if_fail (info != NULL, DP_RESTART_DECISION_STOP);

  iface = DP_RESTART_STRATEGY_GET_IFACE (self);
  g_return_val_if_fail (iface->decide != NULL, DP_RESTART_DECISION_STOP);

  decision = iface->decide (self, info, &delay);
  if (decision > DP_RESTART_DECISION_ESCALATE)
    {
      g_warning ("Restart strategy %s returned an unknown decision %d: giving up on %s",
                 G_OBJECT_TYPE_NAME (self), decision, info->name);
      decision = DP_RESTART_DECISION_GIVE_UP;
    }
  if (out_delay_us != NULL)
    *out_delay_us = decision == DP_RESTART_DECISION_RESTART ? MAX (delay, 0) : 0;
  return decision;
}

/**
 * dp_restart_strategy_reset:
 * @self: a strategy
 *
 * Forgets what @self counted: retries, recent restarts, the current
 * back-off.
 */
void
dp_restart_strategy_reset (DpRestartStrategy *self)
{
  DpRestartStrategyInterface *iface;

  g_return_if_fail (DP_IS_RESTART_STRATEGY (self));

  iface = DP_RESTART_STRATEGY_GET_IFACE (self);
  if (iface->reset != NULL)
    iface->reset (self);
}

/**
 * dp_restart_strategy_gave_up:
 * @self: a strategy
 * @info: the child given up on
 * @decision: %DP_RESTART_DECISION_GIVE_UP or %DP_RESTART_DECISION_ESCALATE
 *
 * For supervisors: emits #DpRestartStrategy::gave-up for @info's child.
 */
void
dp_restart_strategy_gave_up (DpRestartStrategy   *self,
                             const DpRestartInfo *info,
                             DpRestartDecision    decision)
{
  g_return_if_fail (DP_IS_RESTART_STRATEGY (self));
  g_return_if_fail (info != NULL);

  g_signal_emit (self, signals[SIGNAL_GAVE_UP], 0, info->name, decision,
                 info->exit_reason != NULL ? info->exit_reason : "ended");
}

/**
 * dp_restart_decision_to_string:
 * @decision: a decision
 *
 * Returns: its name, for messages: `restart`, `stop`, `give-up`, `escalate`
 */
const char *
dp_restart_decision_to_string (DpRestartDecision decision)
{
  switch (decision)
    {
    case DP_RESTART_DECISION_RESTART:
      return "restart";
    case DP_RESTART_DECISION_STOP:
      return "stop";
    case DP_RESTART_DECISION_GIVE_UP:
      return "give-up";
    case DP_RESTART_DECISION_ESCALATE:
      return "escalate";
    default:
      return "unknown";
    }
}
