/* dp-ndp-group.c: an NDP group — a coordinator and a pool of worker
 * places — and the seeds' ndp-* operations on it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-ndp"

#include "config.h"

#include "dp-ndp-coordinator-private.h"
#include "dp-ndp-group-private.h"
#include "dp-ndp-protocol-private.h"

/**
 * DpNdpGroup:
 *
 * The seeds' `ndp-group` (dissertation §4.3.4, nested data parallelism):
 * a coordinating node 0 and a pool of worker places, nodes 1 to N. The
 * program that makes the group hands it work with [func@Dp.ndp_run]; the
 * coordinator forwards the work to the first free worker. The work is a
 * [callback@Dp.NdpProcedure], which may split its data and ask the group
 * for another worker ([func@Dp.ndp_get_node]), give it part of the data
 * with another procedure address ([func@Dp.ndp_send_work]), go on with
 * the rest itself, then collect the part's result
 * ([func@Dp.ndp_get_result]) and give the worker back
 * ([func@Dp.ndp_return_node]) — recursively, as the dissertation's
 * parallel quicksort does.
 *
 * A group is made with [func@Dp.make_ndp_group] (a node spawned per
 * config entry, the seeds' `make-ndp-group`),
 * [ctor@Dp.NdpGroup.new_on_nodes] (nodes that run already) or
 * [ctor@Dp.NdpGroup.new_local] (places of this process: threads, which
 * share its memory and its [class@Dp.SharedVector]s by reference, or
 * processes, which share the vectors' memory too).
 *
 * A procedure gets the group as its worker sees it: the same functions
 * work there, talking to the coordinator over the worker's place
 * channel. A worker's group is used by its place's thread, one call at a
 * time.
 *
 * Nothing waits on a worker that died: the work it had fails with
 * %DP_ERROR_PEER_DIED, naming the worker and why it died, for whoever
 * waits on it (and so, usually, for every procedure up to the program),
 * and the workers it held are taken back. The others go on serving.
 *
 * Dropping the program's last reference stops the worker places and
 * makes the nodes the group spawned exit.
 */

struct _DpNdpGroup
{
  GObject parent_instance;

  /* The program's group. */
  DpNdpCoordinator *coordinator;
  GPtrArray *spawned_nodes;   /* DpRemoteNode*: ours to end */

  /* A worker's view. */
  DpChannel *channel;
  guint id;
  guint n_workers;
  char *name;
  GMutex lock;                /* a worker: one request at a time; the program: stopping */
  gboolean stopped;
  GHashTable *procedures;     /* address → DpNdpProcedure */
};

G_DEFINE_FINAL_TYPE (DpNdpGroup, dp_ndp_group, G_TYPE_OBJECT)

static void
dp_ndp_group_dispose (GObject *object)
{
  DpNdpGroup *self = DP_NDP_GROUP (object);

  if (self->coordinator != NULL)
    dp_ndp_group_stop (self);

  G_OBJECT_CLASS (dp_ndp_group_parent_class)->dispose (object);
}

static void
dp_ndp_group_finalize (GObject *object)
{
  DpNdpGroup *self = DP_NDP_GROUP (object);

  g_clear_object (&self->coordinator);
  g_ptr_array_unref (self->spawned_nodes);
  g_clear_object (&self->channel);
  g_free (self->name);
  g_mutex_clear (&self->lock);
  g_hash_table_unref (self->procedures);

  G_OBJECT_CLASS (dp_ndp_group_parent_class)->finalize (object);
}

static void
dp_ndp_group_class_init (DpNdpGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dp_ndp_group_dispose;
  object_class->finalize = dp_ndp_group_finalize;
}

