/* dp-rmpi-job.c: the launcher's side of an RMPI program
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-rmpi"

#include "config.h"

#include <string.h>

#include "dp-rmpi.h"
#include "dp-rmpi-comm-private.h"

/**
 * DpRmpiJob:
 *
 * What `rmpi-launch` does, step by step: a job is a configuration (the
 * seeds' default config hash and list of node configs, see
 * [func@Dp.rmpi_build_default_config]); [method@Dp.RmpiJob.start] spawns
 * the nodes, starts one named place per rank and tells each its id, the
 * others' addresses and the arguments ([func@Dp.rmpi_init] is the other
 * side); [method@Dp.RmpiJob.wait] rendezvous with rank 0 at
 * [func@Dp.rmpi_finish], waits for every rank's place to end and stops
 * the nodes it spawned.
 *
 * Config entries are `(host, port, name, id)` or `(host, port, name, id,
 * options)`, type `(sqsu)` or `(sqsua{sv})`. Racket spawns a node per
 * entry; here entries share a node when their options name the same
 * `node` key, or when they give the same host and a non-zero port. Port 0
 * lets each node pick its own. Options (per entry, else from the
 * defaults): `mpi-module`, `mpi-func`, `mpi-args` (also spelt `rmpi-…`),
 * `launch-path` (the `dplaces` binary there; `racket-path` and
 * `distributed-launch-path` mean the same), `launcher`, `ssh-bin-path`,
 * `node`. A `node` key given to [method@Dp.RmpiJob.add_node] uses that
 * running node instead of spawning one.
 *
 * A rank whose place fails fails the job: its peers' collectives fail
 * (their channels to it close), and the job stops the nodes it spawned.
 */

typedef struct {
  char *host;
  guint16 port;
  char *name;
  guint id;
  char *module;
  char *function;
  GVariant *args;
  char *launch_path;
  char *launcher;
  char *ssh_bin_path;
  char *node_key;
  guint group;
} JobEntry;

typedef struct {
  char *key;
  JobEntry *first;        /* where host, port and launch options come from */
  DpRemoteNode *node;
  gboolean spawned;
} JobGroup;

struct _DpRmpiJob
{
  GObject parent_instance;

  JobEntry *entries;      /* in config order */
  guint n_ranks;
  JobEntry **by_rank;
  GPtrArray *groups;      /* JobGroup* */
  GHashTable *given;      /* node key → DpRemoteNode* */

  gboolean started;
  DpRemoteConnection **places;   /* by rank */
  DpTypedChannel **tcs;          /* by rank */

  /* Progress, readable from any thread (dp_rmpi_job_dup_status()). */
  gint state;                    /* JobState, atomic */
  gint ranks_ready;              /* atomic: in rmpi-init */
  gint ranks_ended;              /* atomic: their place ended */
  gint64 started_at;
  gint64 finished_at;
  GMutex status_lock;            /* for failure */
  char *failure;
  guint id;
};

typedef enum {
  JOB_READY,
  JOB_STARTING,
  JOB_RUNNING,
  JOB_FINISHING,
  JOB_DONE,
  JOB_FAILED,
} JobState;

static const char * const job_state_names[] = { "ready", "starting", "running", "finishing", "done", "failed" };

G_DEFINE_FINAL_TYPE (DpRmpiJob, dp_rmpi_job, G_TYPE_OBJECT)

static void
set_state (DpRmpiJob    *self,
           JobState      state,
           const GError *failure)
{
  if (state == JOB_STARTING)
    self->started_at = g_get_monotonic_time ();
  if (state == JOB_DONE || state == JOB_FAILED)
    self->finished_at = g_get_monotonic_time ();
  if (failure != NULL)
    {
      g_mutex_lock (&self->status_lock);
      g_free (self->failure);
      self->failure = g_strdup (failure->message);
      g_mutex_unlock (&self->status_lock);
    }
  g_atomic_int_set (&self->state, state);
}

/* The control plane's view of this process's jobs (DpMonitor). */
static GVariant *
list_job_statuses (gpointer data)
{
  g_autoptr(GPtrArray) list = dp_rmpi_list_jobs ();
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < list->len; i++)
    {
      g_autoptr(GVariant) status = dp_rmpi_job_dup_status (g_ptr_array_index (list, i));
      g_variant_builder_add_value (&builder, status);
    }
  return g_variant_builder_end (&builder);
}

