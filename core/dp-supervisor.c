/* dp-supervisor.c: one supervised child, its strategy and timers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-supervision"

#include "config.h"

#include <string.h>

#include "dp-supervisor-private.h"

struct _DpSupervisor
{
  GObject parent_instance;

  DpRestartStrategy *strategy;
  GMainContext *context;
  DpSupervisorStartFunc start;
  DpSupervisorDoneFunc done;
  gpointer data;
  GDestroyNotify destroy;

  GMutex lock;
  char *name;
  GObject *owner;           /* held while supervising */
  gboolean running;         /* an instance of the child runs */
  gboolean finished;        /* no more restarts: stopped, or gave up */
  gint64 started_at;        /* the running instance's start */
  gint64 last_start;        /* the last start attempt, for the storm guard */
  guint restarts;
  gint64 last_delay;        /* how long the last restart waited, in µs */
  GSource *pending;         /* the restart timer */
};

G_DEFINE_FINAL_TYPE (DpSupervisor, dp_supervisor, G_TYPE_OBJECT)

typedef struct {
  DpSupervisor *self;
  DpRestartDecision decision;   /* for finish_cb */
  gint status;
  char *reason;
  gint64 started;
  gint64 ended;
} Ending;

static void
ending_free (gpointer data)
{
  Ending *ending = data;

  g_object_unref (ending->self);
  g_free (ending->reason);
  g_free (ending);
}

static void
dp_supervisor_dispose (GObject *object)
{
  DpSupervisor *self = DP_SUPERVISOR (object);

  dp_supervisor_stop (self);

  G_OBJECT_CLASS (dp_supervisor_parent_class)->dispose (object);
}

static void
dp_supervisor_finalize (GObject *object)
{
  DpSupervisor *self = DP_SUPERVISOR (object);

  if (self->destroy != NULL)
    self->destroy (self->data);
  g_clear_object (&self->strategy);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->name);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (dp_supervisor_parent_class)->finalize (object);
}

static void
dp_supervisor_class_init (DpSupervisorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dp_supervisor_dispose;
  object_class->finalize = dp_supervisor_finalize;
}

static void
dp_supervisor_init (DpSupervisor *self)
{
  g_mutex_init (&self->lock);
}

DpSupervisor *
dp_supervisor_new (DpRestartStrategy     *strategy,
                   const char            *name,
                   GMainContext          *context,
                   GObject               *owner,
                   DpSupervisorStartFunc  start,
                   DpSupervisorDoneFunc   done,
                   gpointer               data,
                   GDestroyNotify         destroy)
{
  DpSupervisor *self;

  g_return_val_if_fail (DP_IS_RESTART_STRATEGY (strategy), NULL);
  g_return_val_if_fail (context != NULL, NULL);
  g_return_val_if_fail (start != NULL, NULL);

  self = g_object_new (DP_TYPE_SUPERVISOR, NULL);
  self->strategy = g_object_ref (strategy);
  self->name = g_strdup (name);
  self->context = g_main_context_ref (context);
  self->owner = owner != NULL ? g_object_ref (owner) : NULL;
  self->start = start;
  self->done = done;
  self->data = data;
  self->destroy = destroy;

  return self;
}

