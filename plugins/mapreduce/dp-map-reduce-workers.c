/* dp-map-reduce-workers.c: a group of MapReduce worker places on nodes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-mapreduce"

#include "config.h"

#include "dp-map-reduce-workers-private.h"
#include "dp-map-reduce-protocol-private.h"

/* How long a new worker may take to answer its first request. */
#define START_TIMEOUT_USEC (30 * G_USEC_PER_SEC)

/**
 * DpMapReduceWorkers:
 *
 * The worker places a map-reduce runs on (what the seeds'
 * `make-map-reduce-workers` returns): one named place `mpwN` per entry of
 * a host/port list, each running [func@Dp.map_reduce_worker] on a node
 * there. [func@Dp.make_map_reduce_workers] spawns the nodes;
 * [ctor@Dp.MapReduceWorkers.new_on_nodes] uses nodes that run already.
 * The workers serve one [class@Dp.MapReduceJob] at a time, any number in
 * turn. A worker whose node dies stays dead; the others go on.
 *
 * Dropping the last reference stops the worker places and makes the
 * nodes this object spawned exit.
 */

typedef struct {
  DpRemoteNode *node;
  DpRemoteConnection *place;
  char *name;
  gboolean alive;
} Worker;

struct _DpMapReduceWorkers
{
  GObject parent_instance;

  GPtrArray *workers;         /* Worker* */
  GPtrArray *spawned_nodes;   /* DpRemoteNode*: ours to end */
  gint busy;                  /* a job runs */
};

G_DEFINE_FINAL_TYPE (DpMapReduceWorkers, dp_map_reduce_workers, G_TYPE_OBJECT)

static void
worker_free (Worker *worker)
{
  g_clear_object (&worker->place);
  g_clear_object (&worker->node);
  g_free (worker->name);
  g_free (worker);
}

static void
dp_map_reduce_workers_dispose (GObject *object)
{
  DpMapReduceWorkers *self = DP_MAP_REDUCE_WORKERS (object);

  dp_map_reduce_workers_stop (self);

  G_OBJECT_CLASS (dp_map_reduce_workers_parent_class)->dispose (object);
}

static void
dp_map_reduce_workers_finalize (GObject *object)
{
  DpMapReduceWorkers *self = DP_MAP_REDUCE_WORKERS (object);

  g_ptr_array_unref (self->workers);
  g_ptr_array_unref (self->spawned_nodes);

  G_OBJECT_CLASS (dp_map_reduce_workers_parent_class)->finalize (object);
}

static void
dp_map_reduce_workers_class_init (DpMapReduceWorkersClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dp_map_reduce_workers_dispose;
  object_class->finalize = dp_map_reduce_workers_finalize;
}

static void
dp_map_reduce_workers_init (DpMapReduceWorkers *self)
{
  self->workers = g_ptr_array_new_with_free_func ((GDestroyNotify) worker_free);
  self->spawned_nodes = g_ptr_array_new_with_free_func (g_object_unref);
}

/* Launches worker mpwN on @node and waits for its first answer, so that
 * a worker that cannot start (no module there) fails here, saying why. */
static gboolean
add_worker (DpMapReduceWorkers  *self,
            DpRemoteNode        *node,
            const char          *backend,
            GError             **error)
{
  g_autoptr(GVariant) answer = NULL;
  Worker *worker = g_new0 (Worker, 1);

  worker->node = g_object_ref (node);
  worker->name = g_strdup_printf ("mpw%u", self->workers->len);
  g_ptr_array_add (self->workers, worker);

  worker->place = dp_remote_node_launch_place (node, DP_PLACE_EXEC_DYNAMIC_PLACE,
                                               DP_MAP_REDUCE_MODULE, DP_MAP_REDUCE_WORKER_FUNCTION,
                                               worker->name, backend, error);
  if (worker->place == NULL ||
      !dp_channel_put (DP_CHANNEL (worker->place),
                       g_variant_new (DP_MR_SIMPLE_TYPE, DP_MR_RESET, (guint32) 0), error) ||
      (answer = dp_channel_get_timeout (DP_CHANNEL (worker->place), START_TIMEOUT_USEC, error)) == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, DP_ERROR, DP_ERROR_TIMED_OUT, "no answer in %d s",
                     (int) (START_TIMEOUT_USEC / G_USEC_PER_SEC));
      g_prefix_error (error, "Cannot start map-reduce worker %s on %s:%u: ", worker->name,
                      dp_remote_node_get_host (node), dp_remote_node_get_listen_port (node));
      return FALSE;
    }

  worker->alive = TRUE;
  g_debug ("worker %s runs on %s:%u", worker->name, dp_remote_node_get_host (node),
           dp_remote_node_get_listen_port (node));
  return TRUE;
}

