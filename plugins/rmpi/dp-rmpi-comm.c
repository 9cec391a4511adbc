/* dp-rmpi-comm.c: an RMPI communicator — ranks, point-to-point messages,
 * and the rank side of a job (rmpi-init, rmpi-finish)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-rmpi"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dp-rmpi.h"
#include "dp-rmpi-comm-private.h"

/**
 * DpRmpiComm:
 *
 * The seeds' `rmpi-comm`: a rank's view of a group of places that run one
 * RMPI program. It holds the rank's id, the group's size (`cnt`) and a
 * channel to every other rank — two in fact, one for [func@Dp.rmpi_send]
 * and [func@Dp.rmpi_recv] and one for the collectives, so that a message
 * sent and not yet received never meets a collective's data.
 *
 * The channels are direct: between two ranks on different nodes they are
 * channels of a connection between those nodes (each rank has its own to
 * each other node: one reader per connection), not relayed through the
 * launcher; between two ranks of one node they are plain place channels,
 * passing messages by reference. They are made
 * by [func@Dp.rmpi_init] (and [func@Dp.rmpi_comm_split]) Racket's
 * `'channel-connect` way: each rank opens, to every other rank's named
 * place, the channels it will receive on (the other gets
 * `('channel-connect', (context, rank, kind), channel)` and sends on it).
 *
 * A communicator is used by its rank's place only, one call at a time, as
 * an MPI program's is. A collective that fails — a peer died, a value of
 * the wrong type — closes all the communicator's channels, so every rank
 * waiting on this one fails too instead of hanging; the communicator is
 * then dead ([method@Dp.RmpiComm.get_failure]). When the rank's place
 * ends, every channel of its communicators closes, whether or not the
 * place let go of them.
 */

typedef struct {
  char *host;
  guint16 port;
  char *name;
  guint node;
} RankAddress;

/* The rank's own state, shared by the communicators it makes. */
struct _DpRmpiWorld
{
  gint ref_count;
  guint rank;
  guint size;
  RankAddress *addresses;
  DpTypedChannel *tc;

  GMutex lock;
  GPtrArray *pending;     /* channel-connect messages for communicators not made yet */
  GPtrArray *channels;    /* every open channel of the rank's communicators */
  GHashTable *nodes;      /* node index → DpRemoteNode*: this rank's own connections */
};

G_DEFINE_FINAL_TYPE (DpRmpiComm, dp_rmpi_comm, G_TYPE_OBJECT)

static DpRmpiWorld *
world_ref (DpRmpiWorld *world)
{
  g_atomic_int_inc (&world->ref_count);
  return world;
}

static void
world_unref (DpRmpiWorld *world)
{
  if (!g_atomic_int_dec_and_test (&world->ref_count))
    return;
  for (guint i = 0; i < world->size; i++)
    {
      g_free (world->addresses[i].host);
      g_free (world->addresses[i].name);
    }
  g_free (world->addresses);
  g_clear_object (&world->tc);
  g_ptr_array_unref (world->pending);
  g_ptr_array_unref (world->channels);
  g_hash_table_unref (world->nodes);
  g_mutex_clear (&world->lock);
  g_free (world);
}

static void
world_closure_unref (gpointer  data,
                     GClosure *closure)
{
  world_unref (data);
}

static void
world_add_channel (DpRmpiWorld *world,
                   DpChannel   *channel)
{
  g_mutex_lock (&world->lock);
  g_ptr_array_add (world->channels, g_object_ref (channel));
  g_mutex_unlock (&world->lock);
}

/* Closes @channel and forgets it. */
static void
world_close_channel (DpRmpiWorld *world,
                     DpChannel   *channel)
{
  if (channel == NULL)
    return;
  dp_channel_close (channel);
  g_mutex_lock (&world->lock);
  g_ptr_array_remove_fast (world->channels, channel);
  g_mutex_unlock (&world->lock);
}

/* The rank's place ended: whatever it kept, its peers must not wait on it. */
static void
place_exited_cb (DpPlace     *place,
                 gint         status,
                 DpRmpiWorld *world)
{
  g_autoptr(GPtrArray) channels = NULL;

  g_mutex_lock (&world->lock);
  channels = g_steal_pointer (&world->channels);
  world->channels = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_unlock (&world->lock);

  if (channels->len > 0)
    g_debug ("rank %u's place ended (status %d): closing %u channels", world->rank, status,
             channels->len);
  for (guint i = 0; i < channels->len; i++)
    dp_channel_close (g_ptr_array_index (channels, i));
}

