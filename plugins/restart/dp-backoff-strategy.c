/* dp-backoff-strategy.c: the `backoff` restart strategy
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-supervision"

#include "config.h"

#include <math.h>

#include "dp-backoff-strategy.h"
#include "dp-restart-plugin.h"

/* DpBackoffStrategy: exponential back-off with jitter and a cap. The n-th
 * restart in a row (from 0) waits
 *
 *   min (max-delay, initial-delay × factor^n) × (1 + jitter × u),  u in [-1, 1)
 *
 * clamped to [0, max-delay]. A child that stayed alive reset-after seconds
 * starts the sequence again; after retry restarts in a row (-1: no limit)
 * the strategy gives up. The jitter spreads the restarts of many children
 * that died together; seed= makes it reproducible (0: a random seed). */

struct _DpBackoffStrategy
{
  GObject parent_instance;

  gdouble initial_delay;
  gdouble factor;
  gdouble max_delay;
  gdouble jitter;
  gdouble reset_after;
  gint retry;
  guint seed;

  GRand *rand;
  guint attempts;
};

enum {
  PROP_0,
  PROP_INITIAL_DELAY,
  PROP_FACTOR,
  PROP_MAX_DELAY,
  PROP_JITTER,
  PROP_RESET_AFTER,
  PROP_RETRY,
  PROP_SEED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void dp_backoff_strategy_restart_strategy_init (DpRestartStrategyInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (DpBackoffStrategy, dp_backoff_strategy, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (DP_TYPE_RESTART_STRATEGY,
                                                               dp_backoff_strategy_restart_strategy_init))

static DpRestartDecision
dp_backoff_strategy_decide (DpRestartStrategy   *strategy,
                            const DpRestartInfo *info,
                            gint64              *out_delay_us)
{
  DpBackoffStrategy *self = DP_BACKOFF_STRATEGY (strategy);
  gdouble uptime = (info->ended - info->started) / (gdouble) G_USEC_PER_SEC;
  gdouble delay;

  if (uptime >= self->reset_after)
    self->attempts = 0;
  if (self->retry >= 0 && self->attempts >= (guint) self->retry)
    return DP_RESTART_DECISION_GIVE_UP;

  delay = MIN (self->max_delay, self->initial_delay * pow (self->factor, self->attempts));
  if (self->jitter > 0)
    {
      if (self->rand == NULL)
        self->rand = self->seed != 0 ? g_rand_new_with_seed (self->seed) : g_rand_new ();
      delay *= 1 + self->jitter * (2 * g_rand_double (self->rand) - 1);
    }
  delay = CLAMP (delay, 0, self->max_delay);
  self->attempts++;

  g_debug ("%s: back-off restart %u in %.3f s", info->name, self->attempts, delay);
  *out_delay_us = (gint64) (delay * G_USEC_PER_SEC);
  return DP_RESTART_DECISION_RESTART;
}

static void
dp_backoff_strategy_reset (DpRestartStrategy *strategy)
{
  DpBackoffStrategy *self = DP_BACKOFF_STRATEGY (strategy);

  self->attempts = 0;
  g_clear_pointer (&self->rand, g_rand_free);
}

static void
dp_backoff_strategy_restart_strategy_init (DpRestartStrategyInterface *iface)
{
  iface->decide = dp_backoff_strategy_decide;
  iface->reset = dp_backoff_strategy_reset;
}

static void
dp_backoff_strategy_finalize (GObject *object)
{
  DpBackoffStrategy *self = DP_BACKOFF_STRATEGY (object);

  g_clear_pointer (&self->rand, g_rand_free);

  G_OBJECT_CLASS (dp_backoff_strategy_parent_class)->finalize (object);
}

static void
dp_backoff_strategy_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  DpBackoffStrategy *self = DP_BACKOFF_STRATEGY (object);

  switch (prop_id)
    {
    case PROP_INITIAL_DELAY:
      g_value_set_double (value, self->initial_delay);
      break;
    case PROP_FACTOR:
      g_value_set_double (value, self->factor);
      break;
    case PROP_MAX_DELAY:
      g_value_set_double (value, self->max_delay);
      break;
    case PROP_JITTER:
      g_value_set_double (value, self->jitter);
      break;
    case PROP_RESET_AFTER:
      g_value_set_double (value, self->reset_after);
      break;
    case PROP_RETRY:
      g_value_set_int (value, self->retry);
      break;
    case PROP_SEED:
      g_value_set_uint (value, self->seed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_backoff_strategy_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  DpBackoffStrategy *self = DP_BACKOFF_STRATEGY (object);

  switch (prop_id)
    {
    case PROP_INITIAL_DELAY:
      self->initial_delay = g_value_get_double (value);
      break;
    case PROP_FACTOR:
      self->factor = g_value_get_double (value);
      break;
    case PROP_MAX_DELAY:
      self->max_delay = g_value_get_double (value);
      break;
    case PROP_JITTER:
      self->jitter = g_value_get_double (value);
      break;
    case PROP_RESET_AFTER:
      self->reset_after = g_value_get_double (value);
      break;
    case PROP_RETRY:
      self->retry = g_value_get_int (value);
      break;
    case PROP_SEED:
      self->seed = g_value_get_uint (value);
      g_clear_pointer (&self->rand, g_rand_free);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_backoff_strategy_class_init (DpBackoffStrategyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS;

  object_class->finalize = dp_backoff_strategy_finalize;
  object_class->get_property = dp_backoff_strategy_get_property;
  object_class->set_property = dp_backoff_strategy_set_property;

  properties[PROP_INITIAL_DELAY] =
    g_param_spec_double ("initial-delay", "Initial delay",
                         "Seconds before the first restart in a row",
                         0, 86400, 0.1, flags);
  properties[PROP_FACTOR] =
    g_param_spec_double ("factor", "Factor",
                         "How much longer each further restart in a row waits",
                         1, 1000, 2, flags);
  properties[PROP_MAX_DELAY] =
    g_param_spec_double ("max-delay", "Maximum delay",
                         "The cap: no restart waits longer than this many seconds, jitter "
                         "included",
                         0, 86400, 30, flags);
  properties[PROP_JITTER] =
    g_param_spec_double ("jitter", "Jitter",
                         "Spread each delay by up to this fraction of it, either way "
                         "(0.1: ±10 %)",
                         0, 1, 0.1, flags);
  properties[PROP_RESET_AFTER] =
    g_param_spec_double ("reset-after", "Reset after",
                         "Seconds a child must stay alive for the back-off to start again "
                         "from initial-delay",
                         0, G_MAXDOUBLE / G_USEC_PER_SEC, 10, flags);
  properties[PROP_RETRY] =
    g_param_spec_int ("retry", "Retry",
                      "How many restarts in a row before giving up and running "
                      "on-final-fail; -1 for no limit",
                      -1, G_MAXINT, -1, flags);
  properties[PROP_SEED] =
    g_param_spec_uint ("seed", "Seed",
                       "Seed of the jitter's random numbers, for reproducible delays; 0 for "
                       "a random seed",
                       0, G_MAXUINT, 0, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_backoff_strategy_class_finalize (DpBackoffStrategyClass *klass)
{
}

static void
dp_backoff_strategy_init (DpBackoffStrategy *self)
{
}

void
dp_restart_plugin_load (GIOModule *module)
{
  dp_backoff_strategy_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (DP_RESTART_STRATEGY_EXTENSION_POINT_NAME,
                                  DP_TYPE_BACKOFF_STRATEGY, "backoff", 10);
  dp_plugin_set_description (DP_TYPE_BACKOFF_STRATEGY,
                             "Exponential back-off: the n-th restart in a row waits "
                             "initial-delay x factor^n seconds, spread by jitter=, capped at "
                             "max-delay=; gives up after retry= restarts in a row.");
}