static void
job_group_free (gpointer data)
{
  JobGroup *group = data;

  g_free (group->key);
  g_clear_object (&group->node);
  g_free (group);
}

static void
dp_rmpi_job_dispose (GObject *object)
{
  DpRmpiJob *self = DP_RMPI_JOB (object);

  for (guint i = 0; self->places != NULL && i < self->n_ranks; i++)
    {
      g_clear_object (&self->tcs[i]);
      g_clear_object (&self->places[i]);
    }
  if (self->groups != NULL)
    dp_rmpi_job_stop (self);

  G_OBJECT_CLASS (dp_rmpi_job_parent_class)->dispose (object);
}

static void
dp_rmpi_job_finalize (GObject *object)
{
  DpRmpiJob *self = DP_RMPI_JOB (object);

  g_free (self->failure);
  g_mutex_clear (&self->status_lock);

  for (guint i = 0; i < self->n_ranks; i++)
    {
      JobEntry *entry = &self->entries[i];

      g_free (entry->host);
      g_free (entry->name);
      g_free (entry->module);
      g_free (entry->function);
      g_clear_pointer (&entry->args, g_variant_unref);
      g_free (entry->launch_path);
      g_free (entry->launcher);
      g_free (entry->ssh_bin_path);
      g_free (entry->node_key);
    }
  g_free (self->entries);
  g_free (self->by_rank);
  g_free (self->places);
  g_free (self->tcs);
  g_clear_pointer (&self->groups, g_ptr_array_unref);
  g_clear_pointer (&self->given, g_hash_table_unref);

  G_OBJECT_CLASS (dp_rmpi_job_parent_class)->finalize (object);
}

static void
dp_rmpi_job_class_init (DpRmpiJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dp_rmpi_job_dispose;
  object_class->finalize = dp_rmpi_job_finalize;
}

static void
dp_rmpi_job_init (DpRmpiJob *self)
{
  static gsize monitored;

  self->groups = g_ptr_array_new_with_free_func (job_group_free);
  self->given = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_mutex_init (&self->status_lock);

  /* The control plane asks for our jobs when it wants them. */
  if (g_once_init_enter (&monitored))
    {
      dp_monitor_add_job_source (dp_monitor_get_default (), "rmpi", list_job_statuses, NULL, NULL);
      g_once_init_leave (&monitored, 1);
    }
  self->id = dp_monitor_add_job (dp_monitor_get_default (), "rmpi", self);
}

/* Options. */

static const struct {
  const char *key;
  const char *type;
} known_options[] = {
  { "mpi-module", "s" }, { "rmpi-module", "s" },
  { "mpi-func", "s" }, { "rmpi-func", "s" },
  { "mpi-args", NULL }, { "rmpi-args", NULL },
  { "launch-path", "s" }, { "racket-path", "s" }, { "distributed-launch-path", "s" },
  { "launcher", "s" }, { "ssh-bin-path", "s" }, { "node", "s" }, { "listen-port", NULL },
};

static gboolean
check_options (GVariant    *options,
               const char  *where,
               GError     **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      guint i;

      for (i = 0; i < G_N_ELEMENTS (known_options); i++)
        if (g_str_equal (key, known_options[i].key))
          break;
      if (i == G_N_ELEMENTS (known_options))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "rmpi-launch: %s: unknown option “%s”; expected mpi-module, mpi-func, "
                       "mpi-args, launch-path, launcher, ssh-bin-path or node", where, key);
          g_variant_unref (value);
          return FALSE;
        }
      if (known_options[i].type != NULL &&
          !g_variant_is_of_type (value, G_VARIANT_TYPE (known_options[i].type)))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "rmpi-launch: %s: option “%s” must be of type %s, not %s", where, key,
                       known_options[i].type, g_variant_get_type_string (value));
          g_variant_unref (value);
          return FALSE;
        }
    }
  return TRUE;
}

/* The first of @keys found in @options, then in @defaults. */
static GVariant *
lookup_option (GVariant          *options,
               GVariant          *defaults,
               const char * const *keys)
{
  GVariant *sources[] = { options, defaults };

  for (guint s = 0; s < G_N_ELEMENTS (sources); s++)
    for (guint k = 0; sources[s] != NULL && keys[k] != NULL; k++)
      {
        GVariant *value = g_variant_lookup_value (sources[s], keys[k], NULL);
        if (value != NULL)
          return value;
      }
  return NULL;
}

