/* dp-rmpi-collectives.c: broadcast, reduce, allreduce, barrier, gather,
 * allgather, alltoall, alltoallv
 *
 * Every collective is a fixed pattern of messages on the communicator's
 * collective channels, the same on every rank for a given size and root;
 * each pair's channel is in order, so message i from rank a to rank b is
 * the one b expects i-th from a, over any sequence of collectives. Values
 * travel as they are (GVariants: by reference between ranks of one node,
 * serialized once between nodes); numeric arrays as whole arrays.
 *
 *   broadcast   binomial tree (the seeds' hypercube) for small values,
 *               sent as they are; over PIPELINE_THRESHOLD bytes the value
 *               is cut into chunks that flow down a chain of the ranks,
 *               each rank passing chunk k on while chunk k+1 arrives, a
 *               header going down the binomial tree first
 *   reduce      binomial tree towards the root
 *   allreduce   recursive doubling: log2 p exchanges, every rank
 *               combining in rank order so all get the same bits; with p
 *               not a power of two, the first 2r ranks pair up first
 *               (r = p - 2^⌊log2 p⌋) and get the result back at the end
 *   barrier     dissemination: ⌈log2 p⌉ rounds, in round k rank i tells
 *               i + 2^k and hears from i - 2^k
 *   gather      binomial tree, each subtree's values as one `av`
 *   allgather   Bruck's algorithm: ⌈log2 p⌉ steps for any p
 *   alltoall(v) every rank sends each other rank its piece at once, then
 *               receives
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-rmpi"

#include "config.h"

#include <string.h>

#include "dp-rmpi.h"
#include "dp-rmpi-comm-private.h"
#include "dp-rmpi-op-private.h"

/* Broadcasts of this many bytes or more may be pipelined, in chunks of
 * PIPELINE_CHUNK bytes (see use_pipeline()). */
#define PIPELINE_THRESHOLD (512 * 1024)
#define PIPELINE_CHUNK (256 * 1024)
/* The header of a pipelined broadcast: a mark, the value's type, size,
 * chunk size. */
#define PIPELINE_HEADER_TYPE "(ssttt)"
#define PIPELINE_MARK "dp-rmpi-pipelined-broadcast"

/* Whether a broadcast of @size bytes goes down the pipeline rather than
 * the tree. The pipeline wins when the ranks have a processor or a
 * network link each, and the tree's log2 p steps become the cost; with
 * more ranks than processors on one machine the total work decides, and
 * the tree does less (no reassembly). DP_RMPI_BCAST=tree or pipeline
 * forces one. Only the root decides: the others learn which from the
 * first message. */
static gboolean
use_pipeline (DpRmpiComm *comm,
              gsize       size)
{
  static gsize forced;   /* 1 no, 2 tree, 3 pipeline */

  if (g_once_init_enter (&forced))
    {
      const char *env = g_getenv ("DP_RMPI_BCAST");

      g_once_init_leave (&forced, g_strcmp0 (env, "tree") == 0 ? 2
                                  : g_strcmp0 (env, "pipeline") == 0 ? 3 : 1);
    }
  if (forced != 1)
    return forced == 3 && size > 0;
  return size >= PIPELINE_THRESHOLD && comm->cnt >= 3 &&
         (!comm->one_host || comm->cnt <= dp_processor_count ());
}

static inline guint
actual_rank (guint relative,
             guint root,
             guint cnt)
{
  return (relative + root) % cnt;
}

static gboolean
protocol_error (DpRmpiComm  *comm,
                const char  *what,
                GError     **error,
                const char  *format,
                ...) G_GNUC_PRINTF (4, 5);

static gboolean
protocol_error (DpRmpiComm  *comm,
                const char  *what,
                GError     **error,
                const char  *format,
                ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  return dp_rmpi_comm_fail (comm, what,
                            g_error_new_literal (DP_ERROR, DP_ERROR_INVALID_MESSAGE, message),
                            error);
}

static GVariant *
apply_op (DpRmpiComm  *comm,
          const char  *what,
          DpRmpiOp    *op,
          GVariant    *a,
          GVariant    *b,
          GError     **error)
{
  GError *local_error = NULL;
  GVariant *result = dp_rmpi_op_apply (op, a, b, &local_error);

  if (result == NULL)
    dp_rmpi_comm_fail (comm, what, local_error, error);
  return result;
}

/* ── broadcast ─────────────────────────────────────────────────────── */

/* The binomial tree over ranks relative to the root: the parent of v is v
 * without its lowest bit; its children are v + 2^j for 2^j below that
 * bit, largest first. Returns the lowest bit (cnt rounded up to a power
 * of two for the root). */
static guint
binomial_low_bit (guint v,
                  guint cnt)
{
  guint mask = 1;

  while (mask < cnt)
    {
      if (v & mask)
        return mask;
      mask <<= 1;
    }
  return mask;
}

