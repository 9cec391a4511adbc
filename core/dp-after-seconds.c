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
 * [method@Dp.Node.add]. The after-seconds of one loop count from the same
 * instant and fire in the order of their delays, even when the loop wakes
 * late and finds several due.
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

/* The timer of an after-seconds. It counts from the first time its loop
 * looks at it, not from when it was made: all the after-seconds a router
 * starts with count from the same instant (the iteration's cached time).
 * And of those of one context that are due together — a loop that wakes
 * late finds several — the earliest goes first, as the delays say;
 * GLib would dispatch them in the order they were attached. */
typedef struct {
  GSource source;
  gint64 delay_usec;
  gint64 deadline;          /* -1 until the loop first looks at it */
  guint64 serial;           /* registration order, among equal deadlines */
} AfterSource;

static GMutex pending_lock;
static GList *pending;      /* AfterSource*, not dispatched yet */

/* Whether no other pending timer of @after's context comes before it. */
static gboolean
after_source_is_first (AfterSource *after)
{
  GMainContext *context = g_source_get_context ((GSource *) after);
  gboolean first = TRUE;

  g_mutex_lock (&pending_lock);
  for (GList *l = pending; l != NULL && first; l = l->next)
    {
      AfterSource *other = l->data;

      if (other != after && other->deadline >= 0 && !g_source_is_destroyed ((GSource *) other) &&
          g_source_get_context ((GSource *) other) == context &&
          (other->deadline < after->deadline ||
           (other->deadline == after->deadline && other->serial < after->serial)))
        first = FALSE;
    }
  g_mutex_unlock (&pending_lock);
  return first;
}

static gboolean
after_source_prepare (GSource *source,
                      gint    *timeout)
{
  AfterSource *after = (AfterSource *) source;
  gint64 now = g_source_get_time (source);

  if (after->deadline < 0)
    {
      g_mutex_lock (&pending_lock);
      after->deadline = now + after->delay_usec;
      g_mutex_unlock (&pending_lock);
    }
  if (now >= after->deadline)
    {
      *timeout = -1;
      return after_source_is_first (after);
    }
  *timeout = (gint) MIN ((after->deadline - now + 999) / 1000, G_MAXINT);
  return FALSE;
}

static gboolean
after_source_check (GSource *source)
{
  AfterSource *after = (AfterSource *) source;

  return after->deadline >= 0 && g_source_get_time (source) >= after->deadline &&
         after_source_is_first (after);
}

static void
after_source_forget (AfterSource *after)
{
  g_mutex_lock (&pending_lock);
  pending = g_list_remove (pending, after);
  g_mutex_unlock (&pending_lock);
}

static gboolean
after_source_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  after_source_forget ((AfterSource *) source);
  return callback (user_data);
}

static void
after_source_finalize (GSource *source)
{
  after_source_forget ((AfterSource *) source);
}

static GSourceFuncs after_source_funcs = {
  .prepare = after_source_prepare,
  .check = after_source_check,
  .dispatch = after_source_dispatch,
  .finalize = after_source_finalize,
};

static GSource *
after_source_new (gdouble seconds)
{
  static guint64 serial;
  GSource *source = g_source_new (&after_source_funcs, sizeof (AfterSource));
  AfterSource *after = (AfterSource *) source;

  after->delay_usec = (gint64) (seconds * G_USEC_PER_SEC + 0.5);
  after->deadline = -1;
  g_mutex_lock (&pending_lock);
  after->serial = serial++;
  pending = g_list_prepend (pending, after);
  g_mutex_unlock (&pending_lock);
  return source;
}

static GPtrArray *
dp_after_seconds_register_events (DpEventContainer *container,
                                  GPtrArray        *events)
{
  DpAfterSeconds *self = DP_AFTER_SECONDS (container);
  DpAfterSecondsPrivate *priv = dp_after_seconds_get_instance_private (self);
  GSource *source = after_source_new (priv->seconds);

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
