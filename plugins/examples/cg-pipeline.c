/* cg-pipeline.c: pipeline parallelism with CGpipeline (Sec. 3.4.2.2),
 * generalized from 5×5 to N×N
 *
 *   (define v (flvector 0.0 1.0 2.0 3.0 4.0
 *                       0.1 1.1 2.1 3.1 4.1
 *                       0.2 1.2 2.2 3.2 4.2
 *                       0.3 1.3 2.3 3.3 4.3
 *                       0.4 1.4 2.4 3.4 4.4))
 *
 *   (fork-join 5 cg ()
 *     (for ([i (in-range 5)])
 *       (CGpipeline cg prev-value 0.0
 *         (define idx (+ (* i 5) (CG-id cg)))
 *         (define (fl-sqr v) (fl* v v))
 *         (fl-sqr (fl+ (flvector-ref v idx)
 *                      prev-value)))))
 *
 * One place per column: a cell's new value is the square of its old value
 * plus the new value of the cell to its left. Place i computes column i
 * row after row; as soon as it has passed a row's value on to place i+1
 * it starts the next row, so the rows flow through the columns in
 * parallel. Each place returns its column; the controller assembles the
 * matrix. The values are repeated squares: beyond nine columns the last
 * ones overflow to inf, in Racket as here.
 *
 * As a keyfile place (data/examples/cg-pipeline.ini), cg_pipeline_main
 * takes {'size': <N>, 'backend': <'threads'|'processes'>} and replies
 * with the matrix.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "cg-pipeline.h"
#include "example-options.h"
#include "fork-join.h"

/* v: row r, column c holds c + r/10, as in the 5×5 figure. */
gdouble
cg_pipeline_input (guint n,
                   guint row,
                   guint column)
{
  return (gdouble) column + (gdouble) row / 10.0;
}

/* (fl-sqr (fl+ (flvector-ref v idx) prev-value)) */
gdouble
cg_pipeline_cell (gdouble value,
                  gdouble prev_value)
{
  gdouble sum = value + prev_value;

  return sum * sum;
}

typedef struct {
  guint n;
  guint row;
  guint column;
} PipelineCell;

static GVariant *
pipeline_body (GVariant *prev_value,
               gpointer  user_data)
{
  PipelineCell *cell = user_data;

  return g_variant_new_double (cg_pipeline_cell (cg_pipeline_input (cell->n, cell->row,
                                                                     cell->column),
                                                 g_variant_get_double (prev_value)));
}

/* The fork-join body: one column. Args: (N,). */
G_MODULE_EXPORT void
cg_pipeline_place (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) args = NULL;
  g_autoptr(CommGroup) cg = NULL;
  g_autofree gdouble *column = NULL;
  PipelineCell cell;
  guint n;

  cg = cg_receive (ch, &args, &error);
  if (cg == NULL)
    goto fail;
  if (!g_variant_is_of_type (args, G_VARIANT_TYPE ("(u)")))
    {
      g_set_error (&error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Expected (N,), got a “%s”", g_variant_get_type_string (args));
      goto fail;
    }
  g_variant_get (args, "(u)", &n);
  column = g_new (gdouble, n);

  cell.n = n;
  cell.column = cg_get_id (cg);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GVariant) result = NULL;

      cell.row = i;
      result = cg_pipeline (cg, g_variant_new_double (0.0), pipeline_body, &cell, &error);
      if (result == NULL)
        goto fail;
      column[i] = g_variant_get_double (result);
    }

  if (!cg_return (cg, g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE, column, n,
                                                 sizeof (gdouble)), &error))
    goto fail;
  return;

fail:
  g_printerr ("cg-pipeline place: %s\n", error->message);
  dp_place_exit (1);
}

/**
 * cg_pipeline_run:
 * @n: the matrix's size, and how many places
 * @backend: (nullable): the place backend
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the new matrix, @n × @n, row by row, or %NULL
 *   with @error set
 */
gdouble *
cg_pipeline_run (guint        n,
                 const char  *backend,
                 GError     **error)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autofree gdouble *matrix = NULL;

  if (n == 0 || n > 256)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "Matrix size %u is not in 1…256", n);
      return NULL;
    }

  /* (fork-join N cg () ...) */
  results = fork_join (n, CG_PIPELINE_MODULE, "cg_pipeline_place", g_variant_new ("(u)", n),
                       backend, error);
  if (results == NULL)
    return NULL;

  matrix = g_new (gdouble, (gsize) n * n);
  for (guint c = 0; c < n; c++)
    {
      GVariant *column = g_ptr_array_index (results, c);
      const gdouble *values;
      gsize n_values = 0;

      if (!g_variant_is_of_type (column, G_VARIANT_TYPE ("ad")) ||
          (values = g_variant_get_fixed_array (column, &n_values, sizeof (gdouble)),
           n_values != n))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "Place %u returned no column of %u numbers", c, n);
          return NULL;
        }
      for (guint r = 0; r < n; r++)
        matrix[r * n + c] = values[r];
    }

  return g_steal_pointer (&matrix);
}

/**
 * cg_pipeline_format:
 * @matrix: @n × @n numbers
 * @n: the matrix's size
 *
 * Returns: (transfer full): the matrix, a line per row, six significant
 *   digits per number
 */
char *
cg_pipeline_format (const gdouble *matrix,
                    guint          n)
{
  GString *text = g_string_new (NULL);

  for (guint r = 0; r < n; r++)
    {
      if (r > 0)
        g_string_append_c (text, '\n');
      for (guint c = 0; c < n; c++)
        {
          char number[G_ASCII_DTOSTR_BUF_SIZE];

          g_string_append_printf (text, "%s%12s", c > 0 ? " " : "",
                                  g_ascii_formatd (number, sizeof number, "%.6g",
                                                   matrix[r * n + c]));
        }
    }

  return g_string_free (text, FALSE);
}

static const char * const cg_pipeline_options[] = { "backend", "size", NULL };

/* The keyfile place: options in, the matrix out. */
G_MODULE_EXPORT void
cg_pipeline_main (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) options = NULL;
  g_autofree char *backend = NULL;
  g_autofree gdouble *matrix = NULL;
  g_autofree char *text = NULL;
  g_autofree char *reply = NULL;
  guint n;

  options = dp_channel_get (ch, &error);
  if (options == NULL)
    goto fail;
  if (!example_options_check (options, cg_pipeline_options, &error) ||
      !example_options_string (options, "backend", "threads", &backend, &error) ||
      !example_options_uint (options, "size", 5, &n, &error))
    goto fail;

  matrix = cg_pipeline_run (n, backend, &error);
  if (matrix == NULL)
    goto fail;

  text = cg_pipeline_format (matrix, n);
  reply = g_strdup_printf ("cg-pipeline: %ux%u through %u %s places, one per column:\n%s",
                           n, n, n, backend, text);
  if (!dp_channel_put (ch, g_variant_new_string (reply), &error))
    goto fail;
  return;

fail:
  g_free (reply);
  reply = g_strdup_printf ("cg-pipeline: error: %s", error->message);
  g_printerr ("%s\n", reply);
  dp_channel_put (ch, g_variant_new_take_string (g_steal_pointer (&reply)), NULL);
  dp_place_exit (1);
}