static void
dp_ndp_group_init (DpNdpGroup *self)
{
  self->spawned_nodes = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_init (&self->lock);
  self->procedures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* Outcomes on the wire. */

/* A work's failure, or a request's: (tag, domain, code, message). */
GVariant *
dp_ndp_failed_new (const GError *error)
{
  return g_variant_new (DP_NDP_FAILED_TYPE, DP_NDP_FAILED, g_quark_to_string (error->domain),
                        error->code, error->message);
}

/* The value of a done outcome, or the error of a failed one; takes
 * @outcome. An error's domain is found by name, never made (quarks are
 * never freed): one this process does not know becomes DP_ERROR_FAILED,
 * naming it. */
GVariant *
dp_ndp_outcome_take_value (GVariant  *outcome,
                           GError   **error)
{
  g_autoptr(GVariant) owned = outcome;

  if (g_variant_is_of_type (outcome, G_VARIANT_TYPE (DP_NDP_DONE_TYPE)) &&
      g_str_equal (dp_message_get_tag (outcome), DP_NDP_DONE))
    {
      GVariant *value;

      g_variant_get (outcome, "(&sv)", NULL, &value);
      return value;
    }
  if (g_variant_is_of_type (outcome, G_VARIANT_TYPE (DP_NDP_FAILED_TYPE)) &&
      g_str_equal (dp_message_get_tag (outcome), DP_NDP_FAILED))
    {
      const char *domain, *message;
      gint32 code;
      GQuark quark;

      g_variant_get (outcome, "(&s&si&s)", NULL, &domain, &code, &message);
      quark = dp_error_domain_lookup (domain);
      if (quark != 0)
        g_set_error_literal (error, quark, code, message);
      else
        g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "%s (%s %d)", message, domain, code);
      return NULL;
    }
  g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL, "ndp: an answer of type %s where a result was due",
               g_variant_get_type_string (outcome));
  return NULL;
}

/**
 * dp_ndp_procedure_resolve:
 * @address: a procedure address: `MODULE:SYMBOL`
 * @error: return location for a #GError
 *
 * Loads the module (once) from the plugin directories and finds the
 * procedure: what the seeds' `dynamic-require` does with `(list
 * module-path 'symbol)`. The symbol is what follows the last `:`.
 *
 * Returns: (nullable): the procedure, or %NULL with @error set, naming
 *   the directories searched
 */
DpNdpProcedure
dp_ndp_procedure_resolve (const char  *address,
                          GError     **error)
{
  g_return_val_if_fail (address != NULL, NULL);

  return (DpNdpProcedure) dp_procedure_address_resolve (address, error);
}