static void
attach (DpSupervisor *self,
        GSource      *source)
{
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

static void
fill_info (DpRestartInfo *info,
           DpSupervisor  *self,
           Ending        *ending)
{
  memset (info, 0, sizeof *info);
  info->name = self->name;
  info->started = ending->started;
  info->ended = ending->ended;
  info->exit_status = ending->status;
  info->exit_reason = ending->reason;
  info->n_restarts = self->restarts;
}

/* On the context: the end of supervision, once. */
static gboolean
finish_cb (gpointer data)
{
  Ending *ending = data;
  DpSupervisor *self = ending->self;
  g_autoptr(GObject) owner = NULL;
  DpRestartInfo info;

  g_mutex_lock (&self->lock);
  owner = g_steal_pointer (&self->owner);
  fill_info (&info, self, ending);
  g_mutex_unlock (&self->lock);

  if (ending->decision == DP_RESTART_DECISION_STOP)
    g_debug ("%s %s: not restarted", self->name, ending->reason);
  else
    g_message ("%s %s: %s after %u restarts", self->name, ending->reason,
               ending->decision == DP_RESTART_DECISION_ESCALATE ? "giving up, and escalating"
                                                                : "giving up",
               info.n_restarts);

  if (ending->decision == DP_RESTART_DECISION_GIVE_UP ||
      ending->decision == DP_RESTART_DECISION_ESCALATE)
    dp_restart_strategy_gave_up (self->strategy, &info, ending->decision);
  if (self->done != NULL)
    self->done (self, owner, ending->decision, &info, self->data);

  return G_SOURCE_REMOVE;
}

/* Marks supervision over (under the lock) and schedules finish_cb. */
static void
finish_locked (DpSupervisor *self,
               Ending       *ending)
{
  GSource *source;

  self->finished = TRUE;
  if (self->pending != NULL)
    {
      g_source_destroy (self->pending);
      g_clear_pointer (&self->pending, g_source_unref);
    }
  source = g_idle_source_new ();
  g_source_set_static_name (source, "dp-supervisor-finish");
  g_source_set_callback (source, finish_cb, ending, ending_free);
  attach (self, source);
}

static gboolean
restart_cb (gpointer data)
{
  DpSupervisor *self = data;
  g_autoptr(GObject) owner = NULL;

  g_mutex_lock (&self->lock);
  if (self->pending == NULL || g_source_is_destroyed (g_main_current_source ()))
    {
      g_mutex_unlock (&self->lock);
      return G_SOURCE_REMOVE;
    }
  g_clear_pointer (&self->pending, g_source_unref);
  if (self->finished)
    {
      g_mutex_unlock (&self->lock);
      return G_SOURCE_REMOVE;
    }
  self->last_start = g_get_monotonic_time ();
  owner = self->owner != NULL ? g_object_ref (self->owner) : NULL;
  g_mutex_unlock (&self->lock);

  g_info ("restarting %s (restart %u)", self->name, self->restarts);
  self->start (self, owner, self->data);
  return G_SOURCE_REMOVE;
}

/* On the context: a child ended; ask the strategy. */
static gboolean
decide_cb (gpointer data)
{
  Ending *ending = data;
  DpSupervisor *self = ending->self;
  DpRestartDecision decision;
  DpRestartInfo info;
  gint64 delay = 0, now, earliest;
  GSource *source;

  g_mutex_lock (&self->lock);
  if (self->finished)
    {
      g_mutex_unlock (&self->lock);
      return G_SOURCE_REMOVE;
    }
  fill_info (&info, self, ending);
  g_mutex_unlock (&self->lock);

  /* The strategy's counts are only ever touched here, on the context. */
  decision = dp_restart_strategy_decide (self->strategy, &info, &delay);

  g_mutex_lock (&self->lock);
  if (self->finished)
    {
      g_mutex_unlock (&self->lock);
      return G_SOURCE_REMOVE;
    }
  if (decision != DP_RESTART_DECISION_RESTART)
    {
      Ending *final = g_new0 (Ending, 1);

      *final = *ending;
      final->self = g_object_ref (self);
      final->reason = g_strdup (ending->reason);
      final->decision = decision;
      finish_locked (self, final);
      g_mutex_unlock (&self->lock);
      return G_SOURCE_REMOVE;
    }

  /* The storm guard: never two starts closer than the minimum interval. */
  now = g_get_monotonic_time ();
  earliest = self->last_start + DP_SUPERVISOR_MIN_INTERVAL_US;
  if (now + delay < earliest)
    delay = earliest - now;

  self->restarts++;
  self->last_delay = delay;
  g_info ("%s %s: restart %u in %.3f s", self->name, ending->reason, self->restarts,
          delay / (gdouble) G_USEC_PER_SEC);
  source = g_timeout_source_new ((guint) ((delay + 999) / 1000));
  g_source_set_static_name (source, "dp-supervisor-restart");
  g_source_set_callback (source, restart_cb, g_object_ref (self), g_object_unref);
  self->pending = g_source_ref (source);
  attach (self, source);
  g_mutex_unlock (&self->lock);

  return G_SOURCE_REMOVE;
}

/* Reports that the child runs (its first start, or a restart). Any thread. */
void
dp_supervisor_started (DpSupervisor *self)
{
  g_return_if_fail (DP_IS_SUPERVISOR (self));

  g_mutex_lock (&self->lock);
  self->running = TRUE;
  self->started_at = g_get_monotonic_time ();
  if (self->last_start == 0)
    self->last_start = self->started_at;
  g_mutex_unlock (&self->lock);
}

/* With the lock held: the child ended now, with @status and @reason
 * (taken); it is not running any more. */
static Ending *
ending_new_locked (DpSupervisor *self,
                   gint          status,
                   char         *reason)
{
  Ending *ending = g_new0 (Ending, 1);

  ending->self = g_object_ref (self);
  ending->status = status;
  ending->reason = reason;
  ending->ended = g_get_monotonic_time ();
  /* A child that never came up lived for no time at all. */
  ending->started = self->running ? self->started_at : ending->ended;
  self->running = FALSE;
  return ending;
}

/* Reports that the child ended, or could not be started. Any thread; only
 * the first report for a running child counts. */
void
dp_supervisor_exited (DpSupervisor *self,
                      gint          status,
                      const char   *reason)
{
  Ending *ending;
  GSource *source;

  g_return_if_fail (DP_IS_SUPERVISOR (self));

  g_mutex_lock (&self->lock);
  if (self->finished)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  ending = ending_new_locked (self, status, reason != NULL ? g_strdup (reason)
                                                         : g_strdup_printf ("exited with status %d", status));

  source = g_idle_source_new ();
  g_source_set_static_name (source, "dp-supervisor-decide");
  g_source_set_callback (source, decide_cb, ending, ending_free);
  attach (self, source);
  g_mutex_unlock (&self->lock);
}

/* Gives up on the child without asking the strategy: it cannot come back
 * (its node is gone for good). The strategy's "gave-up" is emitted and
 * the done function called, on the context. */
void
dp_supervisor_give_up (DpSupervisor *self,
                       const char   *reason)
{
  Ending *ending;

  g_return_if_fail (DP_IS_SUPERVISOR (self));

  g_mutex_lock (&self->lock);
  if (self->finished)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  ending = ending_new_locked (self, 1, g_strdup (reason != NULL ? reason : "cannot be restarted"));
  ending->decision = DP_RESTART_DECISION_GIVE_UP;
  finish_locked (self, ending);
  g_mutex_unlock (&self->lock);
}

/* Ends supervision quietly: no restart, no "gave-up", no done. Any thread. */
void
dp_supervisor_stop (DpSupervisor *self)
{
  g_autoptr(GObject) owner = NULL;

  g_return_if_fail (DP_IS_SUPERVISOR (self));

  g_mutex_lock (&self->lock);
  self->finished = TRUE;
  if (self->pending != NULL)
    {
      g_source_destroy (self->pending);
      g_clear_pointer (&self->pending, g_source_unref);
    }
  owner = g_steal_pointer (&self->owner);
  g_mutex_unlock (&self->lock);
}

gboolean
dp_supervisor_is_finished (DpSupervisor *self)
{
  gboolean finished;

  g_return_val_if_fail (DP_IS_SUPERVISOR (self), TRUE);

  g_mutex_lock (&self->lock);
  finished = self->finished;
  g_mutex_unlock (&self->lock);

  return finished;
}

guint
dp_supervisor_get_restarts (DpSupervisor *self)
{
  guint restarts;

  g_return_val_if_fail (DP_IS_SUPERVISOR (self), 0);

  g_mutex_lock (&self->lock);
  restarts = self->restarts;
  g_mutex_unlock (&self->lock);

  return restarts;
}

/* How long the supervisor waited before its last restart, in seconds:
 * the strategy's delay, or more where the storm guard held it back; 0
 * before the first restart. */
gdouble
dp_supervisor_get_delay (DpSupervisor *self)
{
  gint64 delay;

  g_return_val_if_fail (DP_IS_SUPERVISOR (self), 0);

  g_mutex_lock (&self->lock);
  delay = self->last_delay;
  g_mutex_unlock (&self->lock);

  return delay / (gdouble) G_USEC_PER_SEC;
}

DpRestartStrategy *
dp_supervisor_get_strategy (DpSupervisor *self)
{
  g_return_val_if_fail (DP_IS_SUPERVISOR (self), NULL);
  return self->strategy;
}

const char *
dp_supervisor_get_name (DpSupervisor *self)
{
  g_return_val_if_fail (DP_IS_SUPERVISOR (self), NULL);
  return self->name;
}
