/* dp-ndp-coordinator.c: an NDP group's coordinator — which workers are
 * free, who holds the others, and where their results go
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-ndp"

#include "config.h"

#include <string.h>

#include "dp-ndp-coordinator-private.h"
#include "dp-ndp-protocol-private.h"

/* How long a new worker may take to answer its first message. */
#define START_TIMEOUT_USEC (30 * G_USEC_PER_SEC)

/* Who holds a worker: the program that made the group (node 0, the
 * seeds' coordinator, stands for it), a worker's id, or nobody. */
#define HOLDER_OWNER  0u
#define HOLDER_FREE   G_MAXUINT
/* The holder let go of it in the middle of a work: the work's outcome
 * is dropped when it comes, and the worker is free again. */
#define HOLDER_ORPHAN (G_MAXUINT - 1)

/*
 * DpNdpCoordinator:
 *
 * The seeds' coordinating node 0. Every worker place's channel ends
 * here: a thread of the process that made the group reads them all and
 * answers the workers' requests (ndp-get-node, ndp-send-work,
 * ndp-get-result, ndp-return-node); the program's own calls take the
 * same lock and wait on a condition variable. Work and results pass
 * through it, so it always knows who works for whom: a worker that dies
 * fails the work it had, answering whoever waits for it, and the workers
 * it held — at work for it or idle — are taken back.
 */

typedef struct {
  guint id;
  char *name;               /* ndpwN */
  char *where;              /* host:port, or this process */
  DpChannel *channel;
  DpRemoteNode *node;       /* NULL for a place of this process */
  DpPlace *place;           /* NULL for a place on a node */

  gboolean alive;
  char *death;
  guint holder;
  gboolean working;         /* has work it has not answered yet */
  gboolean waited;          /* its holder, a worker, waits in get-result */
  GVariant *outcome;        /* done or failed, not collected yet */
} Worker;

struct _DpNdpCoordinator
{
  GObject parent_instance;

  GMutex lock;
  GCond cond;               /* an outcome came, a worker freed or died, stopping */
  GPtrArray *workers;       /* Worker*, node N at N - 1 */
  guint n_workers;          /* as announced to the workers */
  GThread *thread;
  DpPlaceChannel *control;  /* wakes the thread */
  DpPlaceChannel *control_peer;
  gboolean stopping;

  /* for the control plane */
  guint id;
  char *procedure;          /* of the last run */
  guint64 n_sent;
  guint64 n_answered;
  guint64 n_failed;
};

G_DEFINE_FINAL_TYPE (DpNdpCoordinator, dp_ndp_coordinator, G_TYPE_OBJECT)

/* The groups of this process, which the control plane (DpMonitor) asks
 * about: each is a job, its units of work the works sent to workers. */
typedef struct {
  GWeakRef ref;
  gpointer address;
} GroupLink;

static GMutex groups_lock;
static GPtrArray *groups;     /* GroupLink* */
static guint last_group_id;

static GVariant *
describe (DpNdpCoordinator *self)
{
  g_autofree char *id = NULL;
  GVariantDict dict;
  guint n_alive = 0, n_free = 0, n_held = 0;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->workers->len; i++)
    {
      Worker *worker = g_ptr_array_index (self->workers, i);

      n_alive += worker->alive;
      n_free += worker->alive && worker->holder == HOLDER_FREE;
      n_held += worker->alive && worker->holder != HOLDER_FREE;
    }
  id = g_strdup_printf ("ndp-%u", self->id);
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "id", "s", id);
  g_variant_dict_insert (&dict, "name", "s", self->procedure != NULL ? self->procedure : "ndp group");
  g_variant_dict_insert (&dict, "state", "s", self->stopping ? "done" : n_held > 0 ? "running" : "ready");
  g_variant_dict_insert (&dict, "done", "t", self->n_answered);
  g_variant_dict_insert (&dict, "total", "t", self->n_sent);
  g_variant_dict_insert (&dict, "failed", "t", self->n_failed);
  g_variant_dict_insert (&dict, "workers", "u", self->workers->len);
  g_variant_dict_insert (&dict, "alive", "u", n_alive);
  g_variant_dict_insert (&dict, "free", "u", n_free);
  g_mutex_unlock (&self->lock);
  return g_variant_dict_end (&dict);
}