/* Runs @procedure here, in this worker (or program). */
GVariant *
dp_ndp_group_call (DpNdpGroup  *self,
                   const char  *procedure,
                   GVariant    *data,
                   GError     **error)
{
  DpNdpProcedure function = g_hash_table_lookup (self->procedures, procedure);
  GError *local_error = NULL;
  GVariant *value;

  if (function == NULL)
    {
      function = dp_ndp_procedure_resolve (procedure, error);
      if (function == NULL)
        return NULL;
      g_hash_table_insert (self->procedures, g_strdup (procedure), function);
    }

  value = function (self, data, &local_error);
  if (local_error != NULL)
    {
      if (value != NULL)
        {
          if (g_variant_is_floating (value))
            g_variant_ref_sink (value);
          g_variant_unref (value);
        }
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (value == NULL)
    return g_variant_ref_sink (g_variant_new_tuple (NULL, 0));
  /* Ours either way: a full reference, or a floating one sunk. */
  if (g_variant_is_floating (value))
    g_variant_ref_sink (value);
  return value;
}

/* Making a group. */

/* The worker places' channels go to the coordinator, which then starts. */
static DpNdpGroup *
group_new (guint n_workers)
{
  DpNdpGroup *self = g_object_new (DP_TYPE_NDP_GROUP, NULL);

  self->coordinator = dp_ndp_coordinator_new (n_workers);
  self->n_workers = n_workers;
  return self;
}

static gboolean
add_worker_on_node (DpNdpGroup    *self,
                    DpRemoteNode  *node,
                    const char    *backend,
                    GError       **error)
{
  g_autoptr(DpRemoteConnection) place = NULL;
  g_autofree char *name = g_strdup_printf ("ndpw%u", dp_ndp_coordinator_get_n_workers (self->coordinator) + 1);

  place = dp_remote_node_launch_place (node, DP_PLACE_EXEC_DYNAMIC_PLACE, DP_NDP_MODULE,
                                       DP_NDP_WORKER_FUNCTION, name, backend, error);
  if (place == NULL)
    {
      g_prefix_error (error, "Cannot start ndp worker %s on %s:%u: ", name, dp_remote_node_get_host (node),
                      dp_remote_node_get_listen_port (node));
      return FALSE;
    }
  return dp_ndp_coordinator_add_worker (self->coordinator, DP_CHANNEL (place), node, NULL, error);
}

/**
 * dp_ndp_group_new_on_nodes:
 * @nodes: (array length=n_nodes): nodes that run (connected or spawned)
 * @n_nodes: how many: one worker on each (a node given twice runs two)
 * @backend: (nullable): the workers' place backend there; %NULL for threads
 * @error: return location for a #GError
 *
 * Starts a worker place on each of @nodes: nodes 1 to @n_nodes of the
 * group. The nodes stay the caller's.
 *
 * Returns: (transfer full): the group, or %NULL with @error set
 */
DpNdpGroup *
dp_ndp_group_new_on_nodes (DpRemoteNode **nodes,
                           guint          n_nodes,
                           const char    *backend,
                           GError       **error)
{
  g_autoptr(DpNdpGroup) self = NULL;

  g_return_val_if_fail (nodes != NULL || n_nodes == 0, NULL);

  self = group_new (n_nodes);
  for (guint i = 0; i < n_nodes; i++)
    if (!add_worker_on_node (self, nodes[i], backend, error))
      return NULL;
  dp_ndp_coordinator_start (self->coordinator);
  return g_steal_pointer (&self);
}

/**
 * dp_ndp_group_new_local:
 * @n_workers: how many worker places
 * @backend: (nullable): their backend: `threads` (%NULL) or `processes`
 * @error: return location for a #GError
 *
 * Starts @n_workers worker places in this process (threads) or as its
 * children (processes). Either way they share this process's
 * [class@Dp.SharedVector]s: work can name ranges of a vector here and
 * sort them in place — no data is copied.
 *
 * Returns: (transfer full): the group, or %NULL with @error set
 */
DpNdpGroup *
dp_ndp_group_new_local (guint        n_workers,
                        const char  *backend,
                        GError     **error)
{
  g_autoptr(DpNdpGroup) self = group_new (n_workers);

  for (guint i = 0; i < n_workers; i++)
    {
      g_autofree char *name = g_strdup_printf ("ndpw%u", i + 1);
      g_autoptr(DpPlace) place = g_object_new (DP_TYPE_PLACE,
                                               "module", DP_NDP_MODULE,
                                               "function", DP_NDP_WORKER_FUNCTION,
                                               "name", name,
                                               "backend", backend != NULL ? backend : "threads",
                                               NULL);

      if (!dp_place_start (place, error))
        {
          g_prefix_error (error, "Cannot start ndp worker %s: ", name);
          return NULL;
        }
      if (!dp_ndp_coordinator_add_worker (self->coordinator, DP_CHANNEL (place), NULL, place, error))
        return NULL;
    }
  dp_ndp_coordinator_start (self->coordinator);
  return g_steal_pointer (&self);
}

/**
 * dp_make_ndp_group:
 * @config: (array zero-terminated=1): where the workers run: `HOST:PORT`
 *   entries (the seeds' config list of host and port), a worker each;
 *   port 0 lets each node pick its own; an entry with a nonzero port
 *   given twice runs two workers on one node
 * @options: (nullable): how to spawn the nodes (launcher, solo, …; the
 *   port comes from @config) and, in `backend`, the workers' place
 *   backend; %NULL for the defaults
 * @error: return location for a #GError
 *
 * Spawns the nodes at once, waits for all, and starts a worker place on
 * each (the seeds' `make-ndp-group`); the coordinator runs in this
 * process. The nodes end with the returned group.
 *
 * Returns: (transfer full): the group, or %NULL with @error set
 */
DpNdpGroup *
dp_make_ndp_group (const char * const  *config,
                   const DpNodeOptions *options,
                   GError             **error)
{
  g_autoptr(DpNdpGroup) self = NULL;
  g_autoptr(GPtrArray) nodes = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  /* Spawn them all at once. */
  nodes = dp_spawn_nodes_at (config, options, error);
  if (nodes == NULL)
    {
      g_prefix_error (error, "Cannot start the ndp group's nodes: ");
      return NULL;
    }
  self = group_new (nodes->len);
  for (guint i = 0; i < nodes->len; i++)
    if (!g_ptr_array_find (self->spawned_nodes, g_ptr_array_index (nodes, i), NULL))
      g_ptr_array_add (self->spawned_nodes, g_object_ref (g_ptr_array_index (nodes, i)));

  for (guint i = 0; i < nodes->len; i++)
    if (!add_worker_on_node (self, g_ptr_array_index (nodes, i), options != NULL ? options->backend : NULL,
                             error))
      return NULL;

  dp_ndp_coordinator_start (self->coordinator);
  return g_steal_pointer (&self);
}

/* A worker's view, made by its place (dp-ndp-worker.c). */
DpNdpGroup *
dp_ndp_group_new_for_worker (DpChannel  *channel,
                             guint       id,
                             guint       n_workers,
                             const char *name)
{
  DpNdpGroup *self = g_object_new (DP_TYPE_NDP_GROUP, NULL);

  self->channel = g_object_ref (channel);
  self->id = id;
  self->n_workers = n_workers;
  self->name = g_strdup (name);
  return self;
}

gboolean
dp_ndp_group_was_stopped (DpNdpGroup *self)
{
  gboolean stopped;

  g_mutex_lock (&self->lock);
  stopped = self->stopped;
  g_mutex_unlock (&self->lock);
  return stopped;
}

/* A worker's request to the coordinator, and its answer if @out_answer
 * wants one. */
static gboolean
request (DpNdpGroup  *self,
         const char  *what,
         GVariant    *message,
         GVariant   **out_answer,
         GError     **error)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (message);
  g_autoptr(GVariant) answer = NULL;
  GError *local_error = NULL;

  g_mutex_lock (&self->lock);
  if (self->stopped)
    g_set_error_literal (&local_error, DP_ERROR, DP_ERROR_CLOSED, "the group was stopped");
  else if (dp_channel_put (self->channel, owned, &local_error) && out_answer != NULL)
    {
      answer = dp_channel_get (self->channel, &local_error);
      if (answer != NULL && g_strcmp0 (dp_message_get_tag (answer), DP_NDP_STOP) == 0)
        {
          /* The group ends: this work's result would go nowhere. */
          self->stopped = TRUE;
          g_clear_pointer (&answer, g_variant_unref);
          g_set_error_literal (&local_error, DP_ERROR, DP_ERROR_CLOSED, "the group was stopped");
        }
    }
  g_mutex_unlock (&self->lock);

  if (local_error != NULL)
    {
      g_set_error (error, local_error->domain, local_error->code, "%s: worker %s: %s", what, self->name,
                   local_error->message);
      g_error_free (local_error);
      return FALSE;
    }
  if (out_answer != NULL)
    *out_answer = g_steal_pointer (&answer);
  return TRUE;
}