static gboolean
send_to_children (DpRmpiComm  *comm,
                  const char  *what,
                  guint        v,
                  guint        root,
                  GVariant    *message,
                  GError     **error)
{
  for (guint mask = binomial_low_bit (v, comm->cnt) >> 1; mask > 0; mask >>= 1)
    if (v + mask < comm->cnt &&
        !dp_rmpi_coll_put (comm, what, actual_rank (v + mask, root, comm->cnt), message, error))
      return FALSE;
  return TRUE;
}

static GVariant *
chunk_view (GVariant *whole,
            gsize     offset,
            gsize     length)
{
  const guint8 *data = g_variant_get_data (whole);

  return g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, data + offset,
                                                      length, TRUE,
                                                      (GDestroyNotify) g_variant_unref,
                                                      g_variant_ref (whole)));
}

static gboolean
pipelined_send (DpRmpiComm  *comm,
                const char  *what,
                guint        root,
                GVariant    *value,
                GError     **error)
{
  gsize size = g_variant_get_size (value);
  g_autoptr(GVariant) header = NULL;

  /* Serialized once, here; the chunks are views of it. */
  g_variant_get_data (value);
  header = g_variant_ref_sink (g_variant_new (PIPELINE_HEADER_TYPE, PIPELINE_MARK,
                                              g_variant_get_type_string (value),
                                              (guint64) size, (guint64) PIPELINE_CHUNK, (guint64) 0));
  if (!send_to_children (comm, what, 0, root, header, error))
    return FALSE;

  for (gsize offset = 0; offset < size; offset += PIPELINE_CHUNK)
    {
      g_autoptr(GVariant) chunk = chunk_view (value, offset, MIN (PIPELINE_CHUNK, size - offset));

      if (!dp_rmpi_coll_put (comm, what, actual_rank (1, root, comm->cnt), chunk, error))
        return FALSE;
    }
  return TRUE;
}

static GVariant *
pipelined_receive (DpRmpiComm  *comm,
                   const char  *what,
                   guint        v,
                   guint        root,
                   GVariant    *header,
                   GError     **error)
{
  const char *mark, *type;
  guint64 size, chunk_size;
  guint from = actual_rank (v - 1, root, comm->cnt);
  gboolean forward = v + 1 < comm->cnt;
  guint to = actual_rank (v + 1, root, comm->cnt);
  g_autofree guint8 *buffer = NULL;
  g_autoptr(GBytes) bytes = NULL;
  GVariant *result;

  g_variant_get (header, "(&s&sttt)", &mark, &type, &size, &chunk_size, NULL);
  if (!g_str_equal (mark, PIPELINE_MARK) || !g_variant_type_string_is_valid (type) ||
      !g_variant_type_is_definite (G_VARIANT_TYPE (type)) || chunk_size == 0 ||
      size > G_MAXSIZE / 2)
    {
      protocol_error (comm, what, error, "a malformed broadcast header from the root");
      return NULL;
    }

  buffer = g_try_malloc (MAX (size, 1));
  if (buffer == NULL)
    {
      dp_rmpi_comm_fail (comm, what,
                         g_error_new (DP_ERROR, DP_ERROR_FAILED, "no memory for a broadcast of %"
                                      G_GUINT64_FORMAT " bytes", size),
                         error);
      return NULL;
    }
  for (guint64 offset = 0; offset < size; offset += chunk_size)
    {
      g_autoptr(GVariant) chunk = dp_rmpi_coll_get (comm, what, from, error);
      gsize length = MIN (chunk_size, size - offset);

      if (chunk == NULL)
        return NULL;
      if (!g_variant_is_of_type (chunk, G_VARIANT_TYPE_BYTESTRING) ||
          g_variant_get_size (chunk) != length)
        {
          protocol_error (comm, what, error, "a broadcast chunk of type %s and %" G_GSIZE_FORMAT
                          " bytes from rank %u, expected %" G_GSIZE_FORMAT " bytes",
                          g_variant_get_type_string (chunk), g_variant_get_size (chunk), from,
                          length);
          return NULL;
        }
      /* Passed on first, so the next rank works while we copy. */
      if (forward && !dp_rmpi_coll_put (comm, what, to, chunk, error))
        return NULL;
      memcpy (buffer + offset, g_variant_get_data (chunk), length);
    }

  bytes = g_bytes_new_take (g_steal_pointer (&buffer), size);
  result = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type), bytes, FALSE));
  if (!dp_rmpi_is_normal_form (result))
    {
      g_variant_unref (result);
      protocol_error (comm, what, error, "a broadcast value not in normal form");
      return NULL;
    }
  /* Checked: trusted from now on, so that comparing it, say, is cheap. */
  g_variant_unref (result);
  result = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type), bytes, TRUE));
  return result;
}

/**
 * dp_rmpi_broadcast:
 * @comm: a communicator
 * @src: the rank that has the value
 * @value: (transfer floating) (nullable): the value, on rank @src; %NULL
 *   elsewhere, the seeds' `(rmpi-broadcast comm src)` (a value given there
 *   is ignored)
 * @error: return location for a #GError
 *
 * The seeds' `rmpi-broadcast`, a collective: every rank gets @src's
 * value. Values go down a binomial tree (the seeds' hypercube), as they
 * are; large ones are pipelined in chunks along the ranks when that pays
 * (ranks spread over machines, or no more ranks than processors).
 *
 * Returns: (transfer full): the value, or %NULL with @error set
 */
