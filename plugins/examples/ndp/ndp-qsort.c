/* ndp-qsort.c: the dissertation's nested data parallel quicksort (§4.3.4)
 *
 *   (define (ndp-parallel-qsort l ndp-group)
 *     (cond
 *       [(< (length l) 2) l]
 *       [else
 *         (define-values (lt eq gt) (partit l))
 *         ;; spawn off gt partition
 *         (define gt-ref
 *           (let ([node (ndp-get-node ndp-group)])
 *             (cond
 *               [node (cons #t (ndp-send-work ndp-group node
 *                                (list (quote-module-path) 'ndp-parallel-qsort) gt))]
 *               [else (cons #f (ndp-serial-qsort gt))])))
 *         ;; compute lt partition locally
 *         (define lt-part (ndp-parallel-qsort lt ndp-group))
 *         ;; retrieve remote results
 *         (define gt-part
 *           (match gt-ref
 *             [(cons #t node-id) (begin0 (ndp-get-result ndp-group node-id)
 *                                        (ndp-return-node ndp-group node-id))]
 *             [(cons #f part) part]))
 *         (append lt-part eq gt-part)]))
 *
 * ndp_parallel_qsort() is that procedure, on an array of numbers (`ax`,
 * `ai`, `ad`, … — the seeds' list) sent by value: each part crosses to its
 * worker and back, so it works with workers on any node.
 *
 * ndp_parallel_qsort_vector() is the same algorithm in place: the data
 * is a range (offset, length) of a DpSharedVector of 64-bit integers, so
 * partitions are sorted where they lie and only (vector, offset, length)
 * travels — what `dplaces bench qsort` runs, with workers that share the
 * vector's memory (places of one process, threads or processes backend).
 * It asks for a worker before partitioning a range: a range no worker is
 * free for (and a small one) is sorted by one call of libc's qsort()
 * with ndp_compare_int64(), the comparator the partitions use too — the
 * same qsort(), with the same comparator, that the benchmark's serial
 * reference runs. With one worker it is that serial qsort().
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ndp-qsort.h"

/* Below this many elements a range of the vector is sorted with qsort()
 * where it is: asking the coordinator for a worker costs more than
 * sorting it. */
#define VECTOR_CUTOFF 65536
/* From this many elements the pivot is the median of a sample. */
#define SAMPLE_FROM 1024
#define SAMPLE_MIN 127
#define SAMPLE_MAX 4095

/* Comparisons: qsort()'s contract. */

int
ndp_compare_int64 (const void *a,
                   const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return (x > y) - (x < y);
}

#define DEFINE_COMPARE(name, type) \
  static int \
  name (const void *a, \
        const void *b) \
  { \
    type x = *(const type *) a, y = *(const type *) b; \
    return (x > y) - (x < y); \
  }

DEFINE_COMPARE (compare_uint64, guint64)
DEFINE_COMPARE (compare_int32, gint32)
DEFINE_COMPARE (compare_uint32, guint32)
DEFINE_COMPARE (compare_int16, gint16)
DEFINE_COMPARE (compare_uint16, guint16)
DEFINE_COMPARE (compare_byte, guint8)

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  /* NaN after every number: a total order. */
  if (isnan (x) || isnan (y))
    return isnan (x) - isnan (y);
  return (x > y) - (x < y);
}

/* The numbers a list may hold. */
typedef struct {
  const char *type;       /* the array's type */
  gsize size;
  int (*compare) (const void *, const void *);
} Kind;

static const Kind kinds[] = {
  { "ax", 8, ndp_compare_int64 },
  { "at", 8, compare_uint64 },
  { "ai", 4, compare_int32 },
  { "au", 4, compare_uint32 },
  { "an", 2, compare_int16 },
  { "aq", 2, compare_uint16 },
  { "ay", 1, compare_byte },
  { "ad", 8, compare_double },
};

static const Kind *
kind_of (GVariant  *l,
         GError   **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_variant_is_of_type (l, G_VARIANT_TYPE (kinds[i].type)))
      return &kinds[i];
  g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
               "ndp-qsort: expected an array of numbers (ax, ai, ad, …), not %s",
               g_variant_get_type_string (l));
  return NULL;
}

