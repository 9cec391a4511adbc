/* dp-every-seconds.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dp-event-container.h"
#include "dp-every-seconds.h"

/**
 * DpEverySeconds:
 *
 * Runs a function every [property@Dp.EverySeconds:seconds] while the
 * message router's loop runs: the seeds' `every-seconds` and
 * `respawn-and-fire%`.
 */

struct _DpEverySeconds
{
  GObject parent_instance;

  gdouble seconds;
  DpTimerFunc func;
  gpointer user_data;
  GDestroyNotify destroy;
  gboolean stopped;
};

static void dp_every_seconds_event_container_init (DpEventContainerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DpEverySeconds, dp_every_seconds, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (DP_TYPE_EVENT_CONTAINER,
                                                      dp_every_seconds_event_container_init))

enum {
  PROP_0,
  PROP_SECONDS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
every_seconds_timeout_cb (gpointer data)
{
  DpEverySeconds *self = data;

  if (self->stopped)
    return G_SOURCE_REMOVE;
  if (self->func != NULL)
    self->func (self->user_data);
  return self->stopped ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static GPtrArray *
dp_every_seconds_register_events (DpEventContainer *container,
                                  GPtrArray        *events)
{
  DpEverySeconds *self = DP_EVERY_SECONDS (container);
  GSource *source = g_timeout_source_new ((guint) (self->seconds * 1000 + 0.5));

  g_source_set_static_name (source, "DpEverySeconds");
  g_source_set_callback (source, every_seconds_timeout_cb, g_object_ref (self), g_object_unref);
  g_ptr_array_add (events, source);

  return events;
}

static void
dp_every_seconds_event_container_init (DpEventContainerInterface *iface)
{
  iface->register_events = dp_every_seconds_register_events;
}

static void
dp_every_seconds_finalize (GObject *object)
{
  DpEverySeconds *self = DP_EVERY_SECONDS (object);

  if (self->destroy != NULL)
    self->destroy (self->user_data);

  G_OBJECT_CLASS (dp_every_seconds_parent_class)->finalize (object);
}

static void
dp_every_seconds_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  DpEverySeconds *self = DP_EVERY_SECONDS (object);

  switch (prop_id)
    {
    case PROP_SECONDS:
      g_value_set_double (value, self->seconds);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_every_seconds_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  DpEverySeconds *self = DP_EVERY_SECONDS (object);

  switch (prop_id)
    {
    case PROP_SECONDS:
      self->seconds = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_every_seconds_class_init (DpEverySecondsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dp_every_seconds_finalize;
  object_class->get_property = dp_every_seconds_get_property;
  object_class->set_property = dp_every_seconds_set_property;

  /**
   * DpEverySeconds:seconds:
   *
   * The period, in seconds.
   */
  properties[PROP_SECONDS] =
    g_param_spec_double ("seconds", NULL, NULL, 0.001, G_MAXDOUBLE / 1000, 1,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_every_seconds_init (DpEverySeconds *self)
{
}

/**
 * dp_every_seconds_new:
 * @seconds: the period, more than 0
 * @func: (scope notified) (closure user_data) (destroy destroy): the body
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * Returns: (transfer full): a new timer to give a message router
 */
DpEverySeconds *
dp_every_seconds_new (gdouble         seconds,
                      DpTimerFunc     func,
                      gpointer        user_data,
                      GDestroyNotify  destroy)
{
  DpEverySeconds *self;

  g_return_val_if_fail (seconds > 0, NULL);

  self = g_object_new (DP_TYPE_EVERY_SECONDS, "seconds", seconds, NULL);
  self->func = func;
  self->user_data = user_data;
  self->destroy = destroy;

  return self;
}

gdouble
dp_every_seconds_get_seconds (DpEverySeconds *self)
{
  g_return_val_if_fail (DP_IS_EVERY_SECONDS (self), 0);
  return self->seconds;
}

/**
 * dp_every_seconds_stop:
 * @self: a timer
 *
 * Stops @self from firing again. Call it from the loop's thread.
 */
void
dp_every_seconds_stop (DpEverySeconds *self)
{
  g_return_if_fail (DP_IS_EVERY_SECONDS (self));
  self->stopped = TRUE;
}
