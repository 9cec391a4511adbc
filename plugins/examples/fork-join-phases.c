/* fork-join-phases.c: fork-join with CGfor and CGBarrier (Sec. 3.4.2.1)
 *
 *   (define (main n)
 *     (fork-join (processor-count) cg ([N n])
 *       (CGfor cg ([i (in-range N)])
 *         (compute-FFT-x i))
 *       (CGBarrier cg)
 *       (CGfor cg ([i (in-range N)])
 *         (compute-FFT-y i))
 *       (CGBarrier cg)
 *       (CGfor cg ([i (in-range N)])
 *         (compute-FFT-z i))))
 *
 * The three FFT passes become three deterministic passes over an N×N grid
 * of integers in two shared fxvectors a and b, each pass a running
 * polynomial hash modulo a prime:
 *
 *   x: each row of a, left to right, into the same row of b
 *   y: each column of b, top to bottom, into the same column of a
 *   z: each row of a, right to left, into b; the place sums what it wrote
 *
 * Pass y reads rows other places wrote in pass x, and pass z reads columns
 * other places wrote in pass y: without the barriers the result would
 * change from run to run. The checksum is the sum of the places' sums.
 *
 * As a keyfile place (data/examples/fork-join-phases.ini),
 * fork_join_phases_main takes {'size': <N>, 'places': <NP>,
 * 'backend': <'threads'|'processes'>} and replies with the checksum.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "example-options.h"
#include "fork-join.h"
#include "fork-join-phases.h"

/**
 * phases_fill:
 * @grid: @n × @n numbers
 * @n: the grid's size
 *
 * The input: a[i][j] = (7919 i + 104729 j + 12345) mod PHASES_MODULUS.
 */
void
phases_fill (gint64 *grid,
             guint   n)
{
  for (gsize i = 0; i < n; i++)
    for (gsize j = 0; j < n; j++)
      grid[i * n + j] = (gint64) (7919 * i + 104729 * j + 12345) % PHASES_MODULUS;
}

/* Pass x: one row, left to right. */
void
phase_x_row (const gint64 *from,
             gint64       *to,
             guint         n,
             gsize         row)
{
  gint64 hash = 0;

  for (gsize j = 0; j < n; j++)
    {
      hash = (hash * 31 + from[row * n + j]) % PHASES_MODULUS;
      to[row * n + j] = hash;
    }
}

/* Pass y: one column, top to bottom. */
void
phase_y_column (const gint64 *from,
                gint64       *to,
                guint         n,
                gsize         column)
{
  gint64 hash = 0;

  for (gsize i = 0; i < n; i++)
    {
      hash = (hash * 37 + from[i * n + column]) % PHASES_MODULUS;
      to[i * n + column] = hash;
    }
}

/* Pass z: one row, right to left; returns the sum of what it wrote. */
gint64
phase_z_row (const gint64 *from,
             gint64       *to,
             guint         n,
             gsize         row)
{
  gint64 hash = 0, sum = 0;

  for (gsize j = n; j-- > 0;)
    {
      hash = (hash * 41 + from[row * n + j]) % PHASES_MODULUS;
      to[row * n + j] = hash;
      sum += hash;
    }
  return sum;
}

static DpSharedVector *
grid_from_variant (GVariant  *handle,
                   guint      n,
                   GError   **error)
{
  g_autoptr(DpSharedVector) grid = dp_shared_vector_from_variant (handle, error);

  if (grid == NULL)
    return NULL;
  if (dp_shared_vector_get_kind (grid) != DP_SHARED_VECTOR_FIXNUMS ||
      dp_shared_vector_get_length (grid) != (gsize) n * n)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Expected a shared fxvector of %u×%u", n, n);
      return NULL;
    }
  return g_steal_pointer (&grid);
}