GVariant *
dp_rmpi_broadcast (DpRmpiComm  *comm,
                   guint        src,
                   GVariant    *value,
                   GError     **error)
{
  const char *what = "rmpi-broadcast";
  g_autoptr(GVariant) owned = value != NULL ? g_variant_ref_sink (value) : NULL;
  g_autoptr(GVariant) message = NULL;
  guint v;

  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), NULL);

  if (!dp_rmpi_comm_begin (comm, what, error))
    return NULL;
  if (!dp_rmpi_comm_check_rank (comm, what, src, error))
    return NULL;
  if (comm->id == src && owned == NULL)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "%s: rank %u of %u: the source (rank %u) has no value", what, comm->id, comm->cnt, src);
      return NULL;
    }
  if (comm->cnt == 1)
    return g_steal_pointer (&owned);

  v = (comm->id + comm->cnt - src) % comm->cnt;
  if (v == 0)
    {
      if (use_pipeline (comm, g_variant_get_size (owned)))
        {
          if (!pipelined_send (comm, what, src, owned, error))
            return NULL;
          return g_steal_pointer (&owned);
        }
      /* As it is — GLib checks a value inside a variant element by
       * element, which costs 14 ms for 1 MiB of bytes — unless it could
       * be taken for a header or a boxed value. */
      if (g_variant_is_of_type (owned, G_VARIANT_TYPE_VARIANT) ||
          g_variant_is_of_type (owned, G_VARIANT_TYPE (PIPELINE_HEADER_TYPE)))
        message = g_variant_ref_sink (g_variant_new_variant (owned));
      else
        message = g_variant_ref (owned);
      if (!send_to_children (comm, what, 0, src, message, error))
        return NULL;
      return g_steal_pointer (&owned);
    }

  message = dp_rmpi_coll_get (comm, what, actual_rank (v - binomial_low_bit (v, comm->cnt), src,
                                                       comm->cnt), error);
  if (message == NULL || !send_to_children (comm, what, v, src, message, error))
    return NULL;
  if (g_variant_is_of_type (message, G_VARIANT_TYPE_VARIANT))
    return g_variant_get_variant (message);
  if (g_variant_is_of_type (message, G_VARIANT_TYPE (PIPELINE_HEADER_TYPE)))
    return pipelined_receive (comm, what, v, src, message, error);
  return g_steal_pointer (&message);
}

/* ── reduce ────────────────────────────────────────────────────────── */

/**
 * dp_rmpi_reduce:
 * @comm: a communicator
 * @dest: the rank that gets the result
 * @op: the reduction ([const@Dp.RMPI_SUM], …, or a user's)
 * @value: (transfer floating): this rank's value
 * @error: return location for a #GError
 *
 * The seeds' `rmpi-reduce`, a collective: combines every rank's value
 * with @op up a binomial tree to @dest. Numeric arrays are combined
 * element-wise, as whole arrays.
 *
 * Returns: (transfer full): the combination of all values on @dest; on
 *   the other ranks the partial combination they passed on (as in
 *   Racket). %NULL with @error set on failure
 */
GVariant *
dp_rmpi_reduce (DpRmpiComm  *comm,
                guint        dest,
                DpRmpiOp    *op,
                GVariant    *value,
                GError     **error)
{
  const char *what = "rmpi-reduce";
  g_autoptr(GVariant) acc = NULL;
  guint v, cnt;

  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), NULL);
  g_return_val_if_fail (op != NULL, NULL);
  g_return_val_if_fail (value != NULL, NULL);

  acc = g_variant_ref_sink (value);
  if (!dp_rmpi_comm_begin (comm, what, error))
    return NULL;
  if (!dp_rmpi_comm_check_rank (comm, what, dest, error))
    return NULL;
  cnt = comm->cnt;

  v = (comm->id + cnt - dest) % cnt;
  for (guint mask = 1; mask < cnt; mask <<= 1)
    {
      if ((v & mask) == 0)
        {
          g_autoptr(GVariant) theirs = NULL;
          GVariant *combined;

          if ((v | mask) >= cnt)
            continue;
          theirs = dp_rmpi_coll_get (comm, what, actual_rank (v | mask, dest, cnt), error);
          if (theirs == NULL)
            return NULL;
          combined = apply_op (comm, what, op, acc, theirs, error);
          if (combined == NULL)
            return NULL;
          g_variant_unref (acc);
          acc = combined;
        }
      else
        {
          if (!dp_rmpi_coll_put (comm, what, actual_rank (v & ~mask, dest, cnt), acc, error))
            return NULL;
          break;
        }
    }
  return g_steal_pointer (&acc);
}

/* ── allreduce ─────────────────────────────────────────────────────── */

/**
 * dp_rmpi_allreduce:
 * @comm: a communicator
 * @op: the reduction
 * @value: (transfer floating): this rank's value
 * @error: return location for a #GError
 *
 * The seeds' `rmpi-allreduce`, a collective: every rank gets the
 * combination of all values. Recursive doubling — ⌈log2 cnt⌉ exchanges
 * between pairs of ranks, two more when cnt is not a power of two — not a
 * reduce followed by a broadcast. Every rank combines in rank order, so
 * all get the same result, bit for bit.
 *
 * Returns: (transfer full): the combination, or %NULL with @error set
 */