static GVariant *
array_new (const Kind *kind,
           gconstpointer data,
           gsize       n)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE (kind->type + 1), data, n, kind->size);
}

/* The median of the first, middle and last elements. */
static const guint8 *
median_of_three (const guint8 *data,
                 gsize         n,
                 const Kind   *kind)
{
  const guint8 *a = data, *b = data + (n / 2) * kind->size, *c = data + (n - 1) * kind->size;

  if (kind->compare (a, b) < 0)
    {
      if (kind->compare (b, c) < 0)
        return b;
      return kind->compare (a, c) < 0 ? c : a;
    }
  if (kind->compare (a, c) < 0)
    return a;
  return kind->compare (b, c) < 0 ? c : b;
}

/* The seeds' partit: picks a pivot and splits @l into the elements less
 * than, equal to and greater than it, in their order. */
static void
partit (GVariant    *l,
        const Kind  *kind,
        GVariant   **out_lt,
        GVariant   **out_eq,
        GVariant   **out_gt)
{
  gsize n, counts[3] = { 0, 0, 0 };
  const guint8 *data = g_variant_get_fixed_array (l, &n, kind->size);
  g_autofree guint8 *lt = g_malloc (MAX (n, 1) * kind->size);
  g_autofree guint8 *eq = g_malloc (MAX (n, 1) * kind->size);
  g_autofree guint8 *gt = g_malloc (MAX (n, 1) * kind->size);
  guint8 *parts[3] = { lt, eq, gt };
  guint8 pivot[8];

  memcpy (pivot, median_of_three (data, n, kind), kind->size);
  for (gsize i = 0; i < n; i++)
    {
      const guint8 *x = data + i * kind->size;
      int c = kind->compare (x, pivot);
      guint part = c < 0 ? 0 : c == 0 ? 1 : 2;

      memcpy (parts[part] + counts[part] * kind->size, x, kind->size);
      counts[part]++;
    }
  *out_lt = g_variant_ref_sink (array_new (kind, parts[0], counts[0]));
  *out_eq = g_variant_ref_sink (array_new (kind, parts[1], counts[1]));
  *out_gt = g_variant_ref_sink (array_new (kind, parts[2], counts[2]));
}

/**
 * ndp_serial_qsort:
 * @l: an array of numbers
 * @error: return location for a #GError
 *
 * The seeds' `ndp-serial-qsort`: @l sorted here, with qsort().
 *
 * Returns: (transfer full): the sorted array, or %NULL with @error set
 */
GVariant *
ndp_serial_qsort (GVariant  *l,
                  GError   **error)
{
  const Kind *kind = kind_of (l, error);
  g_autofree guint8 *copy = NULL;
  gconstpointer data;
  gsize n;

  if (kind == NULL)
    return NULL;
  data = g_variant_get_fixed_array (l, &n, kind->size);
  copy = g_memdup2 (data, n * kind->size);
  /* An empty array has no data: qsort() and memcpy() want a pointer even
   * for nothing. */
  if (n > 1)
    qsort (copy, n, kind->size, kind->compare);
  return g_variant_ref_sink (array_new (kind, copy, n));
}

/* (append lt-part eq gt-part) */
static GVariant *
append (const Kind *kind,
        GVariant   *lt,
        GVariant   *eq,
        GVariant   *gt)
{
  GVariant *parts[] = { lt, eq, gt };
  gsize total = 0, at = 0;
  g_autofree guint8 *all = NULL;

  for (guint i = 0; i < 3; i++)
    total += g_variant_n_children (parts[i]);
  all = g_malloc (MAX (total, 1) * kind->size);
  for (guint i = 0; i < 3; i++)
    {
      gsize n;
      gconstpointer data = g_variant_get_fixed_array (parts[i], &n, kind->size);

      if (n > 0)
        memcpy (all + at * kind->size, data, n * kind->size);
      at += n;
    }
  return g_variant_ref_sink (array_new (kind, all, total));
}

