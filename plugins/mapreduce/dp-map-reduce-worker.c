/* dp-map-reduce-worker.c: the worker place (the seeds' map-reduce-worker)
 *
 * A worker holds tables: the sorted, coalesced (and, with a combiner,
 * combined) output of each task it mapped, and the data it took from
 * other workers. It merges them into one — reducing each key once, with
 * all its values — when its data is asked for, or when it holds many:
 * the seeds' "once a node has finished its mapping task, it runs the
 * reduce operation on its local data", done once for all its tasks
 * rather than once per task. So a worker given several tasks combines
 * locally and ships only its final, compact table.
 *
 * To reduce two workers into one, the receiver connects to the source's
 * named place and hands it one end of a channel pair made for the
 * transfer: the data goes from worker to worker, not through the
 * controller. Both merge their own tables at once; the source sends its
 * keys before the receiver's middle one, then the receiver its keys from
 * there on (one way at a time: a put past a channel's window waits for
 * the other side to get); each merges one half, and the source sends its
 * merged half back — so the last, serial step of a map-reduce takes half
 * the time. Each table
 * crosses as one message written from the table's own memory and read in
 * place. A source that dies shows as the receiver's get failing (or, before
 * the source's first read, its connection to the source's named place:
 * get_from_source()), which the receiver reports, so the controller knows
 * whether the source's tasks must run again; a source keeps its data until
 * it has sent the last of it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-mapreduce"

#include "config.h"

#include <string.h>

#include "dp-kv-table-private.h"
#include "dp-map-reduce-protocol-private.h"

/* A worker merges its tables once it holds this many, or this much. */
#define MAX_TABLES 8
#define MAX_HELD_BYTES (256 * 1024 * 1024)

typedef struct {
  DpChannel *channel;
  guint32 job;            /* the job its data is for: the last the controller named */
  GPtrArray *tables;      /* DpKvTable*: what it holds */
  GHashTable *peers;      /* "host:port/name" → DpRemoteConnection* */
} Worker;

/* The procedures a request names, resolved in this process. */
typedef struct {
  DpKvProcedures procedures;
  char *reducer_name;
  char *combiner_name;
} Procedures;

static void
procedures_clear (Procedures *procs)
{
  g_free (procs->reducer_name);
  g_free (procs->combiner_name);
  memset (procs, 0, sizeof *procs);
}

static gpointer
resolve (const char  *role,
         const char  *address,
         GError     **error)
{
  gpointer function;

  if (address[0] == '\0')
    return NULL;
  function = dp_procedure_address_resolve (address, error);
  if (function == NULL)
    g_prefix_error (error, "%s %s: ", role, address);
  return function;
}