GVariant *
dp_rmpi_allreduce (DpRmpiComm  *comm,
                   DpRmpiOp    *op,
                   GVariant    *value,
                   GError     **error)
{
  const char *what = "rmpi-allreduce";
  g_autoptr(GVariant) acc = NULL;
  guint cnt, r, pof2 = 1, rem;
  gint newrank;

  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), NULL);
  g_return_val_if_fail (op != NULL, NULL);
  g_return_val_if_fail (value != NULL, NULL);

  acc = g_variant_ref_sink (value);
  if (!dp_rmpi_comm_begin (comm, what, error))
    return NULL;

  cnt = comm->cnt;
  r = comm->id;
  while (pof2 * 2 <= cnt)
    pof2 *= 2;
  rem = cnt - pof2;

  /* Fold the first 2·rem ranks in pairs: odd ones go on. */
  if (r < 2 * rem)
    {
      if (r % 2 == 0)
        {
          if (!dp_rmpi_coll_put (comm, what, r + 1, acc, error))
            return NULL;
          newrank = -1;
        }
      else
        {
          g_autoptr(GVariant) theirs = dp_rmpi_coll_get (comm, what, r - 1, error);
          GVariant *combined;

          if (theirs == NULL || (combined = apply_op (comm, what, op, theirs, acc, error)) == NULL)
            return NULL;
          g_variant_unref (acc);
          acc = combined;
          newrank = r / 2;
        }
    }
  else
    newrank = r - rem;

  if (newrank >= 0)
    for (guint mask = 1; mask < pof2; mask <<= 1)
      {
        guint newdst = (guint) newrank ^ mask;
        guint dst = newdst < rem ? newdst * 2 + 1 : newdst + rem;
        g_autoptr(GVariant) theirs = NULL;
        GVariant *combined;

        if (!dp_rmpi_coll_put (comm, what, dst, acc, error) ||
            (theirs = dp_rmpi_coll_get (comm, what, dst, error)) == NULL)
          return NULL;
        combined = dst < r ? apply_op (comm, what, op, theirs, acc, error)
                           : apply_op (comm, what, op, acc, theirs, error);
        if (combined == NULL)
          return NULL;
        g_variant_unref (acc);
        acc = combined;
      }

  if (r < 2 * rem)
    {
      if (r % 2 == 0)
        {
          GVariant *result = dp_rmpi_coll_get (comm, what, r + 1, error);

          if (result == NULL)
            return NULL;
          g_variant_unref (acc);
          acc = result;
        }
      else if (!dp_rmpi_coll_put (comm, what, r - 1, acc, error))
        return NULL;
    }

  return g_steal_pointer (&acc);
}

/* ── barrier ───────────────────────────────────────────────────────── */

/**
 * dp_rmpi_barrier:
 * @comm: a communicator
 * @error: return location for a #GError
 *
 * The seeds' `rmpi-barrier`: returns once every rank of @comm has called
 * it. A dissemination barrier: ⌈log2 cnt⌉ rounds of one message per rank.
 *
 * Returns: %TRUE on success
 */
gboolean
dp_rmpi_barrier (DpRmpiComm  *comm,
                 GError     **error)
{
  const char *what = "rmpi-barrier";
  static GVariant *token;
  guint cnt, r;

  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), FALSE);

  if (!dp_rmpi_comm_begin (comm, what, error))
    return FALSE;
  if (g_once_init_enter (&token))
    g_once_init_leave (&token, g_variant_ref_sink (g_variant_new_byte (0)));

  cnt = comm->cnt;
  r = comm->id;
  for (guint k = 1; k < cnt; k <<= 1)
    {
      g_autoptr(GVariant) heard = NULL;

      if (!dp_rmpi_coll_put (comm, what, (r + k) % cnt, token, error) ||
          (heard = dp_rmpi_coll_get (comm, what, (r + cnt - k) % cnt, error)) == NULL)
        return FALSE;
    }
  return TRUE;
}

/* ── gather, allgather ─────────────────────────────────────────────── */

static GVariant *
new_av (GPtrArray *values,
        guint      first,
        guint      n)
{
  g_autofree GVariant **boxed = g_new (GVariant *, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    boxed[i] = g_variant_new_variant (g_ptr_array_index (values, first + i));
  return g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE_VARIANT, boxed, n));
}

/* @values[i] is the value of rank (@first + i) % @cnt: an `av` of them in
 * rank order. */
static GVariant *
new_av_in_rank_order (GPtrArray *values,
                      guint      first,
                      guint      cnt)
{
  g_autoptr(GPtrArray) ordered = g_ptr_array_new ();

  g_ptr_array_set_size (ordered, cnt);
  for (guint i = 0; i < cnt; i++)
    ordered->pdata[actual_rank (i, first, cnt)] = g_ptr_array_index (values, i);
  return new_av (ordered, 0, cnt);
}