/* The fork-join body. Args: (N, a, b). */
G_MODULE_EXPORT void
fork_join_phases_place (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) args = NULL;
  g_autoptr(GVariant) a_handle = NULL;
  g_autoptr(GVariant) b_handle = NULL;
  g_autoptr(CommGroup) cg = NULL;
  g_autoptr(DpSharedVector) a_vector = NULL;
  g_autoptr(DpSharedVector) b_vector = NULL;
  gint64 *a, *b;
  gint64 sum = 0;
  guint n;

  cg = cg_receive (ch, &args, &error);
  if (cg == NULL)
    goto fail;
  if (!g_variant_is_of_type (args, G_VARIANT_TYPE ("(uhh)")))
    {
      g_set_error (&error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Expected (N, a, b), got a “%s”", g_variant_get_type_string (args));
      goto fail;
    }
  g_variant_get (args, "(u@h@h)", &n, &a_handle, &b_handle);
  if ((a_vector = grid_from_variant (a_handle, n, &error)) == NULL ||
      (b_vector = grid_from_variant (b_handle, n, &error)) == NULL)
    goto fail;
  a = dp_shared_vector_get_fixnums (a_vector);
  b = dp_shared_vector_get_fixnums (b_vector);

  CG_FOR (cg, i, n)
    phase_x_row (a, b, n, i);
  if (!cg_barrier (cg, &error))
    goto fail;
  CG_FOR (cg, j, n)
    phase_y_column (b, a, n, j);
  if (!cg_barrier (cg, &error))
    goto fail;
  CG_FOR (cg, i, n)
    sum += phase_z_row (a, b, n, i);

  if (!cg_return (cg, g_variant_new_int64 (sum), &error))
    goto fail;
  return;

fail:
  g_printerr ("fork-join-phases place: %s\n", error->message);
  dp_place_exit (1);
}

/**
 * fork_join_phases_run:
 * @np: how many places; 0 for one per processor
 * @n: the grid's size
 * @backend: (nullable): the place backend
 * @out_checksum: (out): the sum of the last pass's numbers
 * @out_grid: (out) (optional) (transfer full): the last pass's grid
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the places computed the passes
 */
gboolean
fork_join_phases_run (guint             np,
                      guint             n,
                      const char       *backend,
                      gint64           *out_checksum,
                      DpSharedVector  **out_grid,
                      GError          **error)
{
  g_autoptr(DpSharedVector) a = NULL;
  g_autoptr(DpSharedVector) b = NULL;
  g_autoptr(GPtrArray) results = NULL;
  gint64 checksum = 0;

  if (n == 0 || n > 1 << 14)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "Grid size %u is not in 1…16384", n);
      return FALSE;
    }
  if (np == 0)
    np = dp_processor_count ();

  if ((a = dp_make_shared_fxvector ((gsize) n * n, 0, error)) == NULL ||
      (b = dp_make_shared_fxvector ((gsize) n * n, 0, error)) == NULL)
    return FALSE;
  phases_fill (dp_shared_vector_get_fixnums (a), n);

  results = fork_join (np, FORK_JOIN_PHASES_MODULE, "fork_join_phases_place",
                       g_variant_new ("(u@h@h)", n, dp_shared_vector_to_variant (a),
                                      dp_shared_vector_to_variant (b)),
                       backend, error);
  if (results == NULL)
    return FALSE;

  for (guint i = 0; i < results->len; i++)
    checksum += g_variant_get_int64 (g_ptr_array_index (results, i));

  *out_checksum = checksum;
  if (out_grid != NULL)
    *out_grid = g_steal_pointer (&b);
  return TRUE;
}

static const char * const fork_join_phases_options[] = { "backend", "places", "size", NULL };

/* The keyfile place: options in, one line out. */
G_MODULE_EXPORT void
fork_join_phases_main (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) options = NULL;
  g_autofree char *backend = NULL;
  g_autofree char *reply = NULL;
  gint64 checksum;
  guint np, n;

  options = dp_channel_get (ch, &error);
  if (options == NULL)
    goto fail;
  if (!example_options_check (options, fork_join_phases_options, &error) ||
      !example_options_string (options, "backend", "threads", &backend, &error) ||
      !example_options_uint (options, "places", 0, &np, &error) ||
      !example_options_uint (options, "size", 256, &n, &error))
    goto fail;
  if (np == 0)
    np = dp_processor_count ();

  if (!fork_join_phases_run (np, n, backend, &checksum, NULL, &error))
    goto fail;

  reply = g_strdup_printf ("fork-join-phases: 3 passes over a %ux%u grid with %u %s places, "
                           "checksum %" G_GINT64_FORMAT, n, n, np, backend, checksum);
  if (!dp_channel_put (ch, g_variant_new_string (reply), &error))
    goto fail;
  return;

fail:
  g_free (reply);
  reply = g_strdup_printf ("fork-join-phases: error: %s", error->message);
  g_printerr ("%s\n", reply);
  dp_channel_put (ch, g_variant_new_take_string (g_steal_pointer (&reply)), NULL);
  dp_place_exit (1);
}
