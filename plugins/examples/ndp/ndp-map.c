/* ndp-map.c: a nested data parallel map over an array
 *
 *   (define (ndp-parallel-map f l ndp-group)
 *     (cond
 *       [(< (length l) 2) (map f l)]
 *       [else
 *         (define-values (left right) (split-at l (quotient (length l) 2)))
 *         (define node (ndp-get-node ndp-group))
 *         (define right-ref
 *           (if node
 *               (cons #t (ndp-send-work ndp-group node
 *                          (list (quote-module-path) 'ndp-parallel-map) (list f right)))
 *               (cons #f (map f right))))
 *         (define left-part (ndp-parallel-map f left ndp-group))
 *         (append left-part
 *                 (match right-ref
 *                   [(cons #t id) (begin0 (ndp-get-result ndp-group id)
 *                                         (ndp-return-node ndp-group id))]
 *                   [(cons #f part) part]))]))
 *
 * The quicksort's shape with the partition replaced by a split in half:
 * the right half goes to a free worker if there is one, which splits it
 * again; the left half is mapped here, recursively. Data: (FUNCTION,
 * ARRAY), type (sax), FUNCTION an NdpMapFunc's address; result: the
 * images, type ax, in order.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "ndp-map.h"

/* Below this many elements the map runs here at once: a worker's round
 * trip costs more. */
#define MAP_CUTOFF 256

gint64
square (gint64 x)
{
  return x * x;
}

/* How many steps of n → n/2 or 3n + 1 take x to 1 (0 for x < 2). */
gint64
collatz_steps (gint64 x)
{
  guint64 n = (guint64) x;
  gint64 steps = 0;

  while (x > 1 && n != 1)
    {
      n = n % 2 == 0 ? n / 2 : 3 * n + 1;
      steps++;
    }
  return steps;
}

/* The function named by @address, MODULE:SYMBOL. */
static NdpMapFunc
resolve_function (const char  *address,
                  GError     **error)
{
  NdpMapFunc function = (NdpMapFunc) dp_procedure_address_resolve (address, error);

  if (function == NULL)
    g_prefix_error (error, "ndp-map: ");
  return function;
}

static GVariant *
map_here (NdpMapFunc    f,
          const gint64 *values,
          gsize         n)
{
  g_autofree gint64 *images = g_new (gint64, MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    images[i] = f (values[i]);
  return g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, images, n, sizeof (gint64)));
}

static GVariant *
array_new (const gint64 *values,
           gsize         n)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, values, n, sizeof (gint64));
}

/**
 * ndp_parallel_map:
 * @group: the NDP group, as this worker sees it
 * @data: `(function, values)`, type `(sax)`: an #NdpMapFunc's address and
 *   the array to map
 * @error: return location for a #GError
 *
 * Maps the function over the values, handing halves to free workers.
 *
 * Returns: (transfer full): the images, type `ax` (never floating), or
 *   %NULL with @error set
 */
GVariant *
ndp_parallel_map (DpNdpGroup  *group,
                  GVariant    *data,
                  GError     **error)
{
  g_autoptr(GVariant) array = NULL;
  g_autoptr(GVariant) left_data = NULL;
  g_autoptr(GVariant) left_part = NULL;
  g_autoptr(GVariant) right_part = NULL;
  g_autofree gint64 *all = NULL;
  GError *local_error = NULL;
  const char *address;
  const gint64 *values, *left, *right;
  NdpMapFunc f;
  gsize n, half, n_left, n_right;
  guint node;

  if (!g_variant_is_of_type (data, G_VARIANT_TYPE ("(sax)")))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "ndp-map: expected (function, values), type (sax), not %s",
                   g_variant_get_type_string (data));
      return NULL;
    }
  g_variant_get (data, "(&s@ax)", &address, &array);
  f = resolve_function (address, error);
  if (f == NULL)
    return NULL;
  values = g_variant_get_fixed_array (array, &n, sizeof (gint64));
  if (n < MAP_CUTOFF)
    return map_here (f, values, n);

  half = n / 2;

  /* Spawn off the right half. */
  node = dp_ndp_get_node (group, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (node != DP_NDP_NO_NODE)
    {
      if (!dp_ndp_send_work (group, node, NDP_PARALLEL_MAP,
                             g_variant_new ("(s@ax)", address, array_new (values + half, n - half)), error))
        {
          dp_ndp_return_node (group, node, NULL);
          return NULL;
        }
    }
  else
    right_part = map_here (f, values + half, n - half);

  /* Map the left half here. */
  left_data = g_variant_ref_sink (g_variant_new ("(s@ax)", address, array_new (values, half)));
  left_part = ndp_parallel_map (group, left_data, error);

  if (node != DP_NDP_NO_NODE)
    {
      right_part = dp_ndp_get_result (group, node, left_part != NULL ? error : NULL);
      dp_ndp_return_node (group, node, NULL);
    }
  if (left_part == NULL || right_part == NULL)
    return NULL;
  if (!g_variant_is_of_type (right_part, G_VARIANT_TYPE ("ax")) ||
      g_variant_n_children (right_part) != n - half)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE, "ndp-map: a half came back as %s of %" G_GSIZE_FORMAT,
                   g_variant_get_type_string (right_part), g_variant_n_children (right_part));
      return NULL;
    }

  /* (append left-part right-part) */
  left = g_variant_get_fixed_array (left_part, &n_left, sizeof (gint64));
  right = g_variant_get_fixed_array (right_part, &n_right, sizeof (gint64));
  all = g_new (gint64, n_left + n_right);
  memcpy (all, left, n_left * sizeof (gint64));
  memcpy (all + n_left, right, n_right * sizeof (gint64));
  return g_variant_ref_sink (array_new (all, n_left + n_right));
}