static GVariant *
list_groups (gpointer data)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_object_unref);
  GVariantBuilder builder;

  g_mutex_lock (&groups_lock);
  for (guint i = 0; groups != NULL && i < groups->len; i++)
    {
      DpNdpCoordinator *self = g_weak_ref_get (&((GroupLink *) g_ptr_array_index (groups, i))->ref);

      if (self != NULL)
        g_ptr_array_add (list, self);
    }
  g_mutex_unlock (&groups_lock);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < list->len; i++)
    g_variant_builder_add_value (&builder, describe (g_ptr_array_index (list, i)));
  return g_variant_builder_end (&builder);
}

static void
worker_free (Worker *worker)
{
  g_free (worker->name);
  g_free (worker->where);
  g_clear_object (&worker->channel);
  g_clear_object (&worker->node);
  g_clear_object (&worker->place);
  g_free (worker->death);
  g_clear_pointer (&worker->outcome, g_variant_unref);
  g_free (worker);
}

static void
dp_ndp_coordinator_dispose (GObject *object)
{
  dp_ndp_coordinator_stop (DP_NDP_COORDINATOR (object));

  G_OBJECT_CLASS (dp_ndp_coordinator_parent_class)->dispose (object);
}

static void
dp_ndp_coordinator_finalize (GObject *object)
{
  DpNdpCoordinator *self = DP_NDP_COORDINATOR (object);

  g_mutex_lock (&groups_lock);
  for (guint i = 0; groups != NULL && i < groups->len; i++)
    {
      GroupLink *link = g_ptr_array_index (groups, i);

      if (link->address == object)
        {
          g_weak_ref_clear (&link->ref);
          g_free (g_ptr_array_steal_index_fast (groups, i));
          break;
        }
    }
  g_mutex_unlock (&groups_lock);

  g_free (self->procedure);
  g_ptr_array_unref (self->workers);
  g_clear_object (&self->control);
  g_clear_object (&self->control_peer);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (dp_ndp_coordinator_parent_class)->finalize (object);
}

static void
dp_ndp_coordinator_class_init (DpNdpCoordinatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dp_ndp_coordinator_dispose;
  object_class->finalize = dp_ndp_coordinator_finalize;
}

static void
dp_ndp_coordinator_init (DpNdpCoordinator *self)
{
  static gsize monitored;
  GroupLink *link = g_new0 (GroupLink, 1);

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->workers = g_ptr_array_new_with_free_func ((GDestroyNotify) worker_free);
  dp_place_channel_new_pair (&self->control, &self->control_peer);

  /* The control plane asks for our groups when it wants them. */
  if (g_once_init_enter (&monitored))
    {
      dp_monitor_add_job_source (dp_monitor_get_default (), "ndp", list_groups, NULL, NULL);
      g_once_init_leave (&monitored, 1);
    }
  g_weak_ref_init (&link->ref, self);
  link->address = self;
  g_mutex_lock (&groups_lock);
  if (groups == NULL)
    groups = g_ptr_array_new ();
  g_ptr_array_add (groups, link);
  self->id = ++last_group_id;
  g_mutex_unlock (&groups_lock);
}

DpNdpCoordinator *
dp_ndp_coordinator_new (guint n_workers)
{
  DpNdpCoordinator *self = g_object_new (DP_TYPE_NDP_COORDINATOR, NULL);

  self->n_workers = n_workers;
  return self;
}

/* The lock is held from here on, unless said otherwise. */

static Worker *
lookup (DpNdpCoordinator  *self,
        guint              node,
        GError           **error)
{
  if (node == 0 || node > self->workers->len)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "ndp: there is no node %u in this group of %u workers (1 to %u)", node,
                   self->workers->len, self->workers->len);
      return NULL;
    }
  return g_ptr_array_index (self->workers, node - 1);
}

