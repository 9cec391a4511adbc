/* examples-serial.c: what the single-node examples compute, computed
 * serially, for the tests to hold their results against
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "cg-pipeline.h"
#include "examples-serial.h"
#include "fork-join-phases.h"
#include "mandelbrot.h"
#include "parallel-build.h"

/* Builds @jobs one by one: the value and object code each must have. */
void
serial_build (GPtrArray *jobs)
{
  for (guint k = 0; k < jobs->len; k++)
    {
      BuildJob *job = g_ptr_array_index (jobs, k);
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) object = calc_compile (job->source, &error);

      g_assert_no_error (error);
      g_assert_true (calc_run (object, &job->value, &error));
      g_assert_no_error (error);
      job->object_checksum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, object);
      job->times_built = 1;
    }
}

/* The three passes of fork-join-phases over an @n × @n @grid, one after
 * the other: returns the checksum. */
gint64
serial_phases (gint64 *grid,
               guint   n)
{
  g_autofree gint64 *a = g_new (gint64, (gsize) n * n);
  gint64 checksum = 0;

  phases_fill (a, n);
  for (gsize i = 0; i < n; i++)
    phase_x_row (a, grid, n, i);
  for (gsize j = 0; j < n; j++)
    phase_y_column (grid, a, n, j);
  for (gsize i = 0; i < n; i++)
    checksum += phase_z_row (a, grid, n, i);
  return checksum;
}

/* The @n × @n matrix of the CGpipeline, row by row. */
gdouble *
serial_pipeline (guint n)
{
  gdouble *matrix = g_new (gdouble, (gsize) n * n);

  for (guint r = 0; r < n; r++)
    {
      gdouble prev_value = 0.0;

      for (guint c = 0; c < n; c++)
        matrix[r * n + c] = prev_value = cg_pipeline_cell (cg_pipeline_input (n, r, c), prev_value);
    }
  return matrix;
}

/* The @n × @n Mandelbrot image, point by point. */
guint8 *
serial_mandelbrot (guint n)
{
  guint8 *image = g_malloc ((gsize) n * n);

  for (guint y = 0; y < n; y++)
    for (guint x = 0; x < n; x++)
      image[y * n + x] = mandelbrot_point (x, y, n);
  return image;
}