/* A block of values travels as one `av` when small; else as a header and
 * the values one by one, as they are (GLib checks values inside `av`
 * element by element). */
#define BLOCK_WRAP_LIMIT (16 * 1024)
#define BLOCK_HEADER_TYPE "(su)"
#define BLOCK_MARK "dp-rmpi-values"

static gboolean
send_block (DpRmpiComm  *comm,
            const char  *what,
            guint        to,
            GPtrArray   *values,
            guint        n,
            GError     **error)
{
  gsize total = 0;

  for (guint i = 0; i < n; i++)
    total += g_variant_get_size (g_ptr_array_index (values, i));
  if (total <= BLOCK_WRAP_LIMIT)
    {
      g_autoptr(GVariant) block = new_av (values, 0, n);
      return dp_rmpi_coll_put (comm, what, to, block, error);
    }

  {
    g_autoptr(GVariant) header = g_variant_ref_sink (g_variant_new (BLOCK_HEADER_TYPE, BLOCK_MARK, n));

    if (!dp_rmpi_coll_put (comm, what, to, header, error))
      return FALSE;
  }
  for (guint i = 0; i < n; i++)
    if (!dp_rmpi_coll_put (comm, what, to, g_ptr_array_index (values, i), error))
      return FALSE;
  return TRUE;
}

/* Appends the values of the `av` @message, which must hold @n. */
static gboolean
take_av (DpRmpiComm  *comm,
         const char  *what,
         GVariant    *message,
         guint        n,
         guint        from,
         GPtrArray   *values,
         GError     **error)
{
  if (!g_variant_is_of_type (message, G_VARIANT_TYPE ("av")) || g_variant_n_children (message) != n)
    return protocol_error (comm, what, error,
                           "rank %u sent a value of type %s with %" G_GSIZE_FORMAT
                           " elements, expected av with %u", from,
                           g_variant_get_type_string (message),
                           g_variant_is_container (message) ? g_variant_n_children (message) : 0,
                           n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (message, i);
      g_ptr_array_add (values, g_variant_get_variant (boxed));
    }
  return TRUE;
}

/* Receives a block of @n values from @from (see send_block()). */
static gboolean
receive_block (DpRmpiComm  *comm,
               const char  *what,
               guint        from,
               guint        n,
               GPtrArray   *values,
               GError     **error)
{
  g_autoptr(GVariant) first = dp_rmpi_coll_get (comm, what, from, error);
  const char *mark;
  guint32 count;

  if (first == NULL)
    return FALSE;
  if (!g_variant_is_of_type (first, G_VARIANT_TYPE (BLOCK_HEADER_TYPE)))
    return take_av (comm, what, first, n, from, values, error);

  g_variant_get (first, "(&su)", &mark, &count);
  if (!g_str_equal (mark, BLOCK_MARK) || count != n)
    return protocol_error (comm, what, error, "rank %u announced %u values, expected %u", from,
                           count, n);
  for (guint i = 0; i < n; i++)
    {
      GVariant *value = dp_rmpi_coll_get (comm, what, from, error);

      if (value == NULL)
        return FALSE;
      g_ptr_array_add (values, value);
    }
  return TRUE;
}

/**
 * dp_rmpi_gather:
 * @comm: a communicator
 * @dest: the rank that gets the values
 * @value: (transfer floating): this rank's value
 * @error: return location for a #GError
 *
 * The seeds' `rmpi-gather`, a collective: @dest gets every rank's value,
 * collected up a binomial tree.
 *
 * Returns: (transfer full): on @dest, an `av` of the values in rank
 *   order; on the others, the `av` of values they passed on. %NULL with
 *   @error set on failure
 */
GVariant *
dp_rmpi_gather (DpRmpiComm  *comm,
                guint        dest,
                GVariant    *value,
                GError     **error)
{
  const char *what = "rmpi-gather";
  g_autoptr(GVariant) owned = NULL;
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  guint v, cnt;

  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), NULL);
  g_return_val_if_fail (value != NULL, NULL);

  owned = g_variant_ref_sink (value);
  if (!dp_rmpi_comm_begin (comm, what, error))
    return NULL;
  if (!dp_rmpi_comm_check_rank (comm, what, dest, error))
    return NULL;
  cnt = comm->cnt;

  /* values[i] is the value of relative rank v + i. */
  g_ptr_array_add (values, g_variant_ref (owned));
  v = (comm->id + cnt - dest) % cnt;
  for (guint mask = 1; mask < cnt; mask <<= 1)
    {
      if ((v & mask) == 0)
        {
          guint from = v | mask;

          if (from >= cnt)
            continue;
          if (!receive_block (comm, what, actual_rank (from, dest, cnt), MIN (mask, cnt - from),
                              values, error))
            return NULL;
        }
      else
        {
          if (!send_block (comm, what, actual_rank (v & ~mask, dest, cnt), values, values->len,
                           error))
            return NULL;
          return new_av (values, 0, values->len);
        }
    }

  /* The root: back to rank order. */
  return new_av_in_rank_order (values, dest, cnt);
}