static void
close_all (DpRmpiComm  *self,
           DpChannel  **channels)
{
  for (guint i = 0; channels != NULL && i < self->cnt; i++)
    {
      world_close_channel (self->world, channels[i]);
      g_clear_object (&channels[i]);
    }
  g_free (channels);
}

static void
dp_rmpi_comm_finalize (GObject *object)
{
  DpRmpiComm *self = DP_RMPI_COMM (object);

  close_all (self, self->p2p_in);
  close_all (self, self->p2p_out);
  close_all (self, self->coll_in);
  close_all (self, self->coll_out);
  g_free (self->world_ranks);
  g_free (self->context);
  g_clear_error (&self->failure);
  g_clear_pointer (&self->world, world_unref);

  G_OBJECT_CLASS (dp_rmpi_comm_parent_class)->finalize (object);
}

static void
dp_rmpi_comm_class_init (DpRmpiCommClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dp_rmpi_comm_finalize;
}

static void
dp_rmpi_comm_init (DpRmpiComm *self)
{
}

static DpRmpiComm *
comm_new (DpRmpiWorld *world,
          const char  *context,
          guint        cnt,
          guint        id,
          guint       *world_ranks)
{
  DpRmpiComm *self = g_object_new (DP_TYPE_RMPI_COMM, NULL);

  self->world = world_ref (world);
  self->context = g_strdup (context);
  self->cnt = cnt;
  self->id = id;
  self->world_ranks = world_ranks;
  self->one_host = TRUE;
  for (guint i = 1; i < cnt; i++)
    if (g_strcmp0 (world->addresses[world_ranks[i]].host, world->addresses[world_ranks[0]].host) != 0)
      self->one_host = FALSE;
  self->p2p_in = g_new0 (DpChannel *, cnt);
  self->p2p_out = g_new0 (DpChannel *, cnt);
  self->coll_in = g_new0 (DpChannel *, cnt);
  self->coll_out = g_new0 (DpChannel *, cnt);
  return self;
}

/* Channels. */

/* This rank's own connection to the node of world rank @peer. Its own:
 * a connection whose channels only one thread reads never has that
 * thread wait for another reader (the node's shared connection to a node
 * holding two of our peers would, when two ranks here read from it). */
static DpRemoteNode *
world_dup_node (DpRmpiWorld  *world,
                guint         peer,
                GError      **error)
{
  RankAddress *to = &world->addresses[peer];
  g_autoptr(DpRemoteNode) node = NULL;

  g_mutex_lock (&world->lock);
  node = g_hash_table_lookup (world->nodes, GUINT_TO_POINTER (to->node));
  if (node != NULL && dp_remote_node_is_alive (node))
    g_object_ref (node);
  else
    node = NULL;
  g_mutex_unlock (&world->lock);
  if (node != NULL)
    return g_steal_pointer (&node);

  node = g_object_new (DP_TYPE_REMOTE_NODE, "host", to->host, "listen-port", (guint) to->port,
                       "retry-times", 3, "delay", 0.2, NULL);
  if (!dp_remote_node_connect (node, error))
    return NULL;

  g_mutex_lock (&world->lock);
  g_hash_table_replace (world->nodes, GUINT_TO_POINTER (to->node), g_object_ref (node));
  g_mutex_unlock (&world->lock);
  return g_steal_pointer (&node);
}

/* Opens channel @kind (0 point-to-point, 1 collectives) of @context to
 * world rank @peer, announced to its place as
 * ('channel-connect', (context, our world rank, kind), channel). */