/* An answer that must be @tag of @type, or a failure. */
static gboolean
check_answer (GVariant    *answer,
              const char  *tag,
              const char  *type,
              GError     **error)
{
  if (g_variant_is_of_type (answer, G_VARIANT_TYPE (type)) && g_str_equal (dp_message_get_tag (answer), tag))
    return TRUE;
  dp_ndp_outcome_take_value (g_variant_ref (answer), error);
  return FALSE;
}

/**
 * dp_ndp_get_node:
 * @group: a group, or a worker's view of it
 * @error: return location for a #GError
 *
 * The seeds' `ndp-get-node`: takes a free worker from the group, if
 * there is one. It is the caller's until given back with
 * [func@Dp.ndp_return_node] — at the latest when the work the caller runs
 * ends, or the caller dies.
 *
 * Returns: the worker's node number (1 or more), or %DP_NDP_NO_NODE (0,
 *   the seeds' `#f`) when every worker is taken — also with @error set if
 *   the group cannot be asked
 */
guint
dp_ndp_get_node (DpNdpGroup  *group,
                 GError     **error)
{
  g_autoptr(GVariant) answer = NULL;
  guint32 node;

  g_return_val_if_fail (DP_IS_NDP_GROUP (group), DP_NDP_NO_NODE);

  if (group->coordinator != NULL)
    return dp_ndp_coordinator_get_node (group->coordinator, error);

  if (!request (group, "ndp-get-node", g_variant_new (DP_NDP_SIMPLE_TYPE, DP_NDP_GET_NODE), &answer, error) ||
      !check_answer (answer, DP_NDP_NODE, DP_NDP_NODE_TYPE, error))
    return DP_NDP_NO_NODE;
  g_variant_get (answer, "(&su)", NULL, &node);
  return node;
}