/**
 * dp_rmpi_allgather:
 * @comm: a communicator
 * @value: (transfer floating): this rank's value
 * @error: return location for a #GError
 *
 * The seeds' `rmpi-allgather`, a collective: every rank gets every rank's
 * value. Bruck's algorithm: ⌈log2 cnt⌉ steps, for any cnt.
 *
 * Returns: (transfer full): an `av` of the values in rank order, or %NULL
 *   with @error set
 */
GVariant *
dp_rmpi_allgather (DpRmpiComm  *comm,
                   GVariant    *value,
                   GError     **error)
{
  const char *what = "rmpi-allgather";
  g_autoptr(GVariant) owned = NULL;
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  guint cnt, r;

  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), NULL);
  g_return_val_if_fail (value != NULL, NULL);

  owned = g_variant_ref_sink (value);
  if (!dp_rmpi_comm_begin (comm, what, error))
    return NULL;
  cnt = comm->cnt;
  r = comm->id;

  /* values[i] is the value of rank r + i. */
  g_ptr_array_add (values, g_variant_ref (owned));
  for (guint pof = 1; pof < cnt; pof <<= 1)
    {
      guint count = MIN (pof, cnt - pof);
      guint to = (r + cnt - pof) % cnt, from = (r + pof) % cnt;

      if (!send_block (comm, what, to, values, count, error) ||
          !receive_block (comm, what, from, count, values, error))
        return NULL;
    }

  return new_av_in_rank_order (values, r, cnt);
}

/* ── alltoall, alltoallv ───────────────────────────────────────────── */

/**
 * dp_rmpi_alltoall:
 * @comm: a communicator
 * @outvec: (transfer floating): an array of `cnt` elements: element j
 *   goes to rank j (any element type: `ad`, `ax`, `av`, `aay` …)
 * @error: return location for a #GError
 *
 * The seeds' `rmpi-alltoall`, a collective: rank i's element j goes to
 * rank j, which puts it at index i. Every rank sends all its pieces at
 * once, then receives.
 *
 * Returns: (transfer full): an array of @outvec's type whose element i
 *   came from rank i, or %NULL with @error set
 */
GVariant *
dp_rmpi_alltoall (DpRmpiComm  *comm,
                  GVariant    *outvec,
                  GError     **error)
{
  const char *what = "rmpi-alltoall";
  g_autoptr(GVariant) owned = NULL;
  g_autoptr(GPtrArray) pieces = NULL;
  const GVariantType *element;
  guint cnt, r;

  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), NULL);
  g_return_val_if_fail (outvec != NULL, NULL);

  owned = g_variant_ref_sink (outvec);
  if (!dp_rmpi_comm_begin (comm, what, error))
    return NULL;
  cnt = comm->cnt;
  r = comm->id;
  if (!g_variant_is_of_type (owned, G_VARIANT_TYPE_ARRAY) || g_variant_n_children (owned) != cnt)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "%s: rank %u of %u: expected an array of %u elements, got a value of type %s",
                   what, r, cnt, cnt, g_variant_get_type_string (owned));
      return NULL;
    }
  element = g_variant_type_element (g_variant_get_type (owned));

  for (guint i = 1; i < cnt; i++)
    {
      guint to = (r + i) % cnt;
      g_autoptr(GVariant) piece = g_variant_get_child_value (owned, to);

      if (!dp_rmpi_coll_put (comm, what, to, piece, error))
        return NULL;
    }

  pieces = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_ptr_array_set_size (pieces, cnt);
  pieces->pdata[r] = g_variant_get_child_value (owned, r);
  for (guint i = 1; i < cnt; i++)
    {
      guint from = (r + cnt - i) % cnt;
      GVariant *piece = dp_rmpi_coll_get (comm, what, from, error);

      if (piece == NULL)
        return NULL;
      pieces->pdata[from] = piece;
      if (!g_variant_is_of_type (piece, element))
        {
          protocol_error (comm, what, error, "rank %u sent an element of type %s, expected %.*s",
                          from, g_variant_get_type_string (piece),
                          (int) g_variant_type_get_string_length (element),
                          g_variant_type_peek_string (element));
          return NULL;
        }
    }

  return g_variant_ref_sink (g_variant_new_array (element, (GVariant **) pieces->pdata, cnt));
}

/* Elements [@first, @first + @n) of the array @array, as an array of its
 * type: a view for numeric arrays, else built. */
static GVariant *
array_slice (GVariant *array,
             gsize     first,
             gsize     n)
{
  char element = dp_rmpi_numeric_array_element (g_variant_get_type (array));

  if (element != '\0')
    {
      gsize size = dp_rmpi_element_size (element);
      const guint8 *data = g_variant_get_data (array);

      return g_variant_ref_sink (g_variant_new_from_data (g_variant_get_type (array),
                                                          data + first * size, n * size, TRUE,
                                                          (GDestroyNotify) g_variant_unref,
                                                          g_variant_ref (array)));
    }
  else
    {
      g_autofree GVariant **children = g_new (GVariant *, MAX (n, 1));
      GVariant *slice;

      for (gsize i = 0; i < n; i++)
        children[i] = g_variant_get_child_value (array, first + i);
      slice = g_variant_new_array (g_variant_type_element (g_variant_get_type (array)), children, n);
      for (gsize i = 0; i < n; i++)
        g_variant_unref (children[i]);
      return g_variant_ref_sink (slice);
    }
}

