/* dp-shared-vector.h: mutable vectors of bytes, integers or doubles that
 * places share instead of copying
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * DpSharedVectorKind:
 * @DP_SHARED_VECTOR_BYTES: bytes (`make-shared-bytes`)
 * @DP_SHARED_VECTOR_FIXNUMS: 64-bit integers (`make-shared-fxvector`)
 * @DP_SHARED_VECTOR_FLONUMS: doubles (`make-shared-flvector`)
 *
 * What a [class@Dp.SharedVector] holds.
 */
typedef enum {
  DP_SHARED_VECTOR_BYTES,
  DP_SHARED_VECTOR_FIXNUMS,
  DP_SHARED_VECTOR_FLONUMS,
} DpSharedVectorKind;

#define DP_TYPE_SHARED_VECTOR (dp_shared_vector_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpSharedVector, dp_shared_vector, DP, SHARED_VECTOR, GObject)

DP_AVAILABLE_IN_ALL
DpSharedVector     *dp_shared_vector_new         (DpSharedVectorKind kind,
                                                  gsize              length,
                                                  GError           **error);
DP_AVAILABLE_IN_ALL
DpSharedVector     *dp_make_shared_bytes         (gsize              length,
                                                  guint8             fill,
                                                  GError           **error);
DP_AVAILABLE_IN_ALL
DpSharedVector     *dp_make_shared_fxvector      (gsize              length,
                                                  gint64             fill,
                                                  GError           **error);
DP_AVAILABLE_IN_ALL
DpSharedVector     *dp_make_shared_flvector      (gsize              length,
                                                  gdouble            fill,
                                                  GError           **error);

DP_AVAILABLE_IN_ALL
DpSharedVectorKind  dp_shared_vector_get_kind    (DpSharedVector    *self);
DP_AVAILABLE_IN_ALL
gsize               dp_shared_vector_get_length  (DpSharedVector    *self);
DP_AVAILABLE_IN_ALL
gsize               dp_shared_vector_get_size    (DpSharedVector    *self);
DP_AVAILABLE_IN_ALL
gpointer            dp_shared_vector_get_data    (DpSharedVector    *self);
DP_AVAILABLE_IN_ALL
guint8             *dp_shared_vector_get_bytes   (DpSharedVector    *self);
DP_AVAILABLE_IN_ALL
gint64             *dp_shared_vector_get_fixnums (DpSharedVector    *self);
DP_AVAILABLE_IN_ALL
gdouble            *dp_shared_vector_get_flonums (DpSharedVector    *self);

DP_AVAILABLE_IN_ALL
GVariant           *dp_shared_vector_to_variant  (DpSharedVector    *self);
DP_AVAILABLE_IN_ALL
DpSharedVector     *dp_shared_vector_from_variant (GVariant         *value,
                                                   GError          **error);

/* For transports. */
DP_AVAILABLE_IN_ALL
int                 dp_shared_vector_get_fd      (DpSharedVector    *self);
DP_AVAILABLE_IN_ALL
DpSharedVector     *dp_shared_vector_new_from_fd (int                fd,
                                                  DpSharedVectorKind kind,
                                                  gsize              length,
                                                  GError           **error);

G_END_DECLS