static char *
lookup_string (GVariant          *options,
               GVariant          *defaults,
               const char * const *keys)
{
  g_autoptr(GVariant) value = lookup_option (options, defaults, keys);

  return value != NULL ? g_variant_dup_string (value, NULL) : NULL;
}

/**
 * dp_rmpi_job_new:
 * @default_config: (transfer floating) (nullable): the options every entry
 *   has unless it says otherwise, `a{sv}` (see
 *   [func@Dp.rmpi_build_default_config])
 * @config: (transfer floating): the ranks, `a(sqsu)` or `a(sqsua{sv})`
 *   (see [func@Dp.rmpi_make_localhost_config])
 * @error: return location for a #GError
 *
 * Checks a configuration. Nothing starts yet.
 *
 * Returns: (transfer full): the job, or %NULL with @error set
 */
DpRmpiJob *
dp_rmpi_job_new (GVariant  *default_config,
                 GVariant  *config,
                 GError   **error)
{
  static const char * const module_keys[] = { "mpi-module", "rmpi-module", NULL };
  static const char * const function_keys[] = { "mpi-func", "rmpi-func", NULL };
  static const char * const args_keys[] = { "mpi-args", "rmpi-args", NULL };
  static const char * const path_keys[] = { "launch-path", "racket-path", "distributed-launch-path", NULL };
  static const char * const launcher_keys[] = { "launcher", NULL };
  static const char * const ssh_keys[] = { "ssh-bin-path", NULL };
  static const char * const node_keys[] = { "node", NULL };
  g_autoptr(GVariant) defaults = NULL;
  g_autoptr(GVariant) entries = NULL;
  g_autoptr(DpRmpiJob) self = NULL;
  g_autoptr(GHashTable) group_index = NULL;
  gboolean with_options;

  g_return_val_if_fail (config != NULL, NULL);

  defaults = default_config != NULL ? g_variant_ref_sink (default_config)
                                    : g_variant_ref_sink (g_variant_new ("a{sv}", NULL));
  entries = g_variant_ref_sink (config);
  if (!g_variant_is_of_type (defaults, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "rmpi-launch: the default config must be of type a{sv}, not %s",
                   g_variant_get_type_string (defaults));
      return NULL;
    }
  with_options = g_variant_is_of_type (entries, G_VARIANT_TYPE ("a(sqsua{sv})"));
  if (!with_options && !g_variant_is_of_type (entries, G_VARIANT_TYPE ("a(sqsu)")))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "rmpi-launch: the config must be a list of (host, port, name, id) or "
                   "(host, port, name, id, options) — type a(sqsu) or a(sqsua{sv}), not %s",
                   g_variant_get_type_string (entries));
      return NULL;
    }
  if (!check_options (defaults, "the default config", error))
    return NULL;

  self = g_object_new (DP_TYPE_RMPI_JOB, NULL);
  self->n_ranks = g_variant_n_children (entries);
  if (self->n_ranks == 0)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                           "rmpi-launch: the config has no ranks");
      return NULL;
    }
  self->entries = g_new0 (JobEntry, self->n_ranks);
  self->by_rank = g_new0 (JobEntry *, self->n_ranks);
  group_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < self->n_ranks; i++)
    {
      JobEntry *entry = &self->entries[i];
      g_autoptr(GVariant) options = NULL;
      g_autoptr(GVariant) args = NULL;
      g_autofree char *where = NULL;
      g_autofree char *group_key = NULL;
      const char *host, *name;
      guint16 port;
      guint32 id;
      gpointer index;

      if (with_options)
        g_variant_get_child (entries, i, "(&sq&su@a{sv})", &host, &port, &name, &id, &options);
      else
        {
          g_variant_get_child (entries, i, "(&sq&su)", &host, &port, &name, &id);
          options = g_variant_ref_sink (g_variant_new ("a{sv}", NULL));
        }
      where = g_strdup_printf ("entry %u (%s)", i, name);
      if (!check_options (options, where, error))
        return NULL;
      if (id >= self->n_ranks || self->by_rank[id] != NULL)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "rmpi-launch: %s: the ids must be 0 to %u, once each; %u is not",
                       where, self->n_ranks - 1, id);
          return NULL;
        }
      if (name[0] == '\0' || host[0] == '\0')
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "rmpi-launch: %s: a rank needs a host and a name", where);
          return NULL;
        }

      entry->host = g_strdup (host);
      entry->port = port;
      entry->name = g_strdup (name);
      entry->id = id;
      entry->module = lookup_string (options, defaults, module_keys);
      entry->function = lookup_string (options, defaults, function_keys);
      args = lookup_option (options, defaults, args_keys);
      entry->args = args != NULL ? g_variant_ref (args)
                                 : g_variant_ref_sink (g_variant_new_tuple (NULL, 0));
      entry->launch_path = lookup_string (options, defaults, path_keys);
      entry->launcher = lookup_string (options, defaults, launcher_keys);
      entry->ssh_bin_path = lookup_string (options, defaults, ssh_keys);
      entry->node_key = lookup_string (options, NULL, node_keys);
      if (entry->module == NULL || entry->function == NULL)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "rmpi-launch: %s: no %s: give mpi-module and mpi-func in the default "
                       "config or the entry", where, entry->module == NULL ? "mpi-module" : "mpi-func");
          return NULL;
        }
      self->by_rank[id] = entry;

      /* Which node it runs on. */
      if (entry->node_key != NULL)
        group_key = g_strdup_printf ("node %s", entry->node_key);
      else if (port != 0)
        group_key = g_strdup_printf ("address %s:%u", host, port);
      else
        group_key = g_strdup_printf ("entry %u", i);
      if (g_hash_table_lookup_extended (group_index, group_key, NULL, &index))
        entry->group = GPOINTER_TO_UINT (index);
      else
        {
          JobGroup *group = g_new0 (JobGroup, 1);

          group->key = g_strdup (group_key);
          group->first = entry;
          entry->group = self->groups->len;
          g_ptr_array_add (self->groups, group);
          g_hash_table_insert (group_index, g_steal_pointer (&group_key),
                               GUINT_TO_POINTER (entry->group));
        }
    }

  return g_steal_pointer (&self);
}