static DpChannel *
open_channel (DpRmpiWorld  *world,
              const char   *context,
              guint         peer,
              guint         kind,
              GError      **error)
{
  RankAddress *to = &world->addresses[peer];
  GVariant *src_id = g_variant_new ("(suu)", context, world->rank, kind);

  if (to->node == world->addresses[world->rank].node)
    {
      /* Same node: a plain pair, one end handed to the named place. */
      g_autoptr(DpPlace) place = dp_node_lookup_place (dp_node_get_default (), to->name);
      g_autoptr(DpPlaceChannel) mine = NULL;
      g_autoptr(DpPlaceChannel) theirs = NULL;
      GVariant *handle;

      if (place == NULL)
        {
          g_variant_unref (g_variant_ref_sink (src_id));
          g_set_error (error, DP_ERROR, DP_ERROR_NOT_FOUND,
                       "No place named “%s” on this node for rank %u", to->name, peer);
          return NULL;
        }
      dp_place_channel_new_pair (&mine, &theirs);
      handle = dp_channel_to_variant (DP_CHANNEL (theirs));
      g_clear_object (&theirs);
      if (!dp_channel_put (DP_CHANNEL (place),
                           g_variant_new ("(s@v@h)", DP_RMPI_CONNECT_TAG,
                                          g_variant_new_variant (src_id), handle),
                           error))
        return NULL;
      return DP_CHANNEL (g_steal_pointer (&mine));
    }
  else
    {
      g_autoptr(DpRemoteNode) node = NULL;

      node = world_dup_node (world, peer, error);
      if (node == NULL)
        {
          g_variant_unref (g_variant_ref_sink (src_id));
          return NULL;
        }
      return DP_CHANNEL (dp_remote_node_connect_channel (node, src_id, to->name, error));
    }
}

/* Makes @self's channels. Every rank opens a channel of each kind to
 * every other and receives on it; it sends on the ones the others opened
 * to it. So a rank only ever receives on a channel of its own making —
 * a proxy of the connection between the nodes, which the reading thread
 * reads straight off the socket — and a channel closes on the side that
 * receives from it. */
static gboolean
comm_connect (DpRmpiComm  *self,
              GError     **error)
{
  DpRmpiWorld *world = self->world;
  guint me = world->rank;
  guint needed = 0;
  g_autoptr(DpPlaceChannel) self_a = NULL;
  g_autoptr(DpPlaceChannel) self_b = NULL;

  dp_place_channel_new_pair (&self_a, &self_b);
  self->p2p_out[self->id] = DP_CHANNEL (g_steal_pointer (&self_a));
  self->p2p_in[self->id] = DP_CHANNEL (g_steal_pointer (&self_b));
  world_add_channel (world, self->p2p_out[self->id]);
  world_add_channel (world, self->p2p_in[self->id]);

  for (guint q = 0; q < self->cnt; q++)
    {
      guint peer = self->world_ranks[q];

      if (q == self->id)
        continue;
      needed += 2;
      for (guint kind = 0; kind < 2; kind++)
        {
          g_autoptr(GError) local_error = NULL;
          DpChannel *channel = open_channel (world, self->context, peer, kind, &local_error);

          if (channel == NULL)
            {
              g_set_error (error, local_error->domain, local_error->code,
                           "rmpi: rank %u cannot reach rank %u (%s on %s:%u): %s", me, peer,
                           world->addresses[peer].name, world->addresses[peer].host,
                           world->addresses[peer].port, local_error->message);
              return FALSE;
            }
          (kind == 0 ? self->p2p_in : self->coll_in)[q] = channel;
          world_add_channel (world, channel);
        }
    }

  /* The others' channels arrive on our place's channel, maybe mixed with
   * those of communicators we have not made yet. */
  while (needed > 0)
    {
      g_autoptr(GVariant) message = NULL;
      g_autoptr(GVariant) src_id = NULL;
      g_autoptr(GVariant) handle = NULL;
      g_autoptr(GError) local_error = NULL;
      DpChannel *channel;
      DpChannel **slot;
      const char *context;
      guint32 peer, kind;
      guint q;

      g_mutex_lock (&world->lock);
      for (guint i = 0; i < world->pending->len && message == NULL; i++)
        {
          GVariant *candidate = g_ptr_array_index (world->pending, i);
          g_autoptr(GVariant) candidate_src = g_variant_get_child_value (candidate, 1);
          g_autoptr(GVariant) inner = g_variant_get_variant (candidate_src);

          g_variant_get (inner, "(&suu)", &context, &peer, &kind);
          if (g_str_equal (context, self->context))
            message = g_ptr_array_steal_index (world->pending, i);
        }
      g_mutex_unlock (&world->lock);

      if (message == NULL)
        {
          message = dp_typed_channel_get (world->tc, DP_RMPI_CONNECT_TAG, &local_error);
          if (message == NULL)
            {
              g_set_error (error, local_error->domain, local_error->code,
                           "rmpi: rank %u waits for its peers' channels: %s", me,
                           local_error->message);
              return FALSE;
            }
          if (!g_variant_is_of_type (message, G_VARIANT_TYPE ("(svh)")))
            {
              g_warning ("rank %u: ignoring a malformed %s message of type %s", me,
                         DP_RMPI_CONNECT_TAG, g_variant_get_type_string (message));
              continue;
            }
        }

      g_variant_get (message, "(&s@v@h)", NULL, &src_id, &handle);
      {
        g_autoptr(GVariant) inner = g_variant_get_variant (src_id);

        if (!g_variant_is_of_type (inner, G_VARIANT_TYPE ("(suu)")))
          {
            g_warning ("rank %u: ignoring a channel from an unknown source", me);
            continue;
          }
        g_variant_get (inner, "(&suu)", &context, &peer, &kind);
        if (!g_str_equal (context, self->context))
          {
            g_mutex_lock (&world->lock);
            g_ptr_array_add (world->pending, g_steal_pointer (&message));
            g_mutex_unlock (&world->lock);
            continue;
          }
      }

      for (q = 0; q < self->cnt; q++)
        if (self->world_ranks[q] == peer)
          break;
      slot = q < self->cnt && q != self->id && kind <= 1
             ? &(kind == 0 ? self->p2p_out : self->coll_out)[q] : NULL;
      if (slot == NULL || *slot != NULL)
        {
          g_warning ("rank %u: ignoring an unexpected channel from rank %u", me, peer);
          continue;
        }

      channel = dp_channel_from_variant (handle, &local_error);
      if (channel == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      *slot = channel;
      world_add_channel (world, channel);
      needed--;
    }

  return TRUE;
}

/* Errors. */

gboolean
dp_rmpi_comm_begin (DpRmpiComm  *comm,
                    const char  *what,
                    GError     **error)
{
  if (comm->failure == NULL)
    return TRUE;
  g_set_error (error, comm->failure->domain, comm->failure->code,
               "%s: rank %u of %u: the communicator failed earlier: %s", what, comm->id,
               comm->cnt, comm->failure->message);
  return FALSE;
}

/* @rank is one of the communicator's, or @error says there is none. */
gboolean
dp_rmpi_comm_check_rank (DpRmpiComm  *comm,
                         const char  *what,
                         guint        rank,
                         GError     **error)
{
  if (rank < comm->cnt)
    return TRUE;
  g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE, "%s: rank %u of %u: there is no rank %u", what,
               comm->id, comm->cnt, rank);
  return FALSE;
}