/**
 * dp_map_reduce_workers_new_on_nodes:
 * @nodes: (array length=n_nodes): nodes that run (connected or spawned)
 * @n_nodes: how many
 * @backend: (nullable): the place backend of the workers; %NULL for threads
 * @error: return location for a #GError
 *
 * Starts one worker place on each of @nodes (a node given twice gets
 * two). The nodes stay the caller's.
 *
 * Returns: (transfer full): the workers, or %NULL with @error set
 */
DpMapReduceWorkers *
dp_map_reduce_workers_new_on_nodes (DpRemoteNode **nodes,
                                    guint          n_nodes,
                                    const char    *backend,
                                    GError       **error)
{
  g_autoptr(DpMapReduceWorkers) self = g_object_new (DP_TYPE_MAP_REDUCE_WORKERS, NULL);

  g_return_val_if_fail (nodes != NULL || n_nodes == 0, NULL);

  for (guint i = 0; i < n_nodes; i++)
    if (!add_worker (self, nodes[i], backend, error))
      return NULL;
  return g_steal_pointer (&self);
}

/**
 * dp_make_map_reduce_workers:
 * @config: (array zero-terminated=1): where to start nodes: `HOST:PORT`
 *   entries (the seeds' config list of host and port); port 0 lets each
 *   node pick its own; an entry with a nonzero port given twice starts two
 *   workers on one node
 * @options: (nullable): how to spawn the nodes (launcher, solo, …; the
 *   port comes from @config) and, in `backend`, the workers' place
 *   backend; %NULL for the defaults
 * @error: return location for a #GError
 *
 * Spawns the nodes at once, waits for all, and starts a worker place on
 * each (the seeds' `make-map-reduce-workers`). The nodes end with the
 * returned object.
 *
 * Returns: (transfer full): the workers, or %NULL with @error set
 */
DpMapReduceWorkers *
dp_make_map_reduce_workers (const char * const  *config,
                            const DpNodeOptions *options,
                            GError             **error)
{
  g_autoptr(DpMapReduceWorkers) self = g_object_new (DP_TYPE_MAP_REDUCE_WORKERS, NULL);
  g_autoptr(GPtrArray) nodes = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  /* Spawn them all at once (the seeds' spawn-nodes/join/local). */
  nodes = dp_spawn_nodes_at (config, options, error);
  if (nodes == NULL)
    {
      g_prefix_error (error, "Cannot start the map-reduce nodes: ");
      return NULL;
    }
  for (guint i = 0; i < nodes->len; i++)
    if (!g_ptr_array_find (self->spawned_nodes, g_ptr_array_index (nodes, i), NULL))
      g_ptr_array_add (self->spawned_nodes, g_object_ref (g_ptr_array_index (nodes, i)));

  for (guint i = 0; i < nodes->len; i++)
    if (!add_worker (self, g_ptr_array_index (nodes, i), options != NULL ? options->backend : NULL, error))
      return NULL;

  return g_steal_pointer (&self);
}

/**
 * dp_map_reduce_workers_get_n_workers:
 * @self: workers
 *
 * Returns: how many workers the group started with
 */
guint
dp_map_reduce_workers_get_n_workers (DpMapReduceWorkers *self)
{
  g_return_val_if_fail (DP_IS_MAP_REDUCE_WORKERS (self), 0);
  return self->workers->len;
}

/**
 * dp_map_reduce_workers_get_n_alive:
 * @self: workers
 *
 * Returns: how many of them have not died
 */