/**
 * dp_rmpi_job_add_node:
 * @self: a job not started yet
 * @key: the `node` option of the entries that run there
 * @node: a running node, such as a keyfile's `[node NAME]`
 *
 * Runs the ranks whose `node` option is @key on @node instead of
 * spawning a node for them.
 */
void
dp_rmpi_job_add_node (DpRmpiJob    *self,
                      const char   *key,
                      DpRemoteNode *node)
{
  g_return_if_fail (DP_IS_RMPI_JOB (self));
  g_return_if_fail (key != NULL);
  g_return_if_fail (DP_IS_REMOTE_NODE (node));
  g_return_if_fail (!self->started);

  g_hash_table_replace (self->given, g_strdup (key), g_object_ref (node));
}

static gboolean
start_nodes (DpRmpiJob  *self,
             GError    **error)
{
  for (guint g = 0; g < self->groups->len; g++)
    {
      JobGroup *group = g_ptr_array_index (self->groups, g);
      JobEntry *first = group->first;
      DpRemoteNode *given = NULL;
      g_autoptr(GError) local_error = NULL;
      DpNodeOptions options;

      if (first->node_key != NULL)
        given = g_hash_table_lookup (self->given, first->node_key);
      if (given != NULL)
        {
          group->node = g_object_ref (given);
          continue;
        }

      dp_node_options_init (&options);
      options.listen_port = first->port;
      options.launcher = first->launcher;
      options.launch_path = first->launch_path;
      options.ssh_bin_path = first->ssh_bin_path;
      group->node = dp_spawn_remote_node (first->host, &options, &local_error);
      if (group->node == NULL)
        {
          g_set_error (error, local_error->domain, local_error->code,
                       "rmpi-launch: cannot start a node on %s for rank %u: %s", first->host,
                       first->id, local_error->message);
          return FALSE;
        }
      group->spawned = TRUE;
      g_debug ("node %s:%u for %s", first->host, dp_remote_node_get_listen_port (group->node),
               group->key);
    }
  return TRUE;
}

static GVariant *
rank_addresses (DpRmpiJob *self)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sqsuu)"));
  for (guint id = 0; id < self->n_ranks; id++)
    {
      JobEntry *entry = self->by_rank[id];
      JobGroup *group = g_ptr_array_index (self->groups, entry->group);

      g_variant_builder_add (&builder, "(sqsuu)", dp_remote_node_get_host (group->node),
                             (guint16) dp_remote_node_get_listen_port (group->node), entry->name,
                             id, entry->group);
    }
  return g_variant_builder_end (&builder);
}

