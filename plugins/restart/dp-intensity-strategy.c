/* dp-intensity-strategy.c: the `intensity` restart strategy (Erlang's)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-supervision"

#include "config.h"

#include "dp-intensity-strategy.h"
#include "dp-restart-plugin.h"

/* DpIntensityStrategy: Erlang/OTP's supervisor restart intensity. The
 * child is restarted (after delay seconds, 0 by default) as long as it
 * was restarted fewer than max-restarts times in the last period seconds;
 * one more death within the period and the strategy gives up and
 * escalates: on-final-fail runs and the failure goes to the child's
 * parent — for everything a keyfile supervises, the system itself, which
 * then exits with status 1 (or on-final-fail-exit's). escalate=false only
 * gives up. */

struct _DpIntensityStrategy
{
  GObject parent_instance;

  guint max_restarts;
  gdouble period;
  gdouble delay;
  gboolean escalate;

  GArray *restarts;     /* gint64: when the restarted deaths happened */
};

enum {
  PROP_0,
  PROP_MAX_RESTARTS,
  PROP_PERIOD,
  PROP_DELAY,
  PROP_ESCALATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void dp_intensity_strategy_restart_strategy_init (DpRestartStrategyInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (DpIntensityStrategy, dp_intensity_strategy, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (DP_TYPE_RESTART_STRATEGY,
                                                               dp_intensity_strategy_restart_strategy_init))

static DpRestartDecision
dp_intensity_strategy_decide (DpRestartStrategy   *strategy,
                              const DpRestartInfo *info,
                              gint64              *out_delay_us)
{
  DpIntensityStrategy *self = DP_INTENSITY_STRATEGY (strategy);
  gint64 window_start = info->ended - (gint64) (self->period * G_USEC_PER_SEC);
  guint old = 0;

  /* Forget the restarts that fell out of the period. */
  while (old < self->restarts->len && g_array_index (self->restarts, gint64, old) <= window_start)
    old++;
  g_array_remove_range (self->restarts, 0, old);

  if (self->restarts->len >= self->max_restarts)
    {
      g_debug ("%s: %u restarts in %g s already", info->name, self->restarts->len, self->period);
      return self->escalate ? DP_RESTART_DECISION_ESCALATE : DP_RESTART_DECISION_GIVE_UP;
    }

  g_array_append_val (self->restarts, info->ended);
  *out_delay_us = (gint64) (self->delay * G_USEC_PER_SEC);
  return DP_RESTART_DECISION_RESTART;
}

static void
dp_intensity_strategy_reset (DpRestartStrategy *strategy)
{
  DpIntensityStrategy *self = DP_INTENSITY_STRATEGY (strategy);

  g_array_set_size (self->restarts, 0);
}

static void
dp_intensity_strategy_restart_strategy_init (DpRestartStrategyInterface *iface)
{
  iface->decide = dp_intensity_strategy_decide;
  iface->reset = dp_intensity_strategy_reset;
}

static void
dp_intensity_strategy_finalize (GObject *object)
{
  DpIntensityStrategy *self = DP_INTENSITY_STRATEGY (object);

  g_array_unref (self->restarts);

  G_OBJECT_CLASS (dp_intensity_strategy_parent_class)->finalize (object);
}

static void
dp_intensity_strategy_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  DpIntensityStrategy *self = DP_INTENSITY_STRATEGY (object);

  switch (prop_id)
    {
    case PROP_MAX_RESTARTS:
      g_value_set_uint (value, self->max_restarts);
      break;
    case PROP_PERIOD:
      g_value_set_double (value, self->period);
      break;
    case PROP_DELAY:
      g_value_set_double (value, self->delay);
      break;
    case PROP_ESCALATE:
      g_value_set_boolean (value, self->escalate);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_intensity_strategy_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  DpIntensityStrategy *self = DP_INTENSITY_STRATEGY (object);

  switch (prop_id)
    {
    case PROP_MAX_RESTARTS:
      self->max_restarts = g_value_get_uint (value);
      break;
    case PROP_PERIOD:
      self->period = g_value_get_double (value);
      break;
    case PROP_DELAY:
      self->delay = g_value_get_double (value);
      break;
    case PROP_ESCALATE:
      self->escalate = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_intensity_strategy_class_init (DpIntensityStrategyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS;

  object_class->finalize = dp_intensity_strategy_finalize;
  object_class->get_property = dp_intensity_strategy_get_property;
  object_class->set_property = dp_intensity_strategy_set_property;

  properties[PROP_MAX_RESTARTS] =
    g_param_spec_uint ("max-restarts", "Maximum restarts",
                       "Erlang's intensity: more restarts than this within period= seconds "
                       "and the strategy gives up",
                       0, G_MAXINT, 3, flags);
  properties[PROP_PERIOD] =
    g_param_spec_double ("period", "Period",
                         "Erlang's period: the window, in seconds, in which restarts are "
                         "counted",
                         0, G_MAXDOUBLE / G_USEC_PER_SEC, 5, flags);
  properties[PROP_DELAY] =
    g_param_spec_double ("delay", "Delay",
                         "Seconds to wait before each restart",
                         0, 86400, 0, flags);
  properties[PROP_ESCALATE] =
    g_param_spec_boolean ("escalate", "Escalate",
                          "When giving up, fail the child's parent too (the system exits "
                          "with status 1 unless on-final-fail-exit= says otherwise)",
                          TRUE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_intensity_strategy_class_finalize (DpIntensityStrategyClass *klass)
{
}

static void
dp_intensity_strategy_init (DpIntensityStrategy *self)
{
  self->restarts = g_array_new (FALSE, FALSE, sizeof (gint64));
}

void
dp_restart_plugin_load (GIOModule *module)
{
  dp_intensity_strategy_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (DP_RESTART_STRATEGY_EXTENSION_POINT_NAME,
                                  DP_TYPE_INTENSITY_STRATEGY, "intensity", 10);
  dp_plugin_set_description (DP_TYPE_INTENSITY_STRATEGY,
                             "Erlang's restart intensity: restarts the child unless it was "
                             "restarted max-restarts= times within the last period= seconds; "
                             "then gives up and escalates to the parent.");
}
