/* dp-after-seconds.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dp-after-seconds.h"
#include "dp-event-container.h"

/**
 * DpAfterSeconds:
 *
 * Runs a function once, [property@Dp.AfterSeconds:seconds] after the
 * message router's loop starts: the seeds' `after-seconds` and
 * `after-seconds%`. Hand it to [func@Dp.message_router] or
 * [method@Dp.Node.add].
 */

typedef struct
{
  gdouble seconds;
  DpTimerFunc func;
  gpointer user_data;
  GDestroyNotify destroy;
} DpAfterSecondsPrivate;

static void dp_after_seconds_event_container_init (DpEventContainerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (DpAfterSeconds, dp_after_seconds, G_TYPE_OBJECT,
                         G_ADD_PRIVATE (DpAfterSeconds)
                         G_IMPLEMENT_INTERFACE (DP_TYPE_EVENT_CONTAINER,
                                                dp_after_seconds_event_container_init))

enum {
  PROP_0,
  PROP_SECONDS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
after_seconds_timeout_cb (gpointer data)
{
  DpAfterSeconds *self = data;

  DP_AFTER_SECONDS_GET_CLASS (self)->fire (self);
  return G_SOURCE_REMOVE;
}

static GPtrArray *
dp_after_seconds_register_events (DpEventContainer *container,
                                  GPtrArray        *events)
{
  DpAfterSeconds *self = DP_AFTER_SECONDS (container);
  DpAfterSecondsPrivate *priv = dp_after_seconds_get_instance_private (self);
  GSource *source = g_timeout_source_new ((guint) (priv->seconds * 1000 + 0.5));

  g_source_set_static_name (source, "DpAfterSeconds");
  g_source_set_callback (source, after_seconds_timeout_cb, g_object_ref (self), g_object_unref);
  g_ptr_array_add (events, source);

  return events;
}

static void
dp_after_seconds_event_container_init (DpEventContainerInterface *iface)
{
  iface->register_events = dp_after_seconds_register_events;
}

static void
dp_after_seconds_real_fire (DpAfterSeconds *self)
{
  DpAfterSecondsPrivate *priv = dp_after_seconds_get_instance_private (self);

  if (priv->func != NULL)
    priv->func (priv->user_data);
}

static void
dp_after_seconds_finalize (GObject *object)
{
  DpAfterSeconds *self = DP_AFTER_SECONDS (object);
  DpAfterSecondsPrivate *priv = dp_after_seconds_get_instance_private (self);

  if (priv->destroy != NULL)
    priv->destroy (priv->user_data);

  G_OBJECT_CLASS (dp_after_seconds_parent_class)->finalize (object);
}

static void
dp_after_seconds_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  DpAfterSecondsPrivate *priv = dp_after_seconds_get_instance_private (DP_AFTER_SECONDS (object));

  switch (prop_id)
    {
    case PROP_SECONDS:
      g_value_set_double (value, priv->seconds);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_after_seconds_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  DpAfterSecondsPrivate *priv = dp_after_seconds_get_instance_private (DP_AFTER_SECONDS (object));

  switch (prop_id)
    {
    case PROP_SECONDS:
      priv->seconds = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_after_seconds_class_init (DpAfterSecondsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dp_after_seconds_finalize;
  object_class->get_property = dp_after_seconds_get_property;
  object_class->set_property = dp_after_seconds_set_property;
  klass->fire = dp_after_seconds_real_fire;

  /**
   * DpAfterSeconds:seconds:
   *
   * The delay from the start of the loop, in seconds.
   */
  properties[PROP_SECONDS] =
    g_param_spec_double ("seconds", "Seconds",
                         "For after-seconds, the delay from the start of the loop; for a "
                         "restarter (restart-every), the shortest time between two restarts",
                         0, G_MAXDOUBLE / 1000, 0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_after_seconds_init (DpAfterSeconds *self)
{
}

/**
 * dp_after_seconds_new:
 * @seconds: the delay from the start of the loop, at least 0
 * @func: (scope notified) (closure user_data) (destroy destroy): the body
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * Returns: (transfer full): a new timer to give a message router
 */
DpAfterSeconds *
dp_after_seconds_new (gdouble         seconds,
                      DpTimerFunc     func,
                      gpointer        user_data,
                      GDestroyNotify  destroy)
{
  DpAfterSeconds *self;
  DpAfterSecondsPrivate *priv;

  g_return_val_if_fail (seconds >= 0, NULL);

  self = g_object_new (DP_TYPE_AFTER_SECONDS, "seconds", seconds, NULL);
  priv = dp_after_seconds_get_instance_private (self);
  priv->func = func;
  priv->user_data = user_data;
  priv->destroy = destroy;

  return self;
}

gdouble
dp_after_seconds_get_seconds (DpAfterSeconds *self)
{
  DpAfterSecondsPrivate *priv;

  g_return_val_if_fail (DP_IS_AFTER_SECONDS (self), 0);

  priv = dp_after_seconds_get_instance_private (self);
  return priv->seconds;
}