/* A collective failed: the communicator is dead, its channels close so
 * that every rank waiting on this one fails too. Takes @cause; returns
 * FALSE. */
gboolean
dp_rmpi_comm_fail (DpRmpiComm  *comm,
                   const char  *what,
                   GError      *cause,
                   GError     **error)
{
  g_autoptr(GError) owned = cause;

  if (comm->failure == NULL)
    {
      DpChannel **all[] = { comm->p2p_in, comm->p2p_out, comm->coll_in, comm->coll_out };

      comm->failure = g_error_copy (cause);
      g_debug ("%s: rank %u of %u: %s", what, comm->id, comm->cnt, cause->message);
      for (guint k = 0; k < G_N_ELEMENTS (all); k++)
        for (guint i = 0; i < comm->cnt; i++)
          if (all[k][i] != NULL)
            dp_channel_close (all[k][i]);
    }
  g_set_error (error, cause->domain, cause->code, "%s: rank %u of %u: %s", what, comm->id,
               comm->cnt, cause->message);
  return FALSE;
}

gboolean
dp_rmpi_coll_put (DpRmpiComm  *comm,
                  const char  *what,
                  guint        peer,
                  GVariant    *value,
                  GError     **error)
{
  GError *local_error = NULL;

  if (G_LIKELY (dp_channel_put (comm->coll_out[peer], value, &local_error)))
    return TRUE;
  g_prefix_error (&local_error, "cannot send to rank %u: ", peer);
  return dp_rmpi_comm_fail (comm, what, local_error, error);
}