static Worker *
lookup_held (DpNdpCoordinator  *self,
             guint              requester,
             guint              node,
             const char        *what,
             GError           **error)
{
  Worker *worker = lookup (self, node, error);

  if (worker != NULL && worker->holder != requester)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "%s: node %u (%s) is not yours: get one with ndp-get-node", what, node,
                   worker->name);
      return NULL;
    }
  return worker;
}

static void worker_died (DpNdpCoordinator *self,
                         Worker           *worker,
                         const char       *reason);

/* Puts @message (floating or full: taken) to @worker; a channel that
 * fails is its worker's death. */
static gboolean
put_to (DpNdpCoordinator *self,
        Worker           *worker,
        GVariant         *message)
{
  g_autoptr(GVariant) owned = g_variant_take_ref (message);
  g_autoptr(GError) error = NULL;

  if (!worker->alive)
    return FALSE;
  if (dp_channel_put (worker->channel, owned, &error))
    return TRUE;
  worker_died (self, worker, error->message);
  return FALSE;
}

/* The holder lets go of @worker: free at once, or once its work ends. */
static void
release (DpNdpCoordinator *self,
         Worker           *worker)
{
  g_clear_pointer (&worker->outcome, g_variant_unref);
  worker->waited = FALSE;
  worker->holder = worker->alive && worker->working ? HOLDER_ORPHAN : HOLDER_FREE;
  g_cond_broadcast (&self->cond);
}

/* The workers @requester holds, given back: it ended, or died. */
static void
release_held_by (DpNdpCoordinator *self,
                 guint             requester)
{
  for (guint i = 0; i < self->workers->len; i++)
    {
      Worker *worker = g_ptr_array_index (self->workers, i);

      if (worker->holder == requester)
        {
          g_debug ("%s, held by node %u, taken back (%s)", worker->name, requester,
                   worker->working ? "still working" : "idle");
          release (self, worker);
        }
    }
}

/* @outcome (done or failed; floating or full: taken) for whoever holds
 * @worker: the waiting worker gets it now, the program when it asks (or
 * wakes). */
static void
deliver (DpNdpCoordinator *self,
         Worker           *worker,
         GVariant         *outcome)
{
  g_autoptr(GVariant) owned = g_variant_take_ref (outcome);

  if (worker->holder == HOLDER_FREE || worker->holder == HOLDER_ORPHAN)
    {
      worker->holder = HOLDER_FREE;
      g_cond_broadcast (&self->cond);
      return;
    }
  if (worker->holder != HOLDER_OWNER && worker->waited)
    {
      Worker *holder = g_ptr_array_index (self->workers, worker->holder - 1);

      worker->waited = FALSE;
      put_to (self, holder, g_steal_pointer (&owned));
      return;
    }
  g_clear_pointer (&worker->outcome, g_variant_unref);
  worker->outcome = g_steal_pointer (&owned);
  g_cond_broadcast (&self->cond);
}

static void
worker_died (DpNdpCoordinator *self,
             Worker           *worker,
             const char       *reason)
{
  if (!worker->alive)
    return;

  worker->alive = FALSE;
  worker->death = g_strdup (reason);
  g_debug ("worker %s (%s) died: %s", worker->name, worker->where, reason);

  release_held_by (self, worker->id);
  if (worker->working)
    {
      g_autoptr(GError) error = NULL;

      worker->working = FALSE;
      self->n_answered++;
      self->n_failed++;
      g_set_error (&error, DP_ERROR, DP_ERROR_PEER_DIED, "ndp worker %s (%s) died: %s", worker->name,
                   worker->where, reason);
      deliver (self, worker, dp_ndp_failed_new (error));
    }
  g_cond_broadcast (&self->cond);
}

static guint
op_get_node (DpNdpCoordinator *self,
             guint             requester)
{
  /* The first free one, as the seeds' coordinator does. */
  for (guint i = 0; i < self->workers->len; i++)
    {
      Worker *worker = g_ptr_array_index (self->workers, i);

      if (worker->alive && worker->holder == HOLDER_FREE)
        {
          worker->holder = requester;
          return worker->id;
        }
    }
  return DP_NDP_NO_NODE;
}