static gboolean
procedures_resolve (Procedures  *procs,
                    const char  *combiner,
                    const char  *reducer,
                    const char  *sorter,
                    GError     **error)
{
  GError *local_error = NULL;

  memset (procs, 0, sizeof *procs);
  procs->procedures.reducer = resolve ("reducer", reducer, &local_error);
  if (procs->procedures.reducer == NULL)
    {
      if (local_error == NULL)
        g_set_error_literal (&local_error, DP_ERROR, DP_ERROR_NOT_FOUND, "no reducer");
      g_propagate_error (error, local_error);
      return FALSE;
    }
  procs->procedures.combiner = resolve ("combiner", combiner, &local_error);
  if (local_error == NULL)
    procs->procedures.sorter = resolve ("sorter", sorter, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  procs->reducer_name = g_strdup_printf ("reducer %s", reducer);
  procs->combiner_name = g_strdup_printf ("combiner %s", combiner);
  procs->procedures.reducer_name = procs->reducer_name;
  procs->procedures.combiner_name = procs->combiner_name;
  return TRUE;
}

static void
reply (DpChannel *channel,
       GVariant  *message)
{
  g_autoptr(GError) error = NULL;

  if (!dp_channel_put (channel, message, &error))
    g_debug ("worker: cannot reply: %s", error->message);
}

static void
reply_failed (DpChannel    *channel,
              const char   *tag,
              guint32       job,
              guint32       id,
              const GError *error)
{
  reply (channel, g_variant_new (DP_MR_FAILED_TYPE, tag, job, id, error->message));
}

static void
drop_tables (Worker *worker)
{
  g_ptr_array_set_size (worker->tables, 0);
}

static guint
count_keys (Worker *worker)
{
  guint keys = 0;

  for (guint i = 0; i < worker->tables->len; i++)
    keys += dp_kv_table_get_n_entries (g_ptr_array_index (worker->tables, i));
  return keys;
}

/* Merges what the worker holds into one table. */
static gboolean
merge_tables (Worker                *worker,
              const DpKvProcedures  *procedures,
              GError               **error)
{
  gint64 start = g_get_monotonic_time ();
  guint n = worker->tables->len;
  DpKvTable *merged;

  if (n == 1 && ((DpKvTable *) g_ptr_array_index (worker->tables, 0))->reduced)
    return TRUE;
  merged = dp_kv_table_merge_many (worker->tables, procedures, error);
  if (merged == NULL)
    return FALSE;
  g_ptr_array_add (worker->tables, merged);
  g_debug ("merged %u tables into %u keys in %.1f ms", n, dp_kv_table_get_n_entries (merged),
           (g_get_monotonic_time () - start) / 1000.0);
  return TRUE;
}

static gsize
held_bytes (Worker *worker)
{
  gsize bytes = 0;

  for (guint i = 0; i < worker->tables->len; i++)
    bytes += ((DpKvTable *) g_ptr_array_index (worker->tables, i))->store.owned;
  return bytes;
}

static void
handle_map (Worker   *worker,
            GVariant *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) task = NULL;
  g_autoptr(DpMapReduceEmitter) emitter = NULL;
  DpKvTable *table = NULL;
  Procedures procs = { { 0 } };
  const char *mapper, *combiner, *reducer, *sorter;
  DpMapReduceMapper map;
  guint32 job, id;
  gint64 start, mapped;

  g_variant_get (request, "(&suuv&s&s&s&s)", NULL, &job, &id, &task, &mapper, &combiner, &reducer,
                 &sorter);

  map = resolve ("mapper", mapper, &error);
  if (map == NULL || !procedures_resolve (&procs, combiner, reducer, sorter, &error))
    {
      if (error == NULL)
        g_set_error_literal (&error, DP_ERROR, DP_ERROR_NOT_FOUND, "no mapper");
      reply_failed (worker->channel, DP_MR_FAILED, job, id, error);
      return;
    }

  emitter = dp_map_reduce_emitter_new ();
  start = g_get_monotonic_time ();
  if (!map (task, emitter, &error) || !dp_map_reduce_emitter_check (emitter, &error))
    {
      if (error == NULL)
        g_set_error_literal (&error, DP_ERROR, DP_ERROR_FAILED, "it returned FALSE without saying why");
      g_prefix_error (&error, "mapper %s failed on task %u: ", mapper, id);
    }
  else
    {
      mapped = g_get_monotonic_time ();
      table = dp_map_reduce_emitter_finish (emitter, &procs.procedures, &error);
      if (table != NULL)
        {
          g_debug ("task %u: mapped in %.1f ms, sorted%s to %u keys in %.1f ms", id,
                   (mapped - start) / 1000.0, procs.procedures.combiner != NULL ? " and combined" : "",
                   dp_kv_table_get_n_entries (table), (g_get_monotonic_time () - mapped) / 1000.0);
          g_ptr_array_add (worker->tables, table);
          if (worker->tables->len >= MAX_TABLES || held_bytes (worker) >= MAX_HELD_BYTES)
            merge_tables (worker, &procs.procedures, &error);
        }
    }

  if (error != NULL)
    {
      drop_tables (worker);
      reply_failed (worker->channel, DP_MR_FAILED, job, id, error);
    }
  else
    reply (worker->channel, g_variant_new (DP_MR_DONE_TYPE, DP_MR_MAPPED, job, id, count_keys (worker)));
  procedures_clear (&procs);
}