/**
 * dp_rmpi_alltoallv:
 * @comm: a communicator
 * @outvec: (transfer floating): an array (any element type)
 * @send_count: (array): for each rank j, how many elements go to it
 * @send_displ: (array): for each rank j, where in @outvec they start
 * @invec: (transfer floating) (nullable): the array the received
 *   elements go into (the seeds' `invec`; it is copied, not changed); %NULL
 *   for one just long enough, of zeros (numeric arrays only)
 * @recv_count: (array): for each rank i, how many elements come from it
 * @recv_displ: (array): for each rank i, where in the result they go
 * @error: return location for a #GError
 *
 * The seeds' `rmpi-alltoallv`, a collective: like [func@Dp.rmpi_alltoall]
 * with a piece of its own size for each rank. Numeric arrays travel as
 * slices of @outvec, without copying them.
 *
 * Returns: (transfer full): @invec with the received pieces in place, or
 *   %NULL with @error set
 */
GVariant *
dp_rmpi_alltoallv (DpRmpiComm   *comm,
                   GVariant     *outvec,
                   const gsize  *send_count,
                   const gsize  *send_displ,
                   GVariant     *invec,
                   const gsize  *recv_count,
                   const gsize  *recv_displ,
                   GError      **error)
{
  const char *what = "rmpi-alltoallv";
  g_autoptr(GVariant) out = NULL;
  g_autoptr(GVariant) in = NULL;
  g_autoptr(GPtrArray) pieces = NULL;
  const GVariantType *type;
  char element;
  gsize n_out, n_in = 0;
  guint cnt, r;

  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), NULL);
  g_return_val_if_fail (outvec != NULL, NULL);
  g_return_val_if_fail (send_count != NULL && send_displ != NULL, NULL);
  g_return_val_if_fail (recv_count != NULL && recv_displ != NULL, NULL);

  out = g_variant_ref_sink (outvec);
  in = invec != NULL ? g_variant_ref_sink (invec) : NULL;
  if (!dp_rmpi_comm_begin (comm, what, error))
    return NULL;
  cnt = comm->cnt;
  r = comm->id;
  type = g_variant_get_type (out);
  element = dp_rmpi_numeric_array_element (type);

  if (!g_variant_type_is_array (type) || (in != NULL && !g_variant_is_of_type (in, type)) ||
      (in == NULL && element == '\0'))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "%s: rank %u of %u: expected arrays of one type (and invec, unless they "
                   "are numeric), got %s and %s", what, r, cnt, g_variant_get_type_string (out),
                   in != NULL ? g_variant_get_type_string (in) : "nothing");
      return NULL;
    }
  n_out = g_variant_n_children (out);
  for (guint j = 0; j < cnt; j++)
    {
      if (send_displ[j] > n_out || send_count[j] > n_out - send_displ[j])
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "%s: rank %u of %u: the piece for rank %u (%" G_GSIZE_FORMAT " at %"
                       G_GSIZE_FORMAT ") is outside outvec's %" G_GSIZE_FORMAT " elements",
                       what, r, cnt, j, send_count[j], send_displ[j], n_out);
          return NULL;
        }
      n_in = MAX (n_in, recv_displ[j] + recv_count[j]);
    }
  if (in != NULL && n_in > g_variant_n_children (in))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "%s: rank %u of %u: the pieces reach element %" G_GSIZE_FORMAT
                   " but invec has %" G_GSIZE_FORMAT, what, r, cnt, n_in,
                   g_variant_n_children (in));
      return NULL;
    }
  if (in != NULL)
    n_in = g_variant_n_children (in);

  for (guint i = 1; i < cnt; i++)
    {
      guint to = (r + i) % cnt;
      g_autoptr(GVariant) piece = array_slice (out, send_displ[to], send_count[to]);

      if (!dp_rmpi_coll_put (comm, what, to, piece, error))
        return NULL;
    }

  pieces = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_ptr_array_set_size (pieces, cnt);
  pieces->pdata[r] = array_slice (out, send_displ[r], send_count[r]);
  for (guint i = 0; i < cnt; i++)
    {
      guint from = (r + cnt - i) % cnt;
      GVariant *piece;

      if (i > 0)
        {
          piece = dp_rmpi_coll_get (comm, what, from, error);
          if (piece == NULL)
            return NULL;
          pieces->pdata[from] = piece;
        }
      piece = pieces->pdata[from];
      if (!g_variant_is_of_type (piece, type) || g_variant_n_children (piece) != recv_count[from])
        {
          protocol_error (comm, what, error, "rank %u sent %" G_GSIZE_FORMAT " elements of type "
                          "%s, expected %" G_GSIZE_FORMAT " of %s", from,
                          g_variant_is_container (piece) ? g_variant_n_children (piece) : 0,
                          g_variant_get_type_string (piece), recv_count[from],
                          g_variant_type_peek_string (type));
          return NULL;
        }
    }

  if (element != '\0')
    {
      gsize size = dp_rmpi_element_size (element);
      guint8 *data = g_malloc0 (MAX (n_in * size, 1));

      if (in != NULL)
        memcpy (data, g_variant_get_data (in), n_in * size);
      for (guint i = 0; i < cnt; i++)
        memcpy (data + recv_displ[i] * size, g_variant_get_data (pieces->pdata[i]),
                recv_count[i] * size);
      return g_variant_ref_sink (g_variant_new_from_data (type, data, n_in * size, TRUE, g_free,
                                                          data));
    }
  else
    {
      g_autoptr(GPtrArray) children = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

      for (gsize k = 0; k < n_in; k++)
        g_ptr_array_add (children, g_variant_get_child_value (in, k));
      for (guint i = 0; i < cnt; i++)
        for (gsize k = 0; k < recv_count[i]; k++)
          {
            g_variant_unref (children->pdata[recv_displ[i] + k]);
            children->pdata[recv_displ[i] + k] = g_variant_get_child_value (pieces->pdata[i], k);
          }
      return g_variant_ref_sink (g_variant_new_array (g_variant_type_element (type),
                                                      (GVariant **) children->pdata, n_in));
    }
}

