/* dp-rmpi-op-private.h: the reduction kernels, for the collectives
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dp-rmpi.h"

G_BEGIN_DECLS

gsize               dp_rmpi_element_size          (char                element);
char                dp_rmpi_numeric_array_element (const GVariantType *type);
gboolean            dp_rmpi_op_apply_raw          (DpRmpiOp           *op,
                                                   char                element,
                                                   gpointer            out,
                                                   gconstpointer       a,
                                                   gconstpointer       b,
                                                   gsize               n,
                                                   GError            **error);

gboolean            dp_rmpi_is_normal_form        (GVariant           *value);

const GVariantType *dp_rmpi_vector_variant_type   (DpSharedVector     *vector);
GVariant           *dp_rmpi_vector_to_array       (DpSharedVector     *vector);
gboolean            dp_rmpi_vector_check          (DpSharedVector     *vector,
                                                   GVariant           *array,
                                                   GError            **error);

G_END_DECLS