static gboolean
op_send_work (DpNdpCoordinator  *self,
              guint              requester,
              guint              node,
              const char        *procedure,
              GVariant          *data,
              GError           **error)
{
  Worker *worker = lookup_held (self, requester, node, "ndp-send-work", error);

  if (worker == NULL)
    return FALSE;
  if (!worker->alive)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_PEER_DIED, "ndp-send-work: ndp worker %s (%s) died: %s",
                   worker->name, worker->where, worker->death);
      return FALSE;
    }
  if (worker->working || worker->outcome != NULL)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "ndp-send-work: node %u (%s) has work already: get its result first", node,
                   worker->name);
      return FALSE;
    }

  /* A put that fails is the worker's death, which answers the work. */
  self->n_sent++;
  worker->working = TRUE;
  worker->waited = FALSE;
  put_to (self, worker, g_variant_new ("(ss@v)", DP_NDP_WORK, procedure, g_variant_new_variant (data)));
  return TRUE;
}

typedef enum {
  RESULT_READY,
  RESULT_WAIT,
  RESULT_ERROR,
} ResultState;

static ResultState
op_get_result (DpNdpCoordinator  *self,
               guint              requester,
               guint              node,
               GVariant         **out_outcome,
               GError           **error)
{
  Worker *worker = lookup_held (self, requester, node, "ndp-get-result", error);

  if (worker == NULL)
    return RESULT_ERROR;
  if (worker->outcome != NULL)
    {
      *out_outcome = g_steal_pointer (&worker->outcome);
      return RESULT_READY;
    }
  if (worker->working)
    return RESULT_WAIT;
  if (!worker->alive)
    g_set_error (error, DP_ERROR, DP_ERROR_PEER_DIED, "ndp-get-result: ndp worker %s (%s) died: %s",
                 worker->name, worker->where, worker->death);
  else
    g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                 "ndp-get-result: no work was sent to node %u (%s), or its result was taken", node,
                 worker->name);
  return RESULT_ERROR;
}

static gboolean
op_return_node (DpNdpCoordinator  *self,
                guint              requester,
                guint              node,
                GError           **error)
{
  Worker *worker = lookup_held (self, requester, node, "ndp-return-node", error);

  if (worker == NULL)
    return FALSE;
  release (self, worker);
  return TRUE;
}

/* A worker's message. */

static gboolean
reply_error (DpNdpCoordinator *self,
             Worker           *worker,
             GError           *error)
{
  g_autoptr(GError) owned = error;

  return put_to (self, worker, dp_ndp_failed_new (error));
}