guint
dp_map_reduce_workers_get_n_alive (DpMapReduceWorkers *self)
{
  guint n = 0;

  g_return_val_if_fail (DP_IS_MAP_REDUCE_WORKERS (self), 0);

  for (guint i = 0; i < self->workers->len; i++)
    if (dp_map_reduce_workers_is_alive (self, i))
      n++;
  return n;
}

static Worker *
get_worker (DpMapReduceWorkers *self,
            guint               index)
{
  g_return_val_if_fail (DP_IS_MAP_REDUCE_WORKERS (self), NULL);
  g_return_val_if_fail (index < self->workers->len, NULL);
  return g_ptr_array_index (self->workers, index);
}

/**
 * dp_map_reduce_workers_get_node:
 * @self: workers
 * @index: a worker's number
 *
 * Returns: (transfer none): the node worker @index runs on
 */
DpRemoteNode *
dp_map_reduce_workers_get_node (DpMapReduceWorkers *self,
                                guint               index)
{
  Worker *worker = get_worker (self, index);
  return worker != NULL ? worker->node : NULL;
}

/**
 * dp_map_reduce_workers_get_channel:
 * @self: workers
 * @index: a worker's number
 *
 * Returns: (transfer none): the channel to worker @index
 */
DpChannel *
dp_map_reduce_workers_get_channel (DpMapReduceWorkers *self,
                                   guint               index)
{
  Worker *worker = get_worker (self, index);
  return worker != NULL && worker->place != NULL ? DP_CHANNEL (worker->place) : NULL;
}

/**
 * dp_map_reduce_workers_get_name:
 * @self: workers
 * @index: a worker's number
 *
 * Returns: the name of worker @index's named place (`mpwN`)
 */
const char *
dp_map_reduce_workers_get_name (DpMapReduceWorkers *self,
                                guint               index)
{
  Worker *worker = get_worker (self, index);
  return worker != NULL ? worker->name : NULL;
}

const char *
dp_map_reduce_workers_get_host (DpMapReduceWorkers *self,
                                guint               index)
{
  return dp_remote_node_get_host (get_worker (self, index)->node);
}

guint
dp_map_reduce_workers_get_port (DpMapReduceWorkers *self,
                                guint               index)
{
  return dp_remote_node_get_listen_port (get_worker (self, index)->node);
}

gboolean
dp_map_reduce_workers_is_alive (DpMapReduceWorkers *self,
                                guint               index)
{
  Worker *worker = get_worker (self, index);

  return worker->alive && worker->place != NULL && !dp_channel_is_closed (DP_CHANNEL (worker->place));
}

void
dp_map_reduce_workers_mark_dead (DpMapReduceWorkers *self,
                                 guint               index)
{
  get_worker (self, index)->alive = FALSE;
}

/* One job at a time. */
gboolean
dp_map_reduce_workers_claim (DpMapReduceWorkers  *self,
                             GError             **error)
{
  if (!g_atomic_int_compare_and_exchange (&self->busy, 0, 1))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_REFUSED,
                   "These map-reduce workers run another map-reduce");
      return FALSE;
    }
  return TRUE;
}

void
dp_map_reduce_workers_release (DpMapReduceWorkers *self)
{
  g_atomic_int_set (&self->busy, 0);
}

/**
 * dp_map_reduce_workers_stop:
 * @self: workers
 *
 * Stops the worker places and makes the nodes this object spawned exit.
 * Done when the last reference goes; the workers cannot be used after.
 */
void
dp_map_reduce_workers_stop (DpMapReduceWorkers *self)
{
  g_return_if_fail (DP_IS_MAP_REDUCE_WORKERS (self));

  for (guint i = 0; i < self->workers->len; i++)
    {
      Worker *worker = g_ptr_array_index (self->workers, i);

      if (worker->place != NULL && worker->alive)
        dp_channel_put (DP_CHANNEL (worker->place),
                        g_variant_new (DP_MR_SIMPLE_TYPE, DP_MR_STOP, (guint32) 0), NULL);
      worker->alive = FALSE;
    }
  for (guint i = 0; i < self->spawned_nodes->len; i++)
    dp_remote_node_send_exit (g_ptr_array_index (self->spawned_nodes, i));
  g_ptr_array_set_size (self->spawned_nodes, 0);
}
