/* dp-restarter.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-supervision"

#include "config.h"

#include "dp-restarter.h"

/**
 * DpRestarter:
 *
 * The seeds' `restarter%` (a subclass of `after-seconds%`, as here of
 * [class@Dp.AfterSeconds]) and the `restarter` restart strategy: restarts
 * a child at most once every [property@Dp.AfterSeconds:seconds], at most
 * [property@Dp.Restarter:retry] times, and calls `on-final-fail` when the
 * retries run out. Make one with [func@Dp.restart_every] (the seeds'
 * `restart-every`) and give it to `#:restart-on-exit`.
 *
 * When a child ends, a restarter
 *
 * 1. forgets the retries counted so far if the child stayed alive at
 *    least [property@Dp.Restarter:retry-reset] (default 2 × seconds);
 * 2. gives up if it has retried [property@Dp.Restarter:retry] times
 *    already (-1: never gives up);
 * 3. otherwise counts a retry and restarts the child: at once if the
 *    previous restart is more than `seconds` ago (or there was none),
 *    else `seconds` from now — as Racket's `restarter%` does.
 *
 * So the seeds' restart example — a place that lives one second, under
 * `restart-every 5 #:retry 3` — starts at 0 s, 1 s, 7 s and 13 s and is
 * given up at 14 s. Racket checks the retry count before the reset; here
 * the reset comes first, so a child that ran long enough after its last
 * retry is restarted again, as the reference describes.
 *
 * A restarter keeps no timer of its own: its supervisor waits the delay.
 * Handing it to a message router as an [iface@Dp.EventContainer] is
 * harmless and does nothing.
 */

struct _DpRestarter
{
  DpAfterSeconds parent_instance;

  gint retry;
  gdouble retry_reset;          /* seconds; < 0: 2 × seconds */
  guint retries;
  gboolean attempted;
  gint64 last_attempt;          /* µs, in the supervisor's clock */

  DpTimerFunc on_final_fail;
  gpointer user_data;
  GDestroyNotify destroy;
};

enum {
  PROP_0,
  PROP_RETRY,
  PROP_RETRY_RESET,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void dp_restarter_restart_strategy_init (DpRestartStrategyInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DpRestarter, dp_restarter, DP_TYPE_AFTER_SECONDS,
                               G_IMPLEMENT_INTERFACE (DP_TYPE_RESTART_STRATEGY,
                                                      dp_restarter_restart_strategy_init))

static DpRestartDecision
dp_restarter_decide (DpRestartStrategy   *strategy,
                     const DpRestartInfo *info,
                     gint64              *out_delay_us)
{
  DpRestarter *self = DP_RESTARTER (strategy);
  gint64 period = (gint64) (dp_after_seconds_get_seconds (DP_AFTER_SECONDS (self)) * G_USEC_PER_SEC);
  gint64 reset = self->retry_reset < 0 ? 2 * period
                                       : (gint64) (self->retry_reset * G_USEC_PER_SEC);

  if (info->ended - info->started >= reset && self->retries > 0)
    {
      g_debug ("%s stayed up %.3f s: retries reset", info->name,
               (info->ended - info->started) / (gdouble) G_USEC_PER_SEC);
      self->retries = 0;
    }

  if (self->retry >= 0 && self->retries >= (guint) self->retry)
    {
      g_debug ("%s: already retried %d times", info->name, self->retry);
      return DP_RESTART_DECISION_GIVE_UP;
    }

  self->retries++;
  if (!self->attempted || info->ended - self->last_attempt > period)
    *out_delay_us = 0;
  else
    *out_delay_us = period;
  self->attempted = TRUE;
  self->last_attempt = info->ended + *out_delay_us;

  return DP_RESTART_DECISION_RESTART;
}

static void
dp_restarter_reset (DpRestartStrategy *strategy)
{
  DpRestarter *self = DP_RESTARTER (strategy);

  self->retries = 0;
  self->attempted = FALSE;
  self->last_attempt = 0;
}

static void
dp_restarter_restart_strategy_init (DpRestartStrategyInterface *iface)
{
  iface->decide = dp_restarter_decide;
  iface->reset = dp_restarter_reset;
}

static void
gave_up_cb (DpRestarter       *self,
            const char        *child,
            DpRestartDecision  decision,
            const char        *reason,
            gpointer           data)
{
  if (self->on_final_fail != NULL)
    self->on_final_fail (self->user_data);
}

/* Its supervisor does the waiting: the timer an after-seconds% fires has
 * nothing to do. */
static void
dp_restarter_fire (DpAfterSeconds *after_seconds)
{
}

static void
dp_restarter_finalize (GObject *object)
{
  DpRestarter *self = DP_RESTARTER (object);

  if (self->destroy != NULL)
    self->destroy (self->user_data);

  G_OBJECT_CLASS (dp_restarter_parent_class)->finalize (object);
}

static void
dp_restarter_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  DpRestarter *self = DP_RESTARTER (object);