/**
 * ndp_parallel_qsort:
 * @group: the NDP group, as this worker sees it
 * @l: the list to sort: an array of numbers (`ax`, `at`, `ai`, `au`,
 *   `an`, `aq`, `ay`, `ad`)
 * @error: return location for a #GError
 *
 * The dissertation's `ndp-parallel-qsort`.
 *
 * Returns: (transfer full): @l sorted, or %NULL with @error set
 */
GVariant *
ndp_parallel_qsort (DpNdpGroup  *group,
                    GVariant    *l,
                    GError     **error)
{
  const Kind *kind = kind_of (l, error);
  g_autoptr(GVariant) lt = NULL;
  g_autoptr(GVariant) eq = NULL;
  g_autoptr(GVariant) gt = NULL;
  g_autoptr(GVariant) lt_part = NULL;
  g_autoptr(GVariant) gt_part = NULL;
  GError *local_error = NULL;
  guint node;

  if (kind == NULL)
    return NULL;
  if (g_variant_n_children (l) < 2)
    return g_variant_ref (l);

  partit (l, kind, &lt, &eq, &gt);

  /* Spawn off the gt partition. */
  node = dp_ndp_get_node (group, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (node != DP_NDP_NO_NODE)
    {
      if (!dp_ndp_send_work (group, node, NDP_PARALLEL_QSORT, gt, error))
        {
          dp_ndp_return_node (group, node, NULL);
          return NULL;
        }
    }
  else if ((gt_part = ndp_serial_qsort (gt, error)) == NULL)
    return NULL;

  /* Compute the lt partition here. */
  lt_part = ndp_parallel_qsort (group, lt, error);

  /* Retrieve the remote result. */
  if (node != DP_NDP_NO_NODE)
    {
      gt_part = dp_ndp_get_result (group, node, lt_part != NULL ? error : NULL);
      dp_ndp_return_node (group, node, NULL);
    }
  if (lt_part == NULL || gt_part == NULL)
    return NULL;
  if (!g_variant_is_of_type (gt_part, G_VARIANT_TYPE (kind->type)))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE, "ndp-qsort: a part came back as %s, not %s",
                   g_variant_get_type_string (gt_part), kind->type);
      return NULL;
    }

  return append (kind, lt_part, eq, gt_part);
}

/* In place, on a shared vector. */

#define SWAP(a, b) G_STMT_START { gint64 t_ = (a); (a) = (b); (b) = t_; } G_STMT_END

/* A pivot near the median: for large ranges, the median of √n evenly
 * spaced elements (at least 127, at most 4095), so the parts differ by
 * about 1/√n: for 10⁷ numbers, 1 % rather than the 4 % of 127. */
static gint64
choose_pivot (const gint64 *a,
              gsize         n)
{
  g_autofree gint64 *sample = NULL;
  gsize size;

  if (n < SAMPLE_FROM)
    return *(const gint64 *) median_of_three ((const guint8 *) a, n, &kinds[0]);
  size = CLAMP ((gsize) sqrt ((double) n) | 1, SAMPLE_MIN, SAMPLE_MAX);
  sample = g_new (gint64, size);
  for (gsize i = 0; i < size; i++)
    sample[i] = a[(n - 1) * i / (size - 1)];
  qsort (sample, size, sizeof (gint64), ndp_compare_int64);
  return sample[size / 2];
}

/* The seeds' partit, in place (Dijkstra's three-way partition): @a
 * becomes [< pivot | = pivot | > pivot]; returns where the second and
 * third parts start. */
static void
partit_in_place (gint64 *a,
                 gsize   n,
                 gsize  *out_eq,
                 gsize  *out_gt)
{
  gint64 pivot = choose_pivot (a, n);
  gsize lt = 0, i = 0, gt = n;

  while (i < gt)
    {
      int c = ndp_compare_int64 (&a[i], &pivot);

      if (c < 0)
        {
          SWAP (a[lt], a[i]);
          lt++;
          i++;
        }
      else if (c > 0)
        {
          gt--;
          SWAP (a[i], a[gt]);
        }
      else
        i++;
    }
  *out_eq = lt;
  *out_gt = gt;
}