GVariant *
dp_rmpi_coll_get (DpRmpiComm  *comm,
                  const char  *what,
                  guint        peer,
                  GError     **error)
{
  GError *local_error = NULL;
  GVariant *value = dp_channel_get (comm->coll_in[peer], &local_error);

  if (G_LIKELY (value != NULL))
    return value;
  g_prefix_error (&local_error, "nothing from rank %u: ", peer);
  dp_rmpi_comm_fail (comm, what, local_error, error);
  return NULL;
}

/* The seeds' API. */

static gboolean
check_tagged (GVariant    *message,
              const char  *type,
              GError     **error)
{
  if (g_variant_is_of_type (message, G_VARIANT_TYPE (type)))
    return TRUE;
  g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
               "rmpi-init: expected a message of type %s from the launcher, got %s", type,
               g_variant_get_type_string (message));
  return FALSE;
}

/**
 * dp_rmpi_init:
 * @ch: the channel the rank's place function was given
 * @out_comm: (out) (transfer full): the communicator
 * @out_args: (out) (transfer full) (optional): the job's arguments (the
 *   seeds' `#:mpi-args`), as the launcher gave them
 * @out_tc: (out) (transfer full) (optional): @ch as a typed channel, for
 *   [func@Dp.rmpi_finish] and messages of your own
 * @error: return location for a #GError
 *
 * The first call of a rank's place function (the seeds' `rmpi-init`): it
 * learns the rank's id and the other ranks' addresses from the launcher
 * ([func@Dp.rmpi_launch], a [class@Dp.RmpiJob], or an `[rmpi]` keyfile
 * group), and opens direct channels to every other rank.
 *
 * ```c
 * G_MODULE_EXPORT void
 * kmeans_place (DpChannel *ch)
 * {
 *   g_autoptr(DpRmpiComm) comm = NULL;
 *   g_autoptr(GVariant) args = NULL;
 *   g_autoptr(DpTypedChannel) tc = NULL;
 *
 *   if (!dp_rmpi_init (ch, &comm, &args, &tc, &error))
 *     …
 *   // the computation
 *   dp_rmpi_finish (comm, tc, &error);
 * }
 * ```
 *
 * Returns: %TRUE on success
 */
gboolean
dp_rmpi_init (DpChannel       *ch,
              DpRmpiComm     **out_comm,
              GVariant       **out_args,
              DpTypedChannel **out_tc,
              GError         **error)
{
  g_autoptr(DpTypedChannel) tc = NULL;
  g_autoptr(GVariant) id_message = NULL;
  g_autoptr(GVariant) args_message = NULL;
  g_autoptr(GVariant) go = NULL;
  g_autoptr(GVariant) config = NULL;
  g_autoptr(DpRmpiComm) comm = NULL;
  DpRmpiWorld *world;
  DpPlace *place;
  guint32 id;
  guint size;
  guint *world_ranks;

  g_return_val_if_fail (DP_IS_CHANNEL (ch), FALSE);
  g_return_val_if_fail (out_comm != NULL, FALSE);

  tc = dp_typed_channel_new (ch);
  id_message = dp_typed_channel_get (tc, DP_RMPI_ID_TAG, error);
  if (id_message == NULL || !check_tagged (id_message, DP_RMPI_ID_TYPE, error))
    return FALSE;
  args_message = dp_typed_channel_get (tc, DP_RMPI_ARGS_TAG, error);
  if (args_message == NULL || !check_tagged (args_message, DP_RMPI_ARGS_TYPE, error))
    return FALSE;

  g_variant_get (id_message, "(&su@a(sqsuu))", NULL, &id, &config);
  size = g_variant_n_children (config);
  if (id >= size)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "rmpi-init: rank %u of a job of %u ranks", id, size);
      return FALSE;
    }

  world = g_new0 (DpRmpiWorld, 1);
  world->ref_count = 1;
  world->rank = id;
  world->size = size;
  world->addresses = g_new0 (RankAddress, size);
  world->tc = g_object_ref (tc);
  g_mutex_init (&world->lock);
  world->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  world->channels = g_ptr_array_new_with_free_func (g_object_unref);
  world->nodes = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  for (guint i = 0; i < size; i++)
    {
      const char *host, *name;
      guint16 port;
      guint32 rank, node;

      g_variant_get_child (config, i, "(&sq&suu)", &host, &port, &name, &rank, &node);
      if (rank >= size || world->addresses[rank].name != NULL)
        {
          world_unref (world);
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "rmpi-init: the launcher's ranks are not 0 to %u, once each", size - 1);
          return FALSE;
        }
      world->addresses[rank].host = g_strdup (host);
      world->addresses[rank].port = port;
      world->addresses[rank].name = g_strdup (name);
      world->addresses[rank].node = node;
    }

  /* Wait until every rank's place runs (and so has its name on its node)
   * before reaching for them. */
  if (!dp_channel_put (ch, g_variant_new ("(su)", DP_RMPI_READY_TAG, id), error) ||
      (go = dp_typed_channel_get (tc, DP_RMPI_GO_TAG, error)) == NULL)
    {
      world_unref (world);
      return FALSE;
    }

  /* Whatever the place keeps when it ends, its peers must not wait on it. */
  place = dp_place_get_current ();
  if (place != NULL)
    g_signal_connect_data (place, "exited", G_CALLBACK (place_exited_cb), world_ref (world),
                           world_closure_unref, 0);

  world_ranks = g_new (guint, size);
  for (guint i = 0; i < size; i++)
    world_ranks[i] = i;
  comm = comm_new (world, "0", size, id, world_ranks);
  world_unref (world);
  if (!comm_connect (comm, error))
    return FALSE;

  *out_comm = g_steal_pointer (&comm);
  if (out_args != NULL)
    g_variant_get (args_message, "(&sv)", NULL, out_args);
  if (out_tc != NULL)
    *out_tc = g_steal_pointer (&tc);
  return TRUE;
}

