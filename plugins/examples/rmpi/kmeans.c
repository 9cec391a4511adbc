/* kmeans.c: k-means clustering with RMPI, the dissertation's example
 * (§4.3.2, Racket Message Passing Interface)
 *
 *   (define (kmeans-place ch)
 *     (define-values (comm args tc) (rmpi-init ch))
 *     ;; kmeans rmpi computation ...
 *     (rmpi-finish comm tc))
 *
 * Every rank makes its share of a deterministic data set (rmpi-partition
 * of the points; point i is a function of the seed and i, so the shares
 * do not depend on the number of ranks), starts from the same centroids
 * (the first k points), and each round assigns its points to the nearest
 * centroid and sums them per cluster. One rmpi-allreduce of the sums, the
 * counts and the number of points that changed cluster — a single `ax`
 * array — gives every rank the new centroids. It stops when no point
 * changes cluster. Coordinates are integers and so are the sums: the
 * result is exactly the serial computation's (kmeans_serial()), whatever
 * the number of ranks.
 *
 * As an [rmpi] job (data/examples/kmeans.ini) or a program (kmeans-main.c)
 * the arguments are `(n_points, dims, k, max_iterations, seed)`, type
 * `(uuuut)`; rank 0 hands the launcher the result as text.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "kmeans.h"

#define KMEANS_ARGS_TYPE "(uuuut)"
#define SPREAD 10000      /* the blobs' centers lie in [0, SPREAD) per dimension */
#define RADIUS 800        /* points lie within RADIUS of their blob's center */

gboolean
kmeans_params_from_variant (GVariant      *args,
                            KmeansParams  *params,
                            GError       **error)
{
  if (!g_variant_is_of_type (args, G_VARIANT_TYPE (KMEANS_ARGS_TYPE)))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "k-means takes (n_points, dims, k, max_iterations, seed), type %s, not %s",
                   KMEANS_ARGS_TYPE, g_variant_get_type_string (args));
      return FALSE;
    }
  g_variant_get (args, KMEANS_ARGS_TYPE, &params->n_points, &params->dims, &params->k,
                 &params->max_iterations, &params->seed);
  if (params->dims == 0 || params->k == 0 || params->n_points < params->k)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "k-means needs dims ≥ 1 and at least k ≥ 1 points");
      return FALSE;
    }
  return TRUE;
}

GVariant *
kmeans_params_to_variant (const KmeansParams *params)
{
  return g_variant_new (KMEANS_ARGS_TYPE, params->n_points, params->dims, params->k,
                        params->max_iterations, params->seed);
}