static gboolean
rank_failed (DpRmpiJob    *self,
             guint         id,
             const char   *doing,
             GError       *cause,
             GError      **error)
{
  g_autoptr(GError) owned = cause;

  g_set_error (error, cause->domain, cause->code, "rmpi-launch: rank %u (%s) %s: %s", id,
               self->by_rank[id]->name, doing, cause->message);
  return FALSE;
}

/**
 * dp_rmpi_job_start:
 * @self: a job
 * @error: return location for a #GError
 *
 * Spawns the nodes, starts a named place per rank (the entry's name) and
 * hands each its id, the ranks' addresses and the arguments; returns once
 * every rank is in [func@Dp.rmpi_init] and connecting to the others. On
 * failure the nodes spawned are stopped.
 *
 * Returns: %TRUE on success
 */
gboolean
dp_rmpi_job_start (DpRmpiJob  *self,
                   GError    **error)
{
  g_autoptr(GVariant) addresses = NULL;

  g_return_val_if_fail (DP_IS_RMPI_JOB (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  self->started = TRUE;
  self->places = g_new0 (DpRemoteConnection *, self->n_ranks);
  self->tcs = g_new0 (DpTypedChannel *, self->n_ranks);
  set_state (self, JOB_STARTING, NULL);

  if (!start_nodes (self, error))
    goto failed;

  for (guint i = 0; i < self->n_ranks; i++)
    {
      JobEntry *entry = &self->entries[i];
      JobGroup *group = g_ptr_array_index (self->groups, entry->group);
      GError *local_error = NULL;

      self->places[entry->id] = dp_remote_node_launch_place (group->node, DP_PLACE_EXEC_DYNAMIC_PLACE,
                                                             entry->module, entry->function,
                                                             entry->name, NULL, &local_error);
      if (self->places[entry->id] == NULL)
        {
          rank_failed (self, entry->id, "cannot start", local_error, error);
          goto failed;
        }
      self->tcs[entry->id] = dp_typed_channel_new (DP_CHANNEL (self->places[entry->id]));
    }

  addresses = g_variant_ref_sink (rank_addresses (self));
  for (guint id = 0; id < self->n_ranks; id++)
    {
      GError *local_error = NULL;
      DpChannel *channel = DP_CHANNEL (self->places[id]);

      if (!dp_channel_put (channel, g_variant_new ("(su@a(sqsuu))", DP_RMPI_ID_TAG, id, addresses),
                           &local_error) ||
          !dp_channel_put (channel, g_variant_new ("(sv)", DP_RMPI_ARGS_TAG, self->by_rank[id]->args),
                           &local_error))
        {
          rank_failed (self, id, "cannot be reached", local_error, error);
          goto failed;
        }
    }

  /* Every place runs, and so is named on its node, before any rank looks
   * for the others. */
  for (guint id = 0; id < self->n_ranks; id++)
    {
      GError *local_error = NULL;
      g_autoptr(GVariant) ready = dp_typed_channel_get (self->tcs[id], DP_RMPI_READY_TAG, &local_error);

      if (ready == NULL)
        {
          rank_failed (self, id, "did not start", local_error, error);
          goto failed;
        }
      g_atomic_int_inc (&self->ranks_ready);
    }
  for (guint id = 0; id < self->n_ranks; id++)
    {
      GError *local_error = NULL;

      if (!dp_channel_put (DP_CHANNEL (self->places[id]), g_variant_new ("(s)", DP_RMPI_GO_TAG),
                           &local_error))
        {
          rank_failed (self, id, "cannot be reached", local_error, error);
          goto failed;
        }
    }
  set_state (self, JOB_RUNNING, NULL);
  return TRUE;

failed:
  {
    g_autoptr(GError) failure = g_error_new_literal (DP_ERROR, DP_ERROR_FAILED,
                                                     error != NULL && *error != NULL ? (*error)->message
                                                                                     : "rmpi-launch: could not start");
    set_state (self, JOB_FAILED, failure);
  }
  dp_rmpi_job_stop (self);
  return FALSE;
}

typedef struct {
  DpRmpiJob *job;
  guint n_left;
  guint n_exited;
  gint *status;
  guint *order;           /* 0 while running, then 1, 2 … in the order they ended */
} PlacesWait;

typedef struct {
  PlacesWait *wait;
  guint id;
} PlaceWait;

static void
place_waited_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  PlaceWait *one = data;

  one->wait->status[one->id] = dp_remote_connection_wait_finish (DP_REMOTE_CONNECTION (source),
                                                                 result, NULL);
  one->wait->order[one->id] = ++one->wait->n_exited;
  one->wait->n_left--;
  g_atomic_int_inc (&one->wait->job->ranks_ended);
  g_free (one);
}

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Lets the callbacks of @context run, without blocking. */
static void
dispatch_pending (GMainContext *context)
{
  while (g_main_context_iteration (context, FALSE))
    ;
}

/* The first rank that ended with an error, if any: it says best what
 * went wrong (the others fail because it did). */
static gboolean
check_exits (DpRmpiJob   *self,
             PlacesWait  *wait,
             GError     **error)
{
  guint culprit = G_MAXUINT;

  for (guint id = 0; id < self->n_ranks; id++)
    if (wait->order[id] != 0 && wait->status[id] != 0 &&
        (culprit == G_MAXUINT || wait->order[id] < wait->order[culprit]))
      culprit = id;
  if (culprit == G_MAXUINT)
    return TRUE;

  {
    const char *reason = dp_remote_connection_get_exit_reason (self->places[culprit]);

    g_clear_error (error);
    g_set_error (error, DP_ERROR, DP_ERROR_PEER_DIED, "rmpi-launch: rank %u (%s) failed: %s",
                 culprit, self->by_rank[culprit]->name,
                 reason != NULL ? reason : "its place ended with an error");
  }
  return FALSE;
}

/* Iterates @context until every place ended or @timeout_ms passed. */
static void
wait_for_ends (GMainContext *context,
               PlacesWait   *wait,
               guint         timeout_ms)
{
  gboolean timed_out = FALSE;
  GSource *timeout = g_timeout_source_new (timeout_ms);

  g_source_set_callback (timeout, set_flag_cb, &timed_out, NULL);
  g_source_attach (timeout, context);
  while (wait->n_left > 0 && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);
}

#define WAIT_SLICE_USEC (50 * 1000)
#define EXIT_TIMEOUT_MS (60 * 1000)
#define FAILURE_GRACE_MS 2000

/**
 * dp_rmpi_job_wait:
 * @self: a started job
 * @error: return location for a #GError
 *
 * Waits for the program: asks rank 0 whether it is done (it answers at
 * [func@Dp.rmpi_finish]), then waits for every rank's place to end, and
 * stops the nodes the job spawned. A rank that fails — its place ends
 * with an error or its node dies — fails the job at once.
 *
 * Returns: (transfer full): what rank 0 gave [func@Dp.rmpi_finish_with_result]
 *   (`()` if nothing), or %NULL with @error set
 */
GVariant *
dp_rmpi_job_wait (DpRmpiJob  *self,
                  GError    **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GVariant) done = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autofree gint *status = NULL;
  g_autofree guint *order = NULL;
  PlacesWait wait = { 0 };

  g_return_val_if_fail (DP_IS_RMPI_JOB (self), NULL);
  g_return_val_if_fail (self->started && self->places != NULL, NULL);

  status = g_new0 (gint, self->n_ranks);
  order = g_new0 (guint, self->n_ranks);
  wait.job = self;
  wait.status = status;
  wait.order = order;

  g_main_context_push_thread_default (context);
  for (guint id = 0; id < self->n_ranks; id++)
    {
      PlaceWait *one = g_new0 (PlaceWait, 1);

      one->wait = &wait;
      one->id = id;
      wait.n_left++;
      dp_remote_connection_wait_async (self->places[id], NULL, place_waited_cb, one);
    }

  {
    GError *local_error = NULL;

    if (!dp_channel_put (DP_CHANNEL (self->places[0]),
                         g_variant_new ("(s)", DP_RMPI_DONE_QUERY_TAG), &local_error))
      {
        rank_failed (self, 0, "cannot be reached", local_error, error);
        goto failed;
      }
  }

  /* Rank 0's answer, watching the others meanwhile. */
  while (done == NULL)
    {
      GError *local_error = NULL;

      done = dp_typed_channel_get_timeout (self->tcs[0], DP_RMPI_DONE_TAG, WAIT_SLICE_USEC,
                                           &local_error);
      dispatch_pending (context);
      if (!check_exits (self, &wait, error))
        {
          g_clear_error (&local_error);
          goto failed;
        }
      if (local_error != NULL)
        {
          rank_failed (self, 0, "ended before rmpi-finish", local_error, error);
          goto failed;
        }
    }
  set_state (self, JOB_FINISHING, NULL);
  if (g_variant_is_of_type (done, G_VARIANT_TYPE (DP_RMPI_DONE_TYPE)))
    g_variant_get (done, "(&sv)", NULL, &result);
  else
    result = g_variant_ref_sink (g_variant_new_tuple (NULL, 0));

  /* Then every place's end. */
  wait_for_ends (context, &wait, EXIT_TIMEOUT_MS);
  if (!check_exits (self, &wait, error))
    goto failed;
  if (wait.n_left > 0)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_TIMED_OUT,
                   "rmpi-launch: rank 0 finished, but not every rank's place ended within %d s",
                   EXIT_TIMEOUT_MS / 1000);
      goto failed;
    }

  g_main_context_pop_thread_default (context);
  dp_rmpi_job_stop (self);
  set_state (self, JOB_DONE, NULL);
  return g_steal_pointer (&result);