/**
 * dp_rmpi_id:
 * @comm: a communicator
 *
 * The seeds' `rmpi-id`.
 *
 * Returns: this rank's id in @comm, from 0
 */
guint
dp_rmpi_id (DpRmpiComm *comm)
{
  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), 0);
  return comm->id;
}

/**
 * dp_rmpi_cnt:
 * @comm: a communicator
 *
 * The seeds' `rmpi-cnt`.
 *
 * Returns: how many ranks @comm has
 */
guint
dp_rmpi_cnt (DpRmpiComm *comm)
{
  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), 0);
  return comm->cnt;
}

/**
 * dp_rmpi_comm_get_id:
 * @comm: a communicator
 *
 * The field `rmpi-comm-id`: the same as [func@Dp.rmpi_id].
 *
 * Returns: this rank's id
 */
guint
dp_rmpi_comm_get_id (DpRmpiComm *comm)
{
  return dp_rmpi_id (comm);
}

/**
 * dp_rmpi_comm_get_cnt:
 * @comm: a communicator
 *
 * The field `rmpi-comm-cnt`: the same as [func@Dp.rmpi_cnt].
 *
 * Returns: the number of ranks
 */
guint
dp_rmpi_comm_get_cnt (DpRmpiComm *comm)
{
  return dp_rmpi_cnt (comm);
}

/**
 * dp_rmpi_comm_get_channel:
 * @comm: a communicator
 * @rank: a rank of it
 *
 * One element of the field `rmpi-comm-channels`: the channel
 * [func@Dp.rmpi_send] puts on to reach @rank. (What @rank sends comes on
 * another channel, which [func@Dp.rmpi_recv] reads.) For @rank itself, a
 * channel whose puts this rank gets back.
 *
 * Returns: (transfer none): the channel
 */
DpChannel *
dp_rmpi_comm_get_channel (DpRmpiComm *comm,
                          guint       rank)
{
  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), NULL);
  g_return_val_if_fail (rank < comm->cnt, NULL);
  return comm->p2p_out[rank];
}

/**
 * dp_rmpi_comm_get_world_rank:
 * @comm: a communicator
 * @rank: a rank of it
 *
 * Returns: the rank @rank has in the job (the communicator
 *   [func@Dp.rmpi_init] made)
 */
guint
dp_rmpi_comm_get_world_rank (DpRmpiComm *comm,
                             guint       rank)
{
  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), 0);
  g_return_val_if_fail (rank < comm->cnt, 0);
  return comm->world_ranks[rank];
}

/**
 * dp_rmpi_comm_get_failure:
 * @comm: a communicator
 *
 * Returns: (nullable) (transfer none): why a collective of @comm failed,
 *   or %NULL while it works
 */
