/* cg-pipeline.h: pipeline parallelism with CGpipeline (Sec. 3.4.2.2)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define CG_PIPELINE_MODULE "cg-pipeline"

G_MODULE_EXPORT void cg_pipeline_place (DpChannel *ch);
G_MODULE_EXPORT void cg_pipeline_main  (DpChannel *ch);

G_GNUC_INTERNAL
gdouble   cg_pipeline_input   (guint         n,
                               guint         row,
                               guint         column);
G_GNUC_INTERNAL
gdouble   cg_pipeline_cell    (gdouble       value,
                               gdouble       prev_value);
G_GNUC_INTERNAL
gdouble  *cg_pipeline_run     (guint         n,
                               const char   *backend,
                               GError      **error);
G_GNUC_INTERNAL
char     *cg_pipeline_format  (const gdouble *matrix,
                               guint         n);

G_END_DECLS