/* A connection to another worker's named place, kept for the next time. */
static DpChannel *
peer_connection (Worker      *worker,
                 const char  *host,
                 guint        port,
                 const char  *name,
                 char       **out_key,
                 GError     **error)
{
  g_autofree char *key = g_strdup_printf ("%s:%u/%s", host, port, name);
  DpRemoteConnection *connection = g_hash_table_lookup (worker->peers, key);

  if (connection == NULL || dp_channel_is_closed (DP_CHANNEL (connection)))
    {
      connection = dp_connect_to_named_place_at (host, port, name, error);
      if (connection == NULL)
        return NULL;
      g_hash_table_replace (worker->peers, g_strdup (key), connection);
    }
  *out_key = g_steal_pointer (&key);
  return DP_CHANNEL (connection);
}

/* The one table the worker holds after merge_tables(), taken out. */
static DpKvTable *
take_table (Worker *worker)
{
  if (worker->tables->len == 0)
    return dp_kv_table_new ();
  return g_ptr_array_steal_index (worker->tables, 0);
}

/* Whether @error is the channel's: the peer is gone. */
static gboolean
peer_gone (const GError *error)
{
  return g_error_matches (error, DP_ERROR, DP_ERROR_PEER_DIED) ||
         g_error_matches (error, DP_ERROR, DP_ERROR_CLOSED);
}

/* The source's first message on the transfer channel; or NULL with
 * @error set, and *@out_gone TRUE if the connection to the source failed.
 *
 * The channel's other end went to the source's node, but stays here
 * until the source first reads from it (the connection's TAKE): a sent
 * channel only put to over there lives on when that node goes, as place
 * descriptors sent to many must. So a source that dies before its first
 * read — as soon as our request reaches it — would leave a get on the
 * transfer channel waiting for ever. The connection to its named place
 * fails when the place or its node dies: we wait on both. The source's
 * first message comes after it read the split (or says it failed, and
 * nothing follows): from then on the transfer channel fails with it. */
static GVariant *
get_from_source (DpChannel  *transfer,
                 DpChannel  *source,
                 gboolean   *out_gone,
                 GError    **error)
{
  DpChannel *channels[] = { transfer, source };

  *out_gone = FALSE;
  for (;;)
    {
      g_autoptr(GVariant) message = NULL;
      guint index = 0;

      message = dp_channel_sync (channels, G_N_ELEMENTS (channels), -1, &index, error);
      if (message == NULL)
        {
          *out_gone = index == 1;
          return NULL;
        }
      if (index == 0)
        return g_steal_pointer (&message);
      g_debug ("worker: an answer from a source's named place, ignored");
    }
}

/* Takes another worker's data, merging half the keys here while the
 * source merges the other half. A failure to get the source's data is the
 * source's (fetch-failed: its tasks run again, this worker keeps its
 * own); a failure to merge is the job's. */