failed:
  /* The ranks' own ends first, before the nodes go: the first rank that
   * failed, rather than rank 0 failing because of it, says what happened. */
  wait_for_ends (context, &wait, FAILURE_GRACE_MS);
  check_exits (self, &wait, error);
  {
    g_autoptr(GError) failure = g_error_new_literal (DP_ERROR, DP_ERROR_FAILED,
                                                     error != NULL && *error != NULL ? (*error)->message
                                                                                     : "rmpi-launch: failed");
    set_state (self, JOB_FAILED, failure);
  }
  dp_rmpi_job_stop (self);
  wait_for_ends (context, &wait, 5000);
  if (wait.n_left > 0)
    g_warning ("rmpi-launch: %u rank places did not end", wait.n_left);
  /* Callbacks still to come are never dispatched: nothing iterates this
   * context once it is popped. */
  g_main_context_pop_thread_default (context);
  return NULL;
}

/**
 * dp_rmpi_job_stop:
 * @self: a job
 *
 * Tells the nodes the job spawned to exit (their places end with them).
 */
void
dp_rmpi_job_stop (DpRmpiJob *self)
{
  g_return_if_fail (DP_IS_RMPI_JOB (self));

  for (guint g = 0; g < self->groups->len; g++)
    {
      JobGroup *group = g_ptr_array_index (self->groups, g);

      if (group->spawned && group->node != NULL && dp_remote_node_is_alive (group->node))
        dp_remote_node_send_exit (group->node);
      group->spawned = FALSE;
    }
}

