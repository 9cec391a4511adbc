/* kmeans.h: k-means clustering with RMPI, the dissertation's example
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dp-rmpi.h>

G_BEGIN_DECLS

/**
 * KmeansParams:
 * @n_points: how many points the data set has
 * @dims: their dimensions
 * @k: how many clusters to find
 * @max_iterations: at most this many rounds
 * @seed: the data set's seed
 *
 * A k-means run: the job's arguments, `(uuuut)`.
 */
typedef struct {
  guint32 n_points;
  guint32 dims;
  guint32 k;
  guint32 max_iterations;
  guint64 seed;
} KmeansParams;

/**
 * KmeansResult:
 * @iterations: rounds run
 * @converged: no point changed cluster in the last round
 * @counts: points per cluster (k)
 * @centroids: the clusters' means (k × dims)
 */
typedef struct {
  guint iterations;
  gboolean converged;
  gint64 *counts;
  gdouble *centroids;
} KmeansResult;

gboolean  kmeans_params_from_variant (GVariant           *args,
                                      KmeansParams       *params,
                                      GError            **error);
GVariant *kmeans_params_to_variant   (const KmeansParams *params);
void      kmeans_point               (const KmeansParams *params,
                                      guint64             index,
                                      gint64             *coordinates);
void      kmeans_serial              (const KmeansParams *params,
                                      KmeansResult       *result);
char     *kmeans_result_format       (const KmeansParams *params,
                                      const KmeansResult *result,
                                      guint               ranks);
void      kmeans_result_clear        (KmeansResult       *result);

G_MODULE_EXPORT void kmeans_place    (DpChannel          *ch);

G_END_DECLS