  switch (prop_id)
    {
    case PROP_RETRY:
      g_value_set_int (value, self->retry);
      break;
    case PROP_RETRY_RESET:
      g_value_set_double (value, self->retry_reset);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_restarter_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  DpRestarter *self = DP_RESTARTER (object);

  switch (prop_id)
    {
    case PROP_RETRY:
      self->retry = g_value_get_int (value);
      break;
    case PROP_RETRY_RESET:
      self->retry_reset = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_restarter_class_init (DpRestarterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dp_restarter_finalize;
  object_class->get_property = dp_restarter_get_property;
  object_class->set_property = dp_restarter_set_property;
  DP_AFTER_SECONDS_CLASS (klass)->fire = dp_restarter_fire;

  /**
   * DpRestarter:retry:
   *
   * How many times to restart before giving up; -1 for no limit (the
   * seeds' `#:retry #f`).
   */
  properties[PROP_RETRY] =
    g_param_spec_int ("retry", "Retry",
                      "How many times to restart the child before giving up and running "
                      "on-final-fail; -1 for no limit (restart-every's #:retry)",
                      -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * DpRestarter:retry-reset:
   *
   * How long, in seconds, a child must stay alive for the retries to be
   * forgotten; -1 for twice [property@Dp.AfterSeconds:seconds].
   */
  properties[PROP_RETRY_RESET] =
    g_param_spec_double ("retry-reset", "Retry reset",
                         "Seconds a child must stay alive for the retry count to start "
                         "again from 0; -1 for 2 × seconds",
                         -1, G_MAXDOUBLE / G_USEC_PER_SEC, -1,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_restarter_init (DpRestarter *self)
{
  g_signal_connect (self, "gave-up", G_CALLBACK (gave_up_cb), NULL);
}

/**
 * dp_restart_every:
 * @seconds: restart at most once every this many seconds, at least 0
 * @retry: how many times to restart before giving up; -1 for no limit
 * @on_final_fail: (nullable) (scope notified) (closure user_data) (destroy destroy):
 *   called when the retries run out, in the supervisor's context (see
 *   #DpRestartStrategy::gave-up)
 * @user_data: data for @on_final_fail
 * @destroy: (nullable): frees @user_data
 *
 * The seeds' `restart-every`: a [class@Dp.Restarter] to give to
 * `#:restart-on-exit` — [func@Dp.supervise_place_at_full],
 * [func@Dp.supervise_thread_at_full], [func@Dp.supervise_process_at_full],
 * `DpNodeOptions.restart_on_exit` — or to the property
 * [property@Dp.RemoteNode:restart-on-exit]. Use one restarter per child:
 * it counts the retries of all the children it is given together.
 *
 * Returns: (transfer full): the restarter
 */
DpRestarter *
dp_restart_every (gdouble         seconds,
                  gint            retry,
                  DpTimerFunc     on_final_fail,
                  gpointer        user_data,
                  GDestroyNotify  destroy)
{
  DpRestarter *self;

  g_return_val_if_fail (seconds >= 0, NULL);
  g_return_val_if_fail (retry >= -1, NULL);

  self = g_object_new (DP_TYPE_RESTARTER, "seconds", seconds, "retry", retry, NULL);
  self->on_final_fail = on_final_fail;
  self->user_data = user_data;
  self->destroy = destroy;

  return self;
}

gint
dp_restarter_get_retry (DpRestarter *self)
{
  g_return_val_if_fail (DP_IS_RESTARTER (self), -1);
  return self->retry;
}

/**
 * dp_restarter_get_retries:
 * @self: a restarter
 *
 * Returns: the retries counted since the last reset
 */
guint
dp_restarter_get_retries (DpRestarter *self)
{
  g_return_val_if_fail (DP_IS_RESTARTER (self), 0);
  return self->retries;
}
