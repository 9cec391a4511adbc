/* dp-always-strategy.c: the `always` restart strategy (#:restart-on-exit #t)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-supervision"

#include "config.h"

#include "dp-always-strategy.h"
#include "dp-restart-plugin.h"

/* DpAlwaysStrategy: the seeds' `#:restart-on-exit #t` — respawn the child
 * at once, every time, never give up.
 *
 * The storm guard: a child that dies within min-uptime seconds of its
 * start is a quick death. The first quick death is restarted at once too;
 * each further one in a row waits twice as long as the one before, from
 * 0.1 s up to max-delay: 0, 0.1, 0.2, 0.4 … max-delay. A child that comes
 * up and dies at once, forever, is therefore started six times in its
 * first two seconds and then once every max-delay seconds, not thousands
 * of times a second. One run that lasts min-uptime ends the streak. (The
 * supervisor adds its own floor: two starts of a child are never closer
 * than 0.1 s, whatever the strategy.) */

#define FIRST_BACKOFF_US (G_USEC_PER_SEC / 10)

struct _DpAlwaysStrategy
{
  GObject parent_instance;

  gdouble min_uptime;
  gdouble max_delay;
  guint quick_deaths;
};

enum {
  PROP_0,
  PROP_MIN_UPTIME,
  PROP_MAX_DELAY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void dp_always_strategy_restart_strategy_init (DpRestartStrategyInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (DpAlwaysStrategy, dp_always_strategy, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (DP_TYPE_RESTART_STRATEGY,
                                                               dp_always_strategy_restart_strategy_init))

static DpRestartDecision
dp_always_strategy_decide (DpRestartStrategy   *strategy,
                           const DpRestartInfo *info,
                           gint64              *out_delay_us)
{
  DpAlwaysStrategy *self = DP_ALWAYS_STRATEGY (strategy);
  gint64 uptime = info->ended - info->started;
  gint64 max_delay = (gint64) (self->max_delay * G_USEC_PER_SEC);
  gint64 delay = 0;

  if (uptime >= (gint64) (self->min_uptime * G_USEC_PER_SEC))
    self->quick_deaths = 0;
  else if (++self->quick_deaths > 1)
    {
      guint doublings = MIN (self->quick_deaths - 2, 40);

      delay = MIN (FIRST_BACKOFF_US << doublings, max_delay);
      g_debug ("%s died after %.3f s, %u times in a row: restarting in %.3f s", info->name,
               uptime / (gdouble) G_USEC_PER_SEC, self->quick_deaths,
               delay / (gdouble) G_USEC_PER_SEC);
    }

  *out_delay_us = delay;
  return DP_RESTART_DECISION_RESTART;
}

static void
dp_always_strategy_reset (DpRestartStrategy *strategy)
{
  DP_ALWAYS_STRATEGY (strategy)->quick_deaths = 0;
}

static void
dp_always_strategy_restart_strategy_init (DpRestartStrategyInterface *iface)
{
  iface->decide = dp_always_strategy_decide;
  iface->reset = dp_always_strategy_reset;
}

static void
dp_always_strategy_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  DpAlwaysStrategy *self = DP_ALWAYS_STRATEGY (object);

  switch (prop_id)
    {
    case PROP_MIN_UPTIME:
      g_value_set_double (value, self->min_uptime);
      break;
    case PROP_MAX_DELAY:
      g_value_set_double (value, self->max_delay);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_always_strategy_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  DpAlwaysStrategy *self = DP_ALWAYS_STRATEGY (object);

  switch (prop_id)
    {
    case PROP_MIN_UPTIME:
      self->min_uptime = g_value_get_double (value);
      break;
    case PROP_MAX_DELAY:
      self->max_delay = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_always_strategy_class_init (DpAlwaysStrategyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = dp_always_strategy_get_property;
  object_class->set_property = dp_always_strategy_set_property;

  properties[PROP_MIN_UPTIME] =
    g_param_spec_double ("min-uptime", "Minimum uptime",
                         "Seconds a child must stay alive for its death not to count as a "
                         "quick one; quick deaths in a row are restarted after 0, 0.1, 0.2, "
                         "0.4 … max-delay seconds (the storm guard)",
                         0, 86400, 1,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_DELAY] =
    g_param_spec_double ("max-delay", "Maximum delay",
                         "The longest wait, in seconds, before restarting a child that keeps "
                         "dying quickly",
                         0, 86400, 5,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_always_strategy_class_finalize (DpAlwaysStrategyClass *klass)
{
}

static void
dp_always_strategy_init (DpAlwaysStrategy *self)
{
}

void
dp_restart_plugin_load (GIOModule *module)
{
  dp_always_strategy_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (DP_RESTART_STRATEGY_EXTENSION_POINT_NAME,
                                  DP_TYPE_ALWAYS_STRATEGY, "always", 10);
  dp_plugin_set_description (DP_TYPE_ALWAYS_STRATEGY,
                             "#:restart-on-exit #t: restarts the child at once, every time, and "
                             "never gives up. Storm guard: a child that keeps dying within "
                             "min-uptime= is restarted after 0, 0.1, 0.2, 0.4 ... max-delay= "
                             "seconds.");
}