static void
handle_message (DpNdpCoordinator *self,
                Worker           *worker,
                GVariant         *message)
{
  const char *tag = dp_message_get_tag (message);
  GError *error = NULL;
  guint32 node;

  if (tag == NULL)
    ;
  else if ((g_str_equal (tag, DP_NDP_DONE) && g_variant_is_of_type (message, G_VARIANT_TYPE (DP_NDP_DONE_TYPE))) ||
           (g_str_equal (tag, DP_NDP_FAILED) && g_variant_is_of_type (message, G_VARIANT_TYPE (DP_NDP_FAILED_TYPE))))
    {
      if (!worker->working)
        {
          g_warning ("ndp worker %s answered work it did not have", worker->name);
          return;
        }
      worker->working = FALSE;
      self->n_answered++;
      if (g_str_equal (tag, DP_NDP_FAILED))
        self->n_failed++;
      /* What it got and did not give back goes back now. */
      release_held_by (self, worker->id);
      deliver (self, worker, g_variant_ref (message));
      return;
    }
  else if (g_str_equal (tag, DP_NDP_GET_NODE) && g_variant_is_of_type (message, G_VARIANT_TYPE (DP_NDP_SIMPLE_TYPE)))
    {
      put_to (self, worker, g_variant_new (DP_NDP_NODE_TYPE, DP_NDP_NODE, op_get_node (self, worker->id)));
      return;
    }
  else if (g_str_equal (tag, DP_NDP_SEND_WORK) &&
           g_variant_is_of_type (message, G_VARIANT_TYPE (DP_NDP_SEND_WORK_TYPE)))
    {
      g_autoptr(GVariant) data = NULL;
      const char *procedure;

      g_variant_get (message, "(&su&sv)", NULL, &node, &procedure, &data);
      if (op_send_work (self, worker->id, node, procedure, data, &error))
        put_to (self, worker, g_variant_new (DP_NDP_SIMPLE_TYPE, DP_NDP_OK));
      else
        reply_error (self, worker, error);
      return;
    }
  else if (g_str_equal (tag, DP_NDP_GET_RESULT) && g_variant_is_of_type (message, G_VARIANT_TYPE (DP_NDP_NODE_ARG_TYPE)))
    {
      GVariant *outcome = NULL;

      g_variant_get (message, "(&su)", NULL, &node);
      switch (op_get_result (self, worker->id, node, &outcome, &error))
        {
        case RESULT_READY:
          put_to (self, worker, outcome);
          break;
        case RESULT_WAIT:
          ((Worker *) g_ptr_array_index (self->workers, node - 1))->waited = TRUE;
          break;
        case RESULT_ERROR:
        default:
          reply_error (self, worker, error);
          break;
        }
      return;
    }
  else if (g_str_equal (tag, DP_NDP_RETURN_NODE) && g_variant_is_of_type (message, G_VARIANT_TYPE (DP_NDP_NODE_ARG_TYPE)))
    {
      g_variant_get (message, "(&su)", NULL, &node);
      if (!op_return_node (self, worker->id, node, &error))
        {
          g_debug ("worker %s: %s", worker->name, error->message);
          g_error_free (error);
        }
      return;
    }

  g_warning ("ndp worker %s sent an unexpected message of type %s", worker->name,
             g_variant_get_type_string (message));
}

static gpointer
coordinator_thread (gpointer data)
{
  DpNdpCoordinator *self = data;
  g_autoptr(GPtrArray) channels = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));

  for (;;)
    {
      g_autoptr(GVariant) message = NULL;
      g_autoptr(GError) error = NULL;
      guint index = 0, id;

      g_mutex_lock (&self->lock);
      if (self->stopping)
        {
          g_mutex_unlock (&self->lock);
          break;
        }
      g_ptr_array_set_size (channels, 0);
      g_array_set_size (ids, 0);
      for (guint i = 0; i < self->workers->len; i++)
        {
          Worker *worker = g_ptr_array_index (self->workers, i);

          if (worker->alive)
            {
              g_ptr_array_add (channels, g_object_ref (worker->channel));
              g_array_append_val (ids, worker->id);
            }
        }
      g_ptr_array_add (channels, g_object_ref (self->control_peer));
      g_mutex_unlock (&self->lock);

      message = dp_channel_sync ((DpChannel **) channels->pdata, channels->len, -1, &index, &error);
      if (index == ids->len)
        continue;     /* woken to stop */

      id = g_array_index (ids, guint, index);
      g_mutex_lock (&self->lock);
      if (message != NULL)
        handle_message (self, g_ptr_array_index (self->workers, id - 1), message);
      else
        worker_died (self, g_ptr_array_index (self->workers, id - 1),
                     error != NULL ? error->message : "its channel closed");
      g_mutex_unlock (&self->lock);
    }
  return NULL;
}

/* Setting up, without the lock: no thread runs yet. */