/**
 * dp_rmpi_job_dup_status:
 * @self: a job
 *
 * The job's progress, for a control plane (JSON through
 * `json_gvariant_serialize()`): `id`, `name` (s), `state` (s: `ready`,
 * `starting`, `running`, `finishing` — rank 0 is done, the others are
 * ending —, `done`, `failed`), `ranks` (u), `ranks-ready` (u: in
 * [func@Dp.rmpi_init]), `done` and `total` (t: ranks whose place ended,
 * and ranks), `seconds` (d, running or run), `error` (s) when it failed.
 * Safe to call from any thread.
 *
 * Returns: (transfer full): an `a{sv}`
 */
GVariant *
dp_rmpi_job_dup_status (DpRmpiJob *self)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autofree char *id = NULL;
  g_autofree char *name = NULL;
  JobState state;
  gint64 end;

  g_return_val_if_fail (DP_IS_RMPI_JOB (self), NULL);

  state = (JobState) g_atomic_int_get (&self->state);
  end = state == JOB_DONE || state == JOB_FAILED ? self->finished_at : g_get_monotonic_time ();
  id = g_strdup_printf ("rmpi-%u", self->id);
  name = self->n_ranks > 0 ? g_strdup_printf ("%s:%s", self->by_rank[0]->module, self->by_rank[0]->function)
                           : g_strdup ("rmpi");
  g_variant_builder_add (&builder, "{sv}", "id", g_variant_new_string (id));
  g_variant_builder_add (&builder, "{sv}", "name", g_variant_new_string (name));
  g_variant_builder_add (&builder, "{sv}", "state", g_variant_new_string (job_state_names[state]));
  g_variant_builder_add (&builder, "{sv}", "ranks", g_variant_new_uint32 (self->n_ranks));
  g_variant_builder_add (&builder, "{sv}", "ranks-ready",
                         g_variant_new_uint32 ((guint) g_atomic_int_get (&self->ranks_ready)));
  g_variant_builder_add (&builder, "{sv}", "done",
                         g_variant_new_uint64 ((guint64) g_atomic_int_get (&self->ranks_ended)));
  g_variant_builder_add (&builder, "{sv}", "total", g_variant_new_uint64 (self->n_ranks));
  g_variant_builder_add (&builder, "{sv}", "seconds",
                         g_variant_new_double (state == JOB_READY ? 0.0
                                               : (end - self->started_at) / (double) G_USEC_PER_SEC));
  g_mutex_lock (&self->status_lock);
  if (self->failure != NULL)
    g_variant_builder_add (&builder, "{sv}", "error", g_variant_new_string (self->failure));
  g_mutex_unlock (&self->status_lock);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/**
 * dp_rmpi_list_jobs:
 *
 * The RMPI jobs of this process that still exist — running, or done and
 * still referenced — for a control plane to show. Safe to call from any
 * thread.
 *
 * Returns: (transfer full) (element-type DpRmpiJob): the jobs
 */