static void
handle_fetch (Worker   *worker,
              GVariant *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpPlaceChannel) ours = NULL;
  g_autoptr(DpPlaceChannel) theirs = NULL;
  g_autoptr(DpKvTable) mine = NULL;
  g_autoptr(DpKvTable) theirs_lower = NULL;
  g_autoptr(DpKvTable) lower = NULL;
  g_autoptr(DpKvTable) upper = NULL;
  g_autoptr(GVariant) first = NULL;
  g_autofree char *key = NULL;
  gboolean gone;
  Procedures procs;
  const char *host, *name, *reducer, *sorter;
  guint32 job, transfer;
  guint16 port;
  guint middle = 0;
  DpChannel *peer;
  gint64 start;

  g_variant_get (request, "(&suu&sq&s&s&s)", NULL, &job, &transfer, &host, &port, &name,
                 &reducer, &sorter);

  if (!procedures_resolve (&procs, "", reducer, sorter, &error))
    {
      reply_failed (worker->channel, DP_MR_FAILED, job, transfer, error);
      return;
    }

  start = g_get_monotonic_time ();
  dp_place_channel_new_pair (&ours, &theirs);
  peer = peer_connection (worker, host, port, name, &key, &error);
  if (peer == NULL ||
      !dp_channel_put (peer, g_variant_new ("(suuss@h)", DP_MR_GIVE, job, transfer, reducer, sorter,
                                            dp_channel_to_variant (DP_CHANNEL (theirs))), &error))
    goto unreachable;
  g_clear_object (&theirs);     /* the source's now */

  /* Merge ours while the source merges its own; then split the keys at
   * our middle one: the source merges those from it on. */
  if (!merge_tables (worker, &procs.procedures, &error))
    goto failed;
  mine = take_table (worker);
  middle = dp_kv_table_get_n_entries (mine) / 2;
  if (dp_kv_table_get_n_entries (mine) > 0)
    {
      DpKvEntry *entry = &g_array_index (mine->entries, DpKvEntry, middle);
      g_autoptr(GBytes) split = g_bytes_new (entry->key, entry->key_size);

      if (!dp_channel_put (DP_CHANNEL (ours),
                           g_variant_new (DP_MR_SPLIT_TYPE, DP_MR_SPLIT, TRUE,
                                          g_variant_new_from_bytes ((const GVariantType *) mine->key_type,
                                                                    split, TRUE)),
                           &error))
        goto unreachable;
    }
  else if (!dp_channel_put (DP_CHANNEL (ours), g_variant_new (DP_MR_SPLIT_TYPE, DP_MR_SPLIT, FALSE,
                                                              g_variant_new ("()")), &error))
    goto unreachable;

  /* Its keys before the middle one come first, then ours from it on go:
   * one way at a time, since a put of more than a channel's window waits
   * for the other side to get (flow control), and both sending first
   * would wait for ever. */
  first = get_from_source (DP_CHANNEL (ours), peer, &gone, &error);
  if (first == NULL && gone)
    goto unreachable;
  if (first == NULL)
    goto failed;
  theirs_lower = dp_kv_table_receive (DP_CHANNEL (ours), first, name, &error);
  if (theirs_lower == NULL)
    goto failed;
  if (!dp_kv_table_send (mine, middle, dp_kv_table_get_n_entries (mine) - middle, DP_CHANNEL (ours),
                         &error))
    goto unreachable;

  /* Its lower keys merged with ours here, while it merges the upper. */
  lower = dp_kv_table_merge (dp_kv_table_new_range (mine, 0, middle), g_steal_pointer (&theirs_lower),
                             &procs.procedures, &error);
  if (lower == NULL)
    goto failed;

  /* Both's keys from the middle on, merged there. */
  upper = dp_kv_table_receive (DP_CHANNEL (ours), NULL, name, &error);
  if (upper == NULL || !dp_kv_table_append (lower, g_steal_pointer (&upper), &error))
    goto failed;

  g_ptr_array_add (worker->tables, g_steal_pointer (&lower));
  g_clear_pointer (&mine, dp_kv_table_free);
  g_debug ("took the data of %s and merged it in %.1f ms: %u keys", name,
           (g_get_monotonic_time () - start) / 1000.0, count_keys (worker));
  reply (worker->channel, g_variant_new (DP_MR_DONE_TYPE, DP_MR_MERGED, job, transfer, count_keys (worker)));
  procedures_clear (&procs);
  return;

failed:
  if (!peer_gone (error))
    {
      drop_tables (worker);
      reply_failed (worker->channel, DP_MR_FAILED, job, transfer, error);
      procedures_clear (&procs);
      return;
    }

unreachable:
  /* The source is gone, or cannot be reached: this worker keeps its own. */
  if (key != NULL)
    g_hash_table_remove (worker->peers, key);
  if (mine != NULL)
    g_ptr_array_add (worker->tables, g_steal_pointer (&mine));
  g_prefix_error (&error, "cannot take the data of worker %s on %s:%u: ", name, host, port);
  reply_failed (worker->channel, DP_MR_FETCH_FAILED, job, transfer, error);
  procedures_clear (&procs);
}

/* Hands all its data over, merged, as one message, and forgets it: the
 * result, for the controller. */