gboolean
dp_ndp_coordinator_add_worker (DpNdpCoordinator  *self,
                               DpChannel         *channel,
                               DpRemoteNode      *node,
                               DpPlace           *place,
                               GError           **error)
{
  g_autoptr(GVariant) answer = NULL;
  Worker *worker = g_new0 (Worker, 1);
  guint32 id = 0;

  g_return_val_if_fail (DP_IS_NDP_COORDINATOR (self), FALSE);
  g_return_val_if_fail (self->thread == NULL, FALSE);

  worker->id = self->workers->len + 1;
  worker->name = g_strdup_printf ("ndpw%u", worker->id);
  worker->channel = g_object_ref (channel);
  worker->node = node != NULL ? g_object_ref (node) : NULL;
  worker->place = place != NULL ? g_object_ref (place) : NULL;
  worker->holder = HOLDER_FREE;
  if (node != NULL)
    worker->where = g_strdup_printf ("%s:%u", dp_remote_node_get_host (node),
                                     dp_remote_node_get_listen_port (node));
  else
    worker->where = g_strdup_printf ("a %s place of this process",
                                     place != NULL ? dp_place_get_backend_name (place) : "local");
  g_ptr_array_add (self->workers, worker);

  /* Its first answer: a worker that cannot start fails here, saying why. */
  if (!dp_channel_put (channel, g_variant_new (DP_NDP_INIT_TYPE, DP_NDP_INIT, worker->id, self->n_workers,
                                               worker->name), error) ||
      (answer = dp_channel_get_timeout (channel, START_TIMEOUT_USEC, error)) == NULL ||
      !g_variant_is_of_type (answer, G_VARIANT_TYPE (DP_NDP_READY_TYPE)) ||
      (g_variant_get (answer, "(&su)", NULL, &id), id != worker->id))
    {
      if (error != NULL && *error == NULL)
        {
          if (answer != NULL)
            g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL, "it answered %s",
                         g_variant_get_type_string (answer));
          else
            g_set_error (error, DP_ERROR, DP_ERROR_TIMED_OUT, "no answer in %d s",
                         (int) (START_TIMEOUT_USEC / G_USEC_PER_SEC));
        }
      g_prefix_error (error, "Cannot start ndp worker %s (%s): ", worker->name, worker->where);
      return FALSE;
    }

  worker->alive = TRUE;
  g_debug ("worker %s runs (%s)", worker->name, worker->where);
  return TRUE;
}

void
dp_ndp_coordinator_start (DpNdpCoordinator *self)
{
  g_return_if_fail (DP_IS_NDP_COORDINATOR (self));
  g_return_if_fail (self->thread == NULL);

  self->thread = g_thread_new ("ndp-coordinator", coordinator_thread, self);
}

/* Tells every worker to stop and ends the thread. Any thread but the
 * coordinator's. */
void
dp_ndp_coordinator_stop (DpNdpCoordinator *self)
{
  g_return_if_fail (DP_IS_NDP_COORDINATOR (self));

  g_mutex_lock (&self->lock);
  if (self->stopping)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  self->stopping = TRUE;
  for (guint i = 0; i < self->workers->len; i++)
    {
      Worker *worker = g_ptr_array_index (self->workers, i);

      if (worker->alive)
        dp_channel_put (worker->channel, g_variant_new (DP_NDP_SIMPLE_TYPE, DP_NDP_STOP), NULL);
    }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (self->thread != NULL)
    {
      dp_channel_put (DP_CHANNEL (self->control), g_variant_new (DP_NDP_SIMPLE_TYPE, DP_NDP_STOP), NULL);
      g_thread_join (g_steal_pointer (&self->thread));
    }
}

/* The program's side. */

static gboolean
check_running (DpNdpCoordinator  *self,
               GError           **error)
{
  if (!self->stopping)
    return TRUE;
  g_set_error_literal (error, DP_ERROR, DP_ERROR_CLOSED, "ndp: the group was stopped");
  return FALSE;
}

guint
dp_ndp_coordinator_get_node (DpNdpCoordinator  *self,
                             GError           **error)
{
  guint node = DP_NDP_NO_NODE;

  g_mutex_lock (&self->lock);
  if (check_running (self, error))
    node = op_get_node (self, HOLDER_OWNER);
  g_mutex_unlock (&self->lock);
  return node;
}

gboolean
dp_ndp_coordinator_send_work (DpNdpCoordinator  *self,
                              guint              node,
                              const char        *procedure,
                              GVariant          *data,
                              GError           **error)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = check_running (self, error) && op_send_work (self, HOLDER_OWNER, node, procedure, data, error);
  g_mutex_unlock (&self->lock);
  return ok;
}