/**
 * dp_ndp_send_work:
 * @group: a group, or a worker's view of it
 * @node: a node from [func@Dp.ndp_get_node]
 * @procedure: the work: a [callback@Dp.NdpProcedure]'s address, `MODULE:SYMBOL`
 * @data: (transfer floating): its data (a [class@Dp.SharedVector]'s handle
 *   is shared, not copied, with a place of the same process or node)
 * @error: return location for a #GError
 *
 * The seeds' `ndp-send-work`: gives @node work, without waiting for it
 * to be done. Its result is [func@Dp.ndp_get_result]'s.
 *
 * Returns: %TRUE if the work is on its way; %FALSE with @error set if
 *   @node is not the caller's, has work already, or died
 */
gboolean
dp_ndp_send_work (DpNdpGroup  *group,
                  guint        node,
                  const char  *procedure,
                  GVariant    *data,
                  GError     **error)
{
  g_autoptr(GVariant) owned = NULL;
  g_autoptr(GVariant) answer = NULL;

  g_return_val_if_fail (DP_IS_NDP_GROUP (group), FALSE);
  g_return_val_if_fail (procedure != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  owned = g_variant_ref_sink (data);
  if (group->coordinator != NULL)
    return dp_ndp_coordinator_send_work (group->coordinator, node, procedure, owned, error);

  return request (group, "ndp-send-work",
                  g_variant_new ("(sus@v)", DP_NDP_SEND_WORK, node, procedure, g_variant_new_variant (owned)),
                  &answer, error) &&
         check_answer (answer, DP_NDP_OK, DP_NDP_SIMPLE_TYPE, error);
}

/**
 * dp_ndp_get_result:
 * @group: a group, or a worker's view of it
 * @node: a node the caller sent work to
 * @error: return location for a #GError
 *
 * The seeds' `ndp-get-result`: waits for @node's work to be done. The
 * node stays the caller's: give it back with [func@Dp.ndp_return_node].
 *
 * Returns: (transfer full): what the work's procedure returned, or %NULL
 *   with @error set: the procedure's own error, or %DP_ERROR_PEER_DIED if
 *   the worker died (naming it and why)
 */
GVariant *
dp_ndp_get_result (DpNdpGroup  *group,
                   guint        node,
                   GError     **error)
{
  GVariant *answer = NULL;

  g_return_val_if_fail (DP_IS_NDP_GROUP (group), NULL);

  if (group->coordinator != NULL)
    return dp_ndp_coordinator_get_result (group->coordinator, node, error);

  if (!request (group, "ndp-get-result", g_variant_new (DP_NDP_NODE_ARG_TYPE, DP_NDP_GET_RESULT, node),
                &answer, error))
    return NULL;
  return dp_ndp_outcome_take_value (answer, error);
}

/**
 * dp_ndp_return_node:
 * @group: a group, or a worker's view of it
 * @node: a node the caller holds
 * @error: return location for a #GError
 *
 * The seeds' `ndp-return-node`: gives @node back to the group, for
 * [func@Dp.ndp_get_node] to hand out again. A node given back before its
 * result was taken finishes its work first; the result is dropped.
 *
 * Returns: %TRUE, or %FALSE with @error set (from the program: @node is
 *   not its own; from a worker, only if the group cannot be told)
 */
gboolean
dp_ndp_return_node (DpNdpGroup  *group,
                    guint        node,
                    GError     **error)
{
  g_return_val_if_fail (DP_IS_NDP_GROUP (group), FALSE);

  if (group->coordinator != NULL)
    return dp_ndp_coordinator_return_node (group->coordinator, node, error);

  /* No answer: a worker does not wait for it. */
  return request (group, "ndp-return-node", g_variant_new (DP_NDP_NODE_ARG_TYPE, DP_NDP_RETURN_NODE, node),
                  NULL, error);
}

/**
 * dp_ndp_run:
 * @group: a group, or a worker's view of it
 * @procedure: the work: a [callback@Dp.NdpProcedure]'s address, `MODULE:SYMBOL`
 * @data: (transfer floating): its data
 * @error: return location for a #GError
 *
 * Runs work on the group and returns its result — the stub the seeds'
 * `ndp-qsort` is. From the program that made the group, the coordinator
 * gives the work to the first free worker, waiting for one if all are
 * taken; calls from several threads run side by side. From a worker's
 * procedure, it runs on a free worker if there is one, else here, in
 * the calling procedure.
 *
 * Returns: (transfer full): what the procedure returned, or %NULL with
 *   @error set
 */
GVariant *
dp_ndp_run (DpNdpGroup  *group,
            const char  *procedure,
            GVariant    *data,
            GError     **error)
{
  g_autoptr(GVariant) owned = NULL;
  GError *local_error = NULL;
  GVariant *value;
  guint node;

  g_return_val_if_fail (DP_IS_NDP_GROUP (group), NULL);
  g_return_val_if_fail (procedure != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);

  owned = g_variant_ref_sink (data);
  if (group->coordinator != NULL)
    return dp_ndp_coordinator_run (group->coordinator, procedure, owned, error);

  node = dp_ndp_get_node (group, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (node == DP_NDP_NO_NODE)
    return dp_ndp_group_call (group, procedure, owned, error);
  if (!dp_ndp_send_work (group, node, procedure, owned, error))
    {
      dp_ndp_return_node (group, node, NULL);
      return NULL;
    }
  value = dp_ndp_get_result (group, node, error);
  dp_ndp_return_node (group, node, NULL);
  return value;
}

/* The group. */

/**
 * dp_ndp_group_is_worker:
 * @self: a group
 *
 * Returns: %TRUE for a worker's view of its group (what a procedure
 *   gets), %FALSE for the program's group
 */
gboolean
dp_ndp_group_is_worker (DpNdpGroup *self)
{
  g_return_val_if_fail (DP_IS_NDP_GROUP (self), FALSE);
  return self->coordinator == NULL;
}

/**
 * dp_ndp_group_get_node_id:
 * @self: a group
 *
 * Returns: the node number of the worker whose view @self is (1 or
 *   more); 0 (the coordinator) for the program's group
 */
guint
dp_ndp_group_get_node_id (DpNdpGroup *self)
{
  g_return_val_if_fail (DP_IS_NDP_GROUP (self), 0);
  return self->id;
}

/**
 * dp_ndp_group_get_n_workers:
 * @self: a group
 *
 * Returns: how many workers the group started with
 */
guint
dp_ndp_group_get_n_workers (DpNdpGroup *self)
{
  g_return_val_if_fail (DP_IS_NDP_GROUP (self), 0);
  return self->n_workers;
}

/**
 * dp_ndp_group_get_n_alive:
 * @self: the program's group
 *
 * Returns: how many of its workers have not died (0 in a worker's view)
 */
guint
dp_ndp_group_get_n_alive (DpNdpGroup *self)
{
  g_return_val_if_fail (DP_IS_NDP_GROUP (self), 0);
  return self->coordinator != NULL ? dp_ndp_coordinator_get_n_alive (self->coordinator) : 0;
}

/**
 * dp_ndp_group_get_n_free:
 * @self: the program's group
 *
 * Returns: how many of its workers are free now (0 in a worker's view)
 */
guint
dp_ndp_group_get_n_free (DpNdpGroup *self)
{
  g_return_val_if_fail (DP_IS_NDP_GROUP (self), 0);
  return self->coordinator != NULL ? dp_ndp_coordinator_get_n_free (self->coordinator) : 0;
}

/**
 * dp_ndp_group_get_worker_name:
 * @self: the program's group
 * @node: a node number
 *
 * Returns: (nullable): the name of worker @node's place (`ndpwN`); in a
 *   worker's view, its own name for its own number
 */
const char *
dp_ndp_group_get_worker_name (DpNdpGroup *self,
                              guint       node)
{
  g_return_val_if_fail (DP_IS_NDP_GROUP (self), NULL);
  if (self->coordinator == NULL)
    return node == self->id ? self->name : NULL;
  return dp_ndp_coordinator_get_worker_name (self->coordinator, node);
}

/**
 * dp_ndp_group_get_worker_node:
 * @self: the program's group
 * @node: a node number
 *
 * Returns: (transfer none) (nullable): the node worker @node runs on;
 *   %NULL for a place of this process
 */
DpRemoteNode *
dp_ndp_group_get_worker_node (DpNdpGroup *self,
                              guint       node)
{
  g_return_val_if_fail (DP_IS_NDP_GROUP (self), NULL);
  return self->coordinator != NULL ? dp_ndp_coordinator_get_worker_node (self->coordinator, node) : NULL;
}

/**
 * dp_ndp_group_get_worker_place:
 * @self: the program's group
 * @node: a node number
 *
 * Returns: (transfer none) (nullable): worker @node's place, for a group
 *   of [ctor@Dp.NdpGroup.new_local]; %NULL for a worker on a node
 */
DpPlace *
dp_ndp_group_get_worker_place (DpNdpGroup *self,
                               guint       node)
{
  g_return_val_if_fail (DP_IS_NDP_GROUP (self), NULL);
  return self->coordinator != NULL ? dp_ndp_coordinator_get_worker_place (self->coordinator, node) : NULL;
}

/**
 * dp_ndp_group_stop:
 * @self: the program's group
 *
 * Stops the worker places and makes the nodes the group spawned exit.
 * Calls waiting on the group fail. Done when the last reference goes.
 */
void
dp_ndp_group_stop (DpNdpGroup *self)
{
  g_return_if_fail (DP_IS_NDP_GROUP (self));

  if (self->coordinator == NULL)
    return;
  dp_ndp_coordinator_stop (self->coordinator);
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->spawned_nodes->len; i++)
    dp_remote_node_send_exit (g_ptr_array_index (self->spawned_nodes, i));
  g_ptr_array_set_size (self->spawned_nodes, 0);
  g_mutex_unlock (&self->lock);
}
