/* dp-never-strategy.c: the `never` restart strategy
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-supervision"

#include "config.h"

#include "dp-never-strategy.h"
#include "dp-restart-plugin.h"

/* DpNeverStrategy: a child that ends stays ended, and that is not a
 * failure — the seeds' `#:restart-on-exit #f`, spelled out, so that a
 * keyfile can say so (restart=never). */

struct _DpNeverStrategy
{
  GObject parent_instance;
};

static void dp_never_strategy_restart_strategy_init (DpRestartStrategyInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (DpNeverStrategy, dp_never_strategy, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (DP_TYPE_RESTART_STRATEGY,
                                                               dp_never_strategy_restart_strategy_init))

static DpRestartDecision
dp_never_strategy_decide (DpRestartStrategy   *strategy,
                          const DpRestartInfo *info,
                          gint64              *out_delay_us)
{
  return DP_RESTART_DECISION_STOP;
}

static void
dp_never_strategy_restart_strategy_init (DpRestartStrategyInterface *iface)
{
  iface->decide = dp_never_strategy_decide;
}

static void
dp_never_strategy_class_init (DpNeverStrategyClass *klass)
{
}

static void
dp_never_strategy_class_finalize (DpNeverStrategyClass *klass)
{
}

static void
dp_never_strategy_init (DpNeverStrategy *self)
{
}

void
dp_restart_plugin_load (GIOModule *module)
{
  dp_never_strategy_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (DP_RESTART_STRATEGY_EXTENSION_POINT_NAME,
                                  DP_TYPE_NEVER_STRATEGY, "never", 10);
  dp_plugin_set_description (DP_TYPE_NEVER_STRATEGY,
                             "Never restarts: a child that ends stays ended, and that is not a "
                             "failure (on-final-fail does not run).");
}
