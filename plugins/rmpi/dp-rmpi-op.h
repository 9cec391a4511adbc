/* dp-rmpi-op.h: reduction operations for rmpi-reduce and rmpi-allreduce
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DP_RMPI_INSIDE) && !defined(DP_RMPI_COMPILATION)
#error "Only <dplaces/dp-rmpi.h> can be included directly."
#endif

#include <dplaces/dplaces.h>

#include "dp-rmpi-macros.h"

G_BEGIN_DECLS

/**
 * DpRmpiOpKind:
 * @DP_RMPI_OP_SUM: `+`
 * @DP_RMPI_OP_PROD: `*`
 * @DP_RMPI_OP_MIN: `min` (on booleans: and)
 * @DP_RMPI_OP_MAX: `max` (on booleans: or)
 * @DP_RMPI_OP_LAND: logical and: the result is 1 (true) when both are non-zero
 * @DP_RMPI_OP_LOR: logical or
 * @DP_RMPI_OP_LXOR: logical exclusive or
 * @DP_RMPI_OP_BAND: bitwise and (integers and booleans)
 * @DP_RMPI_OP_BOR: bitwise or
 * @DP_RMPI_OP_BXOR: bitwise exclusive or
 * @DP_RMPI_OP_USER: a function of the program or of a module
 *
 * What a [struct@Dp.RmpiOp] computes. The built-in operations work on
 * numbers (GVariant types `y n q i u x t d`, and `b` for the logical and
 * bitwise ones), element-wise on arrays of them (`ad`, `ax`, …, moved and
 * reduced as whole arrays), and element by element on tuples, `av` and
 * other arrays of such values, as the seeds' `fancy-reducer` does on
 * vectors, fxvectors and flvectors. Integers wrap around as C's unsigned
 * arithmetic does.
 */
typedef enum {
  DP_RMPI_OP_SUM,
  DP_RMPI_OP_PROD,
  DP_RMPI_OP_MIN,
  DP_RMPI_OP_MAX,
  DP_RMPI_OP_LAND,
  DP_RMPI_OP_LOR,
  DP_RMPI_OP_LXOR,
  DP_RMPI_OP_BAND,
  DP_RMPI_OP_BOR,
  DP_RMPI_OP_BXOR,
  DP_RMPI_OP_USER,
} DpRmpiOpKind;

/**
 * DpRmpiReduceFunc:
 * @a: the value of the lower ranks
 * @b: the value of the higher ranks
 * @user_data: the data given with the function
 * @error: return location for a #GError
 *
 * A user reduction, the `op` procedure of `rmpi-reduce`. It must be
 * associative and commutative, as `+` is: [func@Dp.rmpi_allreduce] applies
 * it in rank order (so every rank gets the same bits), [func@Dp.rmpi_reduce]
 * in the order of its tree. A module exports it under any name, for
 * [func@Dp.RmpiOp.new_from_module].
 *
 * Returns: (transfer full): the combination of @a and @b, or %NULL with
 *   @error set
 */
typedef GVariant * (*DpRmpiReduceFunc) (GVariant  *a,
                                        GVariant  *b,
                                        gpointer   user_data,
                                        GError   **error);

typedef struct _DpRmpiOp DpRmpiOp;

#define DP_TYPE_RMPI_OP (dp_rmpi_op_get_type ())
DP_RMPI_AVAILABLE_IN_ALL
GType       dp_rmpi_op_get_type          (void) G_GNUC_CONST;

DP_RMPI_AVAILABLE_IN_ALL
DpRmpiOp   *dp_rmpi_op_builtin           (DpRmpiOpKind      kind);
DP_RMPI_AVAILABLE_IN_ALL
DpRmpiOp   *dp_rmpi_op_new_func          (const char       *name,
                                          DpRmpiReduceFunc  func,
                                          gpointer          user_data,
                                          GDestroyNotify    destroy);
DP_RMPI_AVAILABLE_IN_ALL
DpRmpiOp   *dp_rmpi_op_new_from_module   (const char       *module,
                                          const char       *symbol,
                                          GError          **error);
DP_RMPI_AVAILABLE_IN_ALL
DpRmpiOp   *dp_rmpi_op_lookup            (const char       *name,
                                          GError          **error);
DP_RMPI_AVAILABLE_IN_ALL
DpRmpiOp   *dp_rmpi_op_ref               (DpRmpiOp         *op);
DP_RMPI_AVAILABLE_IN_ALL
void        dp_rmpi_op_unref             (DpRmpiOp         *op);
DP_RMPI_AVAILABLE_IN_ALL
DpRmpiOpKind dp_rmpi_op_get_kind         (DpRmpiOp         *op);
DP_RMPI_AVAILABLE_IN_ALL
const char *dp_rmpi_op_get_name          (DpRmpiOp         *op);

DP_RMPI_AVAILABLE_IN_ALL
GVariant   *dp_rmpi_op_apply             (DpRmpiOp         *op,
                                          GVariant         *a,
                                          GVariant         *b,
                                          GError          **error);
DP_RMPI_AVAILABLE_IN_ALL
gboolean    dp_rmpi_op_apply_vector      (DpRmpiOp         *op,
                                          DpSharedVector   *inout,
                                          GVariant         *other,
                                          gboolean          other_first,
                                          GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpRmpiOp, dp_rmpi_op_unref)

/**
 * DP_RMPI_SUM:
 *
 * The built-in `+` (the seeds' `(rmpi-allreduce comm + v)`).
 */
#define DP_RMPI_SUM (dp_rmpi_op_builtin (DP_RMPI_OP_SUM))
/**
 * DP_RMPI_PROD:
 *
 * The built-in `*`.
 */
#define DP_RMPI_PROD (dp_rmpi_op_builtin (DP_RMPI_OP_PROD))
/**
 * DP_RMPI_MIN:
 *
 * The built-in `min`.
 */
#define DP_RMPI_MIN (dp_rmpi_op_builtin (DP_RMPI_OP_MIN))
/**
 * DP_RMPI_MAX:
 *
 * The built-in `max`.
 */
#define DP_RMPI_MAX (dp_rmpi_op_builtin (DP_RMPI_OP_MAX))
/**
 * DP_RMPI_LAND:
 *
 * The built-in logical and.
 */
#define DP_RMPI_LAND (dp_rmpi_op_builtin (DP_RMPI_OP_LAND))
/**
 * DP_RMPI_LOR:
 *
 * The built-in logical or.
 */
#define DP_RMPI_LOR (dp_rmpi_op_builtin (DP_RMPI_OP_LOR))
/**
 * DP_RMPI_BAND:
 *
 * The built-in bitwise and.
 */
#define DP_RMPI_BAND (dp_rmpi_op_builtin (DP_RMPI_OP_BAND))
/**
 * DP_RMPI_BOR:
 *
 * The built-in bitwise or.
 */
#define DP_RMPI_BOR (dp_rmpi_op_builtin (DP_RMPI_OP_BOR))

G_END_DECLS