/* Waits for the outcome of @node's work; the lock is held. */
static GVariant *
wait_outcome (DpNdpCoordinator  *self,
              guint              node,
              GError           **error)
{
  for (;;)
    {
      GVariant *outcome = NULL;

      if (!check_running (self, error))
        return NULL;
      switch (op_get_result (self, HOLDER_OWNER, node, &outcome, error))
        {
        case RESULT_READY:
          return dp_ndp_outcome_take_value (outcome, error);
        case RESULT_ERROR:
          return NULL;
        case RESULT_WAIT:
        default:
          g_cond_wait (&self->cond, &self->lock);
          break;
        }
    }
}

GVariant *
dp_ndp_coordinator_get_result (DpNdpCoordinator  *self,
                               guint              node,
                               GError           **error)
{
  GVariant *value;

  g_mutex_lock (&self->lock);
  value = wait_outcome (self, node, error);
  g_mutex_unlock (&self->lock);
  return value;
}

gboolean
dp_ndp_coordinator_return_node (DpNdpCoordinator  *self,
                                guint              node,
                                GError           **error)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = op_return_node (self, HOLDER_OWNER, node, error);
  g_mutex_unlock (&self->lock);
  return ok;
}

GVariant *
dp_ndp_coordinator_run (DpNdpCoordinator  *self,
                        const char        *procedure,
                        GVariant          *data,
                        GError           **error)
{
  GVariant *value = NULL;
  guint node;

  g_mutex_lock (&self->lock);
  g_free (self->procedure);
  self->procedure = g_strdup (procedure);
  /* The first worker free, waiting for one if all are taken. */
  for (;;)
    {
      guint n_alive = 0;

      if (!check_running (self, error))
        goto out;
      node = op_get_node (self, HOLDER_OWNER);
      if (node != DP_NDP_NO_NODE)
        break;
      for (guint i = 0; i < self->workers->len; i++)
        if (((Worker *) g_ptr_array_index (self->workers, i))->alive)
          n_alive++;
      if (n_alive == 0)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_PEER_DIED, "ndp: every worker of the group died");
          goto out;
        }
      g_cond_wait (&self->cond, &self->lock);
    }

  if (op_send_work (self, HOLDER_OWNER, node, procedure, data, error))
    value = wait_outcome (self, node, error);
  op_return_node (self, HOLDER_OWNER, node, NULL);

out:
  g_mutex_unlock (&self->lock);
  return value;
}

/* Looking at it, from any thread. */

guint
dp_ndp_coordinator_get_n_workers (DpNdpCoordinator *self)
{
  return self->workers->len;
}

static guint
count (DpNdpCoordinator *self,
       gboolean          free_only)
{
  guint n = 0;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->workers->len; i++)
    {
      Worker *worker = g_ptr_array_index (self->workers, i);

      if (worker->alive && (!free_only || worker->holder == HOLDER_FREE))
        n++;
    }
  g_mutex_unlock (&self->lock);
  return n;
}

guint
dp_ndp_coordinator_get_n_alive (DpNdpCoordinator *self)
{
  return count (self, FALSE);
}

guint
dp_ndp_coordinator_get_n_free (DpNdpCoordinator *self)
{
  return count (self, TRUE);
}

const char *
dp_ndp_coordinator_get_worker_name (DpNdpCoordinator *self,
                                    guint             node)
{
  Worker *worker = lookup (self, node, NULL);
  return worker != NULL ? worker->name : NULL;
}

DpRemoteNode *
dp_ndp_coordinator_get_worker_node (DpNdpCoordinator *self,
                                    guint             node)
{
  Worker *worker = lookup (self, node, NULL);
  return worker != NULL ? worker->node : NULL;
}

DpPlace *
dp_ndp_coordinator_get_worker_place (DpNdpCoordinator *self,
                                     guint             node)
{
  Worker *worker = lookup (self, node, NULL);
  return worker != NULL ? worker->place : NULL;
}