static void
give_data (Worker     *worker,
           DpChannel  *to,
           guint32     job,
           guint32     id,
           const char *reducer,
           const char *sorter)
{
  g_autoptr(GError) error = NULL;
  Procedures procs;
  gint64 start;
  DpKvTable *table;

  if (!procedures_resolve (&procs, "", reducer, sorter, &error) ||
      !merge_tables (worker, &procs.procedures, &error))
    {
      drop_tables (worker);
      reply_failed (to, DP_MR_FAILED, job, id, error);
      procedures_clear (&procs);
      return;
    }
  procedures_clear (&procs);

  start = g_get_monotonic_time ();
  if (worker->tables->len == 0)
    g_ptr_array_add (worker->tables, dp_kv_table_new ());
  table = g_ptr_array_index (worker->tables, 0);
  if (!dp_kv_table_send (table, 0, dp_kv_table_get_n_entries (table), to, &error))
    g_debug ("worker: cannot hand over its data: %s", error->message);
  g_debug ("sent %u keys in %.1f ms", count_keys (worker), (g_get_monotonic_time () - start) / 1000.0);
  drop_tables (worker);
}

/* The source's side of a transfer: its data goes, half of it merged
 * here. Until the last message is sent the worker keeps its data: if the
 * receiver goes away, the controller decides (it resets this worker). */
static void
give_split (Worker     *worker,
            DpChannel  *channel,
            guint32     job,
            guint32     transfer,
            const char *reducer,
            const char *sorter)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) split = NULL;
  g_autoptr(GVariant) split_key = NULL;
  g_autoptr(DpKvTable) merged = NULL;
  DpKvTable *mine, *theirs;
  Procedures procs;
  DpKvOrder order;
  gboolean has_key;
  guint middle;

  if (!procedures_resolve (&procs, "", reducer, sorter, &error) ||
      !merge_tables (worker, &procs.procedures, &error))
    {
      drop_tables (worker);
      reply_failed (channel, DP_MR_FAILED, job, transfer, error);
      procedures_clear (&procs);
      return;
    }
  if (worker->tables->len == 0)
    g_ptr_array_add (worker->tables, dp_kv_table_new ());
  mine = g_ptr_array_index (worker->tables, 0);

  split = dp_channel_get (channel, &error);
  if (split == NULL || !g_variant_is_of_type (split, G_VARIANT_TYPE (DP_MR_SPLIT_TYPE)))
    goto gone;
  g_variant_get (split, "(&sbv)", NULL, &has_key, &split_key);
  middle = dp_kv_table_get_n_entries (mine);
  if (has_key && middle > 0)
    {
      if (!g_variant_is_of_type (split_key, (const GVariantType *) mine->key_type))
        {
          g_set_error (&error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "Cannot merge keys of type “%s” with keys of type “%s”: every task's mapper "
                       "output must have one type", mine->key_type, g_variant_get_type_string (split_key));
          reply_failed (channel, DP_MR_FAILED, job, transfer, error);
          goto gone;
        }
      dp_kv_order_init (&order, mine->key_type, procs.procedures.sorter);
      middle = dp_kv_table_lower_bound (mine, &order, split_key);
    }

  if (!dp_kv_table_send (mine, 0, middle, channel, &error))
    goto gone;
  theirs = dp_kv_table_receive (channel, NULL, "the receiver", &error);
  if (theirs == NULL)
    goto gone;
  merged = dp_kv_table_merge (dp_kv_table_new_range (mine, middle, dp_kv_table_get_n_entries (mine) - middle),
                              theirs, &procs.procedures, &error);
  if (merged == NULL)
    reply_failed (channel, DP_MR_FAILED, job, transfer, error);
  else if (dp_kv_table_send (merged, 0, dp_kv_table_get_n_entries (merged), channel, &error))
    drop_tables (worker);     /* all the receiver's now */

gone:
  if (error != NULL)
    g_debug ("worker: giving its data: %s", error->message);
  procedures_clear (&procs);
}