GPtrArray *
dp_rmpi_list_jobs (void)
{
  return dp_monitor_list_jobs (dp_monitor_get_default (), "rmpi");
}

/**
 * dp_rmpi_job_get_n_ranks:
 * @self: a job
 *
 * Returns: how many ranks it has
 */
guint
dp_rmpi_job_get_n_ranks (DpRmpiJob *self)
{
  g_return_val_if_fail (DP_IS_RMPI_JOB (self), 0);
  return self->n_ranks;
}

/**
 * dp_rmpi_job_get_n_nodes:
 * @self: a job
 *
 * Returns: on how many nodes its ranks run
 */
guint
dp_rmpi_job_get_n_nodes (DpRmpiJob *self)
{
  g_return_val_if_fail (DP_IS_RMPI_JOB (self), 0);
  return self->groups->len;
}

/**
 * dp_rmpi_job_get_rank_node:
 * @self: a started job
 * @rank: a rank
 *
 * Returns: (transfer none) (nullable): the node @rank runs on
 */
DpRemoteNode *
dp_rmpi_job_get_rank_node (DpRmpiJob *self,
                           guint      rank)
{
  JobGroup *group;

  g_return_val_if_fail (DP_IS_RMPI_JOB (self), NULL);
  g_return_val_if_fail (rank < self->n_ranks, NULL);

  group = g_ptr_array_index (self->groups, self->by_rank[rank]->group);
  return group->node;
}

/**
 * dp_rmpi_job_get_rank_channel:
 * @self: a started job
 * @rank: a rank
 *
 * The launcher's end of @rank's place channel — the other end is the
 * channel its place function got, which [func@Dp.rmpi_init] wraps in the
 * typed channel it returns: a program can talk to its ranks with tagged
 * messages besides RMPI's.
 *
 * Returns: (transfer none) (nullable): the channel
 */
DpChannel *
dp_rmpi_job_get_rank_channel (DpRmpiJob *self,
                              guint      rank)
{
  g_return_val_if_fail (DP_IS_RMPI_JOB (self), NULL);
  g_return_val_if_fail (rank < self->n_ranks, NULL);

  return self->places != NULL ? DP_CHANNEL (self->places[rank]) : NULL;
}

/**
 * dp_rmpi_job_get_rank_typed_channel:
 * @self: a started job
 * @rank: a rank
 *
 * [method@Dp.RmpiJob.get_rank_channel] as the typed channel the job reads
 * it with: get your own tagged messages from it, not from the channel.
 *
 * Returns: (transfer none) (nullable): the typed channel
 */
DpTypedChannel *
dp_rmpi_job_get_rank_typed_channel (DpRmpiJob *self,
                                    guint      rank)
{
  g_return_val_if_fail (DP_IS_RMPI_JOB (self), NULL);
  g_return_val_if_fail (rank < self->n_ranks, NULL);

  return self->tcs != NULL ? self->tcs[rank] : NULL;
}