/* Sorts [@offset, @offset + @length) of @vector; adds the parts it
 * handed to other workers, and theirs, to @handoffs.
 *
 * The dissertation's order, with one change: a worker is asked for
 * before the range is partitioned, and a range no worker is free for is
 * sorted by one qsort() call. So one worker does exactly what serial
 * qsort() does, and the partitions are only those that feed another
 * worker: what N workers gain over qsort() comes from the parallelism. */
static gboolean
sort_range (DpNdpGroup      *group,
            DpSharedVector  *vector,
            gsize            offset,
            gsize            length,
            guint32         *handoffs,
            GError         **error)
{
  gint64 *a;
  GError *local_error = NULL;
  gsize eq, gt;
  gboolean ok;
  guint node;

  /* Sorted already; an empty vector has no memory to point into. */
  if (length < 2)
    return TRUE;
  a = dp_shared_vector_get_fixnums (vector) + offset;
  if (length < VECTOR_CUTOFF)
    {
      qsort (a, length, sizeof (gint64), ndp_compare_int64);
      return TRUE;
    }

  node = dp_ndp_get_node (group, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (node == DP_NDP_NO_NODE)
    {
      /* ndp-serial-qsort, on the whole range. */
      qsort (a, length, sizeof (gint64), ndp_compare_int64);
      return TRUE;
    }

  partit_in_place (a, length, &eq, &gt);

  /* Spawn off the gt partition. */
  if (!dp_ndp_send_work (group, node, NDP_PARALLEL_QSORT_VECTOR,
                         g_variant_new ("(@htt)", dp_shared_vector_to_variant (vector),
                                        (guint64) (offset + gt), (guint64) (length - gt)),
                         error))
    {
      dp_ndp_return_node (group, node, NULL);
      return FALSE;
    }

  /* Compute the lt partition here. */
  ok = sort_range (group, vector, offset, eq, handoffs, error);

  /* Retrieve the remote result. */
  {
    g_autoptr(GVariant) theirs = dp_ndp_get_result (group, node, ok ? error : NULL);

    dp_ndp_return_node (group, node, NULL);
    if (theirs == NULL || !g_variant_is_of_type (theirs, G_VARIANT_TYPE_UINT32))
      {
        if (ok && theirs != NULL)
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE, "ndp-qsort: a part's result is %s",
                       g_variant_get_type_string (theirs));
        return FALSE;
      }
    *handoffs += 1 + g_variant_get_uint32 (theirs);
  }
  return ok;
}

/**
 * ndp_parallel_qsort_vector:
 * @group: the NDP group, as this worker sees it
 * @data: `(vector, offset, length)`, type `(htt)`: a range of a
 *   [class@Dp.SharedVector] of 64-bit integers (a fxvector)
 * @error: return location for a #GError
 *
 * `ndp-parallel-qsort` in place: sorts the range where it lies, handing
 * gt parts to free workers as ranges of the same vector.
 *
 * Returns: (transfer full): how many parts went to other workers, in all
 *   (type `u`), or %NULL with @error set
 */
GVariant *
ndp_parallel_qsort_vector (DpNdpGroup  *group,
                           GVariant    *data,
                           GError     **error)
{
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(DpSharedVector) vector = NULL;
  guint64 offset, length;
  guint32 handoffs = 0;

  if (!g_variant_is_of_type (data, G_VARIANT_TYPE ("(htt)")))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "ndp-qsort: expected (vector, offset, length), type (htt), not %s",
                   g_variant_get_type_string (data));
      return NULL;
    }
  g_variant_get (data, "(@htt)", &handle, &offset, &length);
  vector = dp_shared_vector_from_variant (handle, error);
  if (vector == NULL)
    return NULL;
  if (dp_shared_vector_get_kind (vector) != DP_SHARED_VECTOR_FIXNUMS ||
      offset > dp_shared_vector_get_length (vector) ||
      length > dp_shared_vector_get_length (vector) - offset)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "ndp-qsort: [%" G_GUINT64_FORMAT ", +%" G_GUINT64_FORMAT ") is not a range of a "
                   "fxvector of %" G_GSIZE_FORMAT, offset, length, dp_shared_vector_get_length (vector));
      return NULL;
    }

  if (!sort_range (group, vector, offset, length, &handoffs, error))
    return NULL;
  return g_variant_new_uint32 (handoffs);
}