/* ── shared vectors ────────────────────────────────────────────────── */

/**
 * dp_rmpi_broadcast_vector:
 * @comm: a communicator
 * @src: the rank whose vector's contents everyone gets
 * @vector: this rank's shared vector; all of the same kind and length
 * @error: return location for a #GError
 *
 * [func@Dp.rmpi_broadcast] of a [class@Dp.SharedVector]'s contents, in
 * place: @src's contents are copied into every rank's @vector.
 *
 * Returns: %TRUE on success
 */
gboolean
dp_rmpi_broadcast_vector (DpRmpiComm      *comm,
                          guint            src,
                          DpSharedVector  *vector,
                          GError         **error)
{
  g_autoptr(GVariant) result = NULL;

  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), FALSE);
  g_return_val_if_fail (DP_IS_SHARED_VECTOR (vector), FALSE);

  result = dp_rmpi_broadcast (comm, src,
                              comm->id == src ? dp_rmpi_vector_to_array (vector) : NULL, error);
  if (result == NULL)
    return FALSE;
  if (comm->id == src)
    return TRUE;
  if (!dp_rmpi_vector_check (vector, result, error))
    {
      g_prefix_error (error, "rmpi-broadcast: ");
      return FALSE;
    }
  memcpy (dp_shared_vector_get_data (vector), g_variant_get_data (result),
          g_variant_get_size (result));
  return TRUE;
}

/**
 * dp_rmpi_reduce_vector:
 * @comm: a communicator
 * @dest: the rank whose vector gets the result
 * @op: the reduction
 * @vector: this rank's shared vector; all of the same kind and length
 * @error: return location for a #GError
 *
 * [func@Dp.rmpi_reduce] of [class@Dp.SharedVector] contents, element-wise:
 * @dest's @vector gets the result, in place.
 *
 * Returns: %TRUE on success
 */
gboolean
dp_rmpi_reduce_vector (DpRmpiComm      *comm,
                       guint            dest,
                       DpRmpiOp        *op,
                       DpSharedVector  *vector,
                       GError         **error)
{
  g_autoptr(GVariant) result = NULL;

  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), FALSE);
  g_return_val_if_fail (DP_IS_SHARED_VECTOR (vector), FALSE);

  result = dp_rmpi_reduce (comm, dest, op, dp_rmpi_vector_to_array (vector), error);
  if (result == NULL)
    return FALSE;
  if (comm->id == dest)
    memcpy (dp_shared_vector_get_data (vector), g_variant_get_data (result),
            g_variant_get_size (result));
  return TRUE;
}

/**
 * dp_rmpi_allreduce_vector:
 * @comm: a communicator
 * @op: the reduction
 * @vector: this rank's shared vector; all of the same kind and length
 * @error: return location for a #GError
 *
 * [func@Dp.rmpi_allreduce] of [class@Dp.SharedVector] contents,
 * element-wise, in place on every rank.
 *
 * Returns: %TRUE on success
 */
gboolean
dp_rmpi_allreduce_vector (DpRmpiComm      *comm,
                          DpRmpiOp        *op,
                          DpSharedVector  *vector,
                          GError         **error)
{
  g_autoptr(GVariant) result = NULL;

  g_return_val_if_fail (DP_IS_RMPI_COMM (comm), FALSE);
  g_return_val_if_fail (DP_IS_SHARED_VECTOR (vector), FALSE);

  result = dp_rmpi_allreduce (comm, op, dp_rmpi_vector_to_array (vector), error);
  if (result == NULL)
    return FALSE;
  if (!dp_rmpi_vector_check (vector, result, error))
    {
      g_prefix_error (error, "rmpi-allreduce: ");
      return FALSE;
    }
  memcpy (dp_shared_vector_get_data (vector), g_variant_get_data (result),
          g_variant_get_size (result));
  return TRUE;
}