static guint64
splitmix64 (guint64 x)
{
  x += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  x = (x ^ (x >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  x = (x ^ (x >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return x ^ (x >> 31);
}

static guint64
mix (guint64 seed,
     guint64 a,
     guint64 b)
{
  return splitmix64 (seed ^ splitmix64 (a * G_GUINT64_CONSTANT (0x100000001b3) + b));
}

/* Point @index of the data set: near the center of one of k blobs. */
void
kmeans_point (const KmeansParams *params,
              guint64             index,
              gint64             *coordinates)
{
  guint64 blob = mix (params->seed, index, G_MAXUINT32) % params->k;

  for (guint d = 0; d < params->dims; d++)
    {
      gint64 center = (gint64) (mix (params->seed, (G_GUINT64_CONSTANT (1) << 40) | blob, d) % SPREAD);

      coordinates[d] = center + (gint64) (mix (params->seed, index, d) % (2 * RADIUS + 1)) - RADIUS;
    }
}

/* The rounds, over this rank's share (all the points without @comm).
 * sums holds, per round, the coordinate sums (k × dims), the counts (k)
 * and the number of points that changed cluster: one array, one
 * allreduce. */
static gboolean
kmeans_run (const KmeansParams  *params,
            DpRmpiComm          *comm,
            KmeansResult        *result,
            GError             **error)
{
  guint dims = params->dims, k = params->k;
  gsize offset = 0, length = params->n_points;
  gsize n_sums = (gsize) k * dims + k + 1;
  g_autofree gint64 *points = NULL;
  g_autofree guint32 *assigned = NULL;
  g_autofree gint64 *sums = g_new (gint64, n_sums);
  gdouble *centroids = g_new (gdouble, (gsize) k * dims);
  gint64 *counts = g_new0 (gint64, k);
  gint64 *first = g_new (gint64, dims);

  if (comm != NULL)
    dp_rmpi_partition (comm, params->n_points, &offset, &length);
  points = g_new (gint64, MAX (length, 1) * dims);
  assigned = g_new (guint32, MAX (length, 1));
  for (gsize i = 0; i < length; i++)
    {
      kmeans_point (params, offset + i, points + i * dims);
      assigned[i] = G_MAXUINT32;
    }
  for (guint c = 0; c < k; c++)
    {
      kmeans_point (params, c, first);
      for (guint d = 0; d < dims; d++)
        centroids[c * dims + d] = (gdouble) first[d];
    }
  g_free (first);

  result->counts = counts;
  result->centroids = centroids;
  result->iterations = 0;
  result->converged = FALSE;

  while (result->iterations < params->max_iterations)
    {
      gint64 changed;

      memset (sums, 0, n_sums * sizeof (gint64));
      for (gsize i = 0; i < length; i++)
        {
          const gint64 *p = points + i * dims;
          guint32 best = 0;
          gdouble best_distance = G_MAXDOUBLE;

          for (guint c = 0; c < k; c++)
            {
              gdouble distance = 0;

              for (guint d = 0; d < dims; d++)
                {
                  gdouble delta = (gdouble) p[d] - centroids[c * dims + d];
                  distance += delta * delta;
                }
              if (distance < best_distance)
                {
                  best_distance = distance;
                  best = c;
                }
            }
          if (assigned[i] != best)
            sums[n_sums - 1]++;
          assigned[i] = best;
          for (guint d = 0; d < dims; d++)
            sums[best * dims + d] += p[d];
          sums[(gsize) k * dims + best]++;
        }

      if (comm != NULL)
        {
          g_autoptr(GVariant) total = NULL;

          total = dp_rmpi_allreduce (comm, DP_RMPI_SUM,
                                     g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, sums, n_sums,
                                                                sizeof (gint64)),
                                     error);
          if (total == NULL)
            return FALSE;
          memcpy (sums, g_variant_get_data (total), n_sums * sizeof (gint64));
        }

      result->iterations++;
      changed = sums[n_sums - 1];
      for (guint c = 0; c < k; c++)
        {
          counts[c] = sums[(gsize) k * dims + c];
          if (counts[c] > 0)
            for (guint d = 0; d < dims; d++)
              centroids[c * dims + d] = (gdouble) sums[c * dims + d] / (gdouble) counts[c];
        }
      if (changed == 0)
        {
          result->converged = TRUE;
          break;
        }
    }
  return TRUE;
}

void
kmeans_serial (const KmeansParams *params,
               KmeansResult       *result)
{
  kmeans_run (params, NULL, result, NULL);
}

void
kmeans_result_clear (KmeansResult *result)
{
  g_clear_pointer (&result->counts, g_free);
  g_clear_pointer (&result->centroids, g_free);
}

char *
kmeans_result_format (const KmeansParams *params,
                      const KmeansResult *result,
                      guint               ranks)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "k-means of %u points in %u dimensions into %u clusters, %u rank%s: ",
                          params->n_points, params->dims, params->k, ranks, ranks == 1 ? "" : "s");
  if (result->converged)
    g_string_append_printf (text, "converged after %u rounds\n", result->iterations);
  else
    g_string_append_printf (text, "not converged after %u rounds\n", result->iterations);
  for (guint c = 0; c < params->k; c++)
    {
      g_string_append_printf (text, "  cluster %u: %6" G_GINT64_FORMAT " points around (", c,
                              result->counts[c]);
      for (guint d = 0; d < params->dims; d++)
        g_string_append_printf (text, "%s%.3f", d > 0 ? ", " : "",
                                result->centroids[c * params->dims + d]);
      g_string_append (text, ")\n");
    }
  return g_string_free (text, FALSE);
}

/* The rank: (define-values (comm args tc) (rmpi-init ch)) … (rmpi-finish comm tc). */
void
kmeans_place (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRmpiComm) comm = NULL;
  g_autoptr(GVariant) args = NULL;
  g_autoptr(DpTypedChannel) tc = NULL;
  KmeansParams params;
  KmeansResult result = { 0 };
  gboolean ok;

  ok = dp_rmpi_init (ch, &comm, &args, &tc, &error) &&
       kmeans_params_from_variant (args, &params, &error) &&
       kmeans_run (&params, comm, &result, &error);
  if (ok && dp_rmpi_id (comm) == 0)
    {
      g_autofree char *text = kmeans_result_format (&params, &result, dp_rmpi_cnt (comm));

      ok = dp_rmpi_finish_with_result (comm, tc, g_variant_new_take_string (g_steal_pointer (&text)),
                                       &error);
    }
  else if (ok)
    ok = dp_rmpi_finish (comm, tc, &error);
  kmeans_result_clear (&result);

  if (!ok)
    {
      g_autofree char *message = g_strdup_printf ("kmeans: %s", error->message);

      dp_log_message (DP_LOG_ERROR, message);
      dp_place_exit (1);
    }
}