const GError *
dp_rmpi_comm_get_failure (DpRmpiComm *comm)
{
  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), NULL);
  return comm->failure;
}

/**
 * dp_rmpi_send:
 * @comm: a communicator
 * @dest: the rank to send to (this rank included)
 * @value: (transfer floating): any message
 * @error: return location for a #GError
 *
 * The seeds' `rmpi-send`: puts @value on the direct channel to @dest,
 * without waiting for it to be received. Messages from one rank to another
 * arrive in the order they were sent.
 *
 * Returns: %TRUE if the message is on its way
 */
gboolean
dp_rmpi_send (DpRmpiComm  *comm,
              guint        dest,
              GVariant    *value,
              GError     **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  if (!dp_rmpi_comm_check_rank (comm, "rmpi-send", dest, error))
    {
      g_variant_unref (g_variant_ref_sink (value));
      return FALSE;
    }
  if (!dp_channel_put (comm->p2p_out[dest], value, &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "rmpi-send: rank %u of %u: to rank %u: %s", comm->id, comm->cnt, dest,
                   local_error->message);
      g_error_free (local_error);
      return FALSE;
    }
  return TRUE;
}

/**
 * dp_rmpi_recv:
 * @comm: a communicator
 * @src: the rank to receive from (this rank included)
 * @error: return location for a #GError
 *
 * The seeds' `rmpi-recv`: waits for the next message @src sent this rank
 * with [func@Dp.rmpi_send]. Fails rather than waits when @src is gone.
 *
 * Returns: (transfer full): the message, or %NULL with @error set
 */
GVariant *
dp_rmpi_recv (DpRmpiComm  *comm,
              guint        src,
              GError     **error)
{
  GError *local_error = NULL;
  GVariant *value;

  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), NULL);

  if (!dp_rmpi_comm_check_rank (comm, "rmpi-recv", src, error))
    return NULL;
  value = dp_channel_get (comm->p2p_in[src], &local_error);
  if (value == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "rmpi-recv: rank %u of %u: from rank %u: %s", comm->id, comm->cnt, src,
                   local_error->message);
      g_error_free (local_error);
    }
  return value;
}

/**
 * dp_rmpi_partition:
 * @comm: a communicator
 * @num: how many items to share out
 * @out_offset: (out) (optional): where this rank's share starts
 * @out_length: (out) (optional): how many items it has
 *
 * The seeds' `rmpi-partition`: splits @num items into `cnt` pieces whose
 * sizes differ by at most one (the first `num % cnt` get one more), and
 * gives this rank's.
 */
void
dp_rmpi_partition (DpRmpiComm *comm,
                   gsize       num,
                   gsize      *out_offset,
                   gsize      *out_length)
{
  gsize quo, rem, id;

  g_return_if_fail (DP_IS_RMPI_COMM (comm));

  quo = num / comm->cnt;
  rem = num % comm->cnt;
  id = comm->id;
  if (out_offset != NULL)
    *out_offset = id * quo + MIN (id, rem);
  if (out_length != NULL)
    *out_length = quo + (id < rem ? 1 : 0);
}

typedef struct {
  gint color;
  gint key;
  guint rank;
} SplitEntry;