/* Another worker's request, through a connection to this named place. */
static void
serve_peer (Worker   *worker,
            GVariant *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpChannel) reply_channel = NULL;
  g_autoptr(GVariant) request = dp_named_place_message_unwrap (message, &reply_channel, &error);
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(DpChannel) channel = NULL;
  const char *reducer, *sorter;
  guint32 job, transfer;

  if (request == NULL)
    {
      g_debug ("worker: %s", error->message);
      return;
    }
  if (!g_variant_is_of_type (request, G_VARIANT_TYPE (DP_MR_GIVE_TYPE)) ||
      !g_str_equal (dp_message_get_tag (request), DP_MR_GIVE))
    {
      g_autofree char *text = g_variant_print (request, TRUE);
      g_debug ("worker: unexpected request from a peer: %s", text);
      return;
    }
  g_variant_get (request, "(&suu&s&s@h)", NULL, &job, &transfer, &reducer, &sorter, &handle);
  channel = dp_channel_from_variant (handle, &error);
  if (channel == NULL)
    {
      g_debug ("worker: %s", error->message);
      return;
    }
  /* A request of a job that ended (it failed, or was cancelled, and the
   * next one's reset came first): the data here is another's now. Say
   * so: closing this end unread would not reach the receiver (see
   * get_from_source()), which would wait for ever. */
  if (job == worker->job)
    give_split (worker, channel, job, transfer, reducer, sorter);
  else
    {
      g_autoptr(GError) stale = g_error_new (DP_ERROR, DP_ERROR_FAILED, "it serves job %u now, not %u",
                                             worker->job, job);

      g_debug ("worker: a request to give the data of job %u, not %u", job, worker->job);
      reply_failed (channel, DP_MR_FAILED, job, transfer, stale);
    }
  dp_channel_close (channel);
}

/**
 * dp_map_reduce_worker:
 * @channel: the place's channel
 *
 * The place function of a MapReduce worker (the seeds'
 * `map-reduce-worker`), run as a named place by
 * [func@Dp.make_map_reduce_workers]: it maps tasks, merges and reduces
 * their output locally, hands its data to another worker or to the
 * controller, until its channel closes or it is told to stop.
 */
void
dp_map_reduce_worker (DpChannel *channel)
{
  Worker worker = { channel, 0, g_ptr_array_new_with_free_func ((GDestroyNotify) dp_kv_table_free),
                    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref) };

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = dp_channel_get (channel, &error);
      const char *tag;
      guint32 job;

      if (message == NULL)
        break;      /* the controller is gone */

      if (g_variant_is_of_type (message, G_VARIANT_TYPE ("(vh)")))
        {
          serve_peer (&worker, message);
          continue;
        }

      tag = dp_message_get_tag (message);
      if (tag == NULL || g_variant_n_children (message) < 2)
        {
          g_debug ("worker: unexpected message of type %s", g_variant_get_type_string (message));
          continue;
        }
      {
        g_autoptr(GVariant) serial = g_variant_get_child_value (message, 1);

        if (!g_variant_is_of_type (serial, G_VARIANT_TYPE_UINT32))
          {
            g_debug ("worker: unexpected message of type %s", g_variant_get_type_string (message));
            continue;
          }
        job = g_variant_get_uint32 (serial);
        if (!g_str_equal (tag, DP_MR_STOP))
          worker.job = job;
      }

      if (g_variant_is_of_type (message, G_VARIANT_TYPE (DP_MR_MAP_TYPE)) && g_str_equal (tag, DP_MR_MAP))
        handle_map (&worker, message);
      else if (g_variant_is_of_type (message, G_VARIANT_TYPE (DP_MR_FETCH_TYPE)) &&
               g_str_equal (tag, DP_MR_FETCH))
        handle_fetch (&worker, message);
      else if (g_variant_is_of_type (message, G_VARIANT_TYPE (DP_MR_RESULTS_TYPE)) &&
               g_str_equal (tag, DP_MR_RESULTS))
        {
          const char *reducer, *sorter;

          g_variant_get (message, "(&su&s&s)", NULL, NULL, &reducer, &sorter);
          give_data (&worker, channel, job, 0, reducer, sorter);
        }
      else if (g_variant_is_of_type (message, G_VARIANT_TYPE (DP_MR_SIMPLE_TYPE)))
        {
          if (g_str_equal (tag, DP_MR_RESET))
            {
              drop_tables (&worker);
              reply (channel, g_variant_new (DP_MR_SIMPLE_TYPE, DP_MR_READY, job));
            }
          else if (g_str_equal (tag, DP_MR_STOP))
            break;
        }
      else
        g_debug ("worker: unexpected request “%s” of type %s", tag,
                 g_variant_get_type_string (message));
    }

  g_ptr_array_unref (worker.tables);
  g_hash_table_unref (worker.peers);
}