static int
compare_split_entries (const void *a,
                       const void *b)
{
  const SplitEntry *x = a, *y = b;

  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/**
 * dp_rmpi_comm_split:
 * @comm: a communicator
 * @color: the group this rank joins, or %DP_RMPI_UNDEFINED for none
 * @key: this rank's place in the order of its group
 * @error: return location for a #GError
 *
 * The seeds' `rmpi-comm-split`, a collective: the ranks of @comm that
 * give the same @color form a new communicator, ranked by @key (ties by
 * their rank in @comm) — with keys 0 … n-1 the key is the new rank, as in
 * Racket. The new communicator has channels of its own, so its messages
 * never mix with @comm's.
 *
 * Returns: (transfer full) (nullable): the new communicator; %NULL with
 *   @error set on failure, and %NULL without @error for
 *   %DP_RMPI_UNDEFINED
 */
DpRmpiComm *
dp_rmpi_comm_split (DpRmpiComm  *comm,
                    gint         color,
                    gint         key,
                    GError     **error)
{
  g_autoptr(GVariant) all = NULL;
  g_autofree char *context = NULL;
  g_autofree SplitEntry *entries = NULL;
  g_autoptr(DpRmpiComm) split = NULL;
  guint *world_ranks;
  guint n = 0, id = 0;

  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), NULL);

  if (!dp_rmpi_comm_begin (comm, "rmpi-comm-split", error))
    return NULL;

  /* Every member counts its splits alike: the context names the new
   * communicator the same on every rank. */
  context = g_strdup_printf ("%s.%u", comm->context, comm->n_children++);
  all = dp_rmpi_allgather (comm, g_variant_new ("(ii)", color, key), error);
  if (all == NULL)
    return NULL;

  if (color < 0)
    return NULL;

  entries = g_new (SplitEntry, comm->cnt);
  for (guint i = 0; i < comm->cnt; i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (all, i);
      g_autoptr(GVariant) entry = g_variant_get_variant (boxed);
      gint32 c, k;

      if (!g_variant_is_of_type (entry, G_VARIANT_TYPE ("(ii)")))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "rmpi-comm-split: rank %u of %u: rank %u sent a value of type %s",
                       comm->id, comm->cnt, i, g_variant_get_type_string (entry));
          return NULL;
        }
      g_variant_get (entry, "(ii)", &c, &k);
      if (c == color)
        entries[n++] = (SplitEntry) { c, k, i };
    }
  qsort (entries, n, sizeof (SplitEntry), compare_split_entries);

  world_ranks = g_new (guint, n);
  for (guint i = 0; i < n; i++)
    {
      world_ranks[i] = comm->world_ranks[entries[i].rank];
      if (entries[i].rank == comm->id)
        id = i;
    }

  split = comm_new (comm->world, context, n, id, world_ranks);
  if (!comm_connect (split, error))
    {
      g_prefix_error (error, "rmpi-comm-split: ");
      return NULL;
    }
  return g_steal_pointer (&split);
}

/**
 * dp_rmpi_finish_with_result:
 * @comm: the communicator from [func@Dp.rmpi_init]
 * @tc: the typed channel from [func@Dp.rmpi_init]
 * @result: (transfer floating) (nullable): what rank 0 hands the launcher
 *   ([func@Dp.rmpi_launch] returns it); ignored on the other ranks
 * @error: return location for a #GError
 *
 * [func@Dp.rmpi_finish], with a result for the launcher.
 *
 * Returns: %TRUE on success
 */
gboolean
dp_rmpi_finish_with_result (DpRmpiComm      *comm,
                            DpTypedChannel  *tc,
                            GVariant        *result,
                            GError         **error)
{
  g_autoptr(GVariant) owned = result != NULL ? g_variant_ref_sink (result) : NULL;
  g_autoptr(GVariant) query = NULL;

  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), FALSE);
  g_return_val_if_fail (DP_IS_TYPED_CHANNEL (tc), FALSE);

  if (!dp_rmpi_barrier (comm, error))
    return FALSE;
  if (comm->id != 0)
    return TRUE;

  query = dp_typed_channel_get (tc, DP_RMPI_DONE_QUERY_TAG, error);
  if (query == NULL)
    {
      g_prefix_error (error, "rmpi-finish: ");
      return FALSE;
    }
  if (!dp_channel_put (dp_typed_channel_get_channel (tc),
                       g_variant_new ("(sv)", DP_RMPI_DONE_TAG,
                                      owned != NULL ? owned : g_variant_new_tuple (NULL, 0)),
                       error))
    {
      g_prefix_error (error, "rmpi-finish: ");
      return FALSE;
    }
  return TRUE;
}

/**
 * dp_rmpi_finish:
 * @comm: the communicator from [func@Dp.rmpi_init]
 * @tc: the typed channel from [func@Dp.rmpi_init]
 * @error: return location for a #GError
 *
 * The seeds' `rmpi-finish`, the last call of a rank: every rank waits for
 * the others (a barrier), then rank 0 tells the launcher the program is
 * done, so that [func@Dp.rmpi_launch] returns.
 *
 * Returns: %TRUE on success
 */
gboolean
dp_rmpi_finish (DpRmpiComm      *comm,
                DpTypedChannel  *tc,
                GError         **error)
{
  return dp_rmpi_finish_with_result (comm, tc, NULL, error);
}
