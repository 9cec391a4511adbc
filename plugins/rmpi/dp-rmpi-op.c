/* dp-rmpi-op.c: reduction operations for rmpi-reduce and rmpi-allreduce
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-rmpi"

#include "config.h"

#include <string.h>

#include "dp-rmpi.h"
#include "dp-rmpi-op-private.h"

/**
 * DpRmpiOp:
 *
 * The `op` of `rmpi-reduce` and `rmpi-allreduce`: a built-in operation
 * ([enum@Dp.RmpiOpKind]) or a user function ([callback@Dp.RmpiReduceFunc]),
 * from the program or exported by a module. Refcounted; the built-ins are
 * static ([func@Dp.RmpiOp.builtin], [const@Dp.RMPI_SUM] …).
 */
struct _DpRmpiOp
{
  gint ref_count;      /* 0 for the static built-ins */
  DpRmpiOpKind kind;
  char *name;
  DpRmpiReduceFunc func;
  gpointer user_data;
  GDestroyNotify destroy;
};

G_DEFINE_BOXED_TYPE (DpRmpiOp, dp_rmpi_op, dp_rmpi_op_ref, dp_rmpi_op_unref)

static const char * const builtin_names[] = {
  [DP_RMPI_OP_SUM] = "sum",
  [DP_RMPI_OP_PROD] = "prod",
  [DP_RMPI_OP_MIN] = "min",
  [DP_RMPI_OP_MAX] = "max",
  [DP_RMPI_OP_LAND] = "land",
  [DP_RMPI_OP_LOR] = "lor",
  [DP_RMPI_OP_LXOR] = "lxor",
  [DP_RMPI_OP_BAND] = "band",
  [DP_RMPI_OP_BOR] = "bor",
  [DP_RMPI_OP_BXOR] = "bxor",
};

static const char *
kind_name (DpRmpiOpKind kind)
{
  return kind < G_N_ELEMENTS (builtin_names) ? builtin_names[kind] : "a user operation";
}

static DpRmpiOp builtins[] = {
  { 0, DP_RMPI_OP_SUM, (char *) "sum", NULL, NULL, NULL },
  { 0, DP_RMPI_OP_PROD, (char *) "prod", NULL, NULL, NULL },
  { 0, DP_RMPI_OP_MIN, (char *) "min", NULL, NULL, NULL },
  { 0, DP_RMPI_OP_MAX, (char *) "max", NULL, NULL, NULL },
  { 0, DP_RMPI_OP_LAND, (char *) "land", NULL, NULL, NULL },
  { 0, DP_RMPI_OP_LOR, (char *) "lor", NULL, NULL, NULL },
  { 0, DP_RMPI_OP_LXOR, (char *) "lxor", NULL, NULL, NULL },
  { 0, DP_RMPI_OP_BAND, (char *) "band", NULL, NULL, NULL },
  { 0, DP_RMPI_OP_BOR, (char *) "bor", NULL, NULL, NULL },
  { 0, DP_RMPI_OP_BXOR, (char *) "bxor", NULL, NULL, NULL },
};

/**
 * dp_rmpi_op_builtin:
 * @kind: a built-in operation (not %DP_RMPI_OP_USER)
 *
 * Returns: (transfer none): the static operation
 */
DpRmpiOp *
dp_rmpi_op_builtin (DpRmpiOpKind kind)
{
  g_return_val_if_fail (kind < DP_RMPI_OP_USER, NULL);
  return &builtins[kind];
}

/**
 * dp_rmpi_op_new_func:
 * @name: (nullable): what to call it in messages
 * @func: the reduction
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data with the operation
 *
 * A user operation from a function of this program. Every rank must pass
 * the same operation: each runs it on its own values.
 *
 * Returns: (transfer full): the operation
 */
DpRmpiOp *
dp_rmpi_op_new_func (const char       *name,
                     DpRmpiReduceFunc  func,
                     gpointer          user_data,
                     GDestroyNotify    destroy)
{
  DpRmpiOp *op;

  g_return_val_if_fail (func != NULL, NULL);

  op = g_new0 (DpRmpiOp, 1);
  op->ref_count = 1;
  op->kind = DP_RMPI_OP_USER;
  op->name = g_strdup (name != NULL ? name : "user operation");
  op->func = func;
  op->user_data = user_data;
  op->destroy = destroy;
  return op;
}

/**
 * dp_rmpi_op_new_from_module:
 * @module: a module name (found in the plugin directories) or a path
 * @symbol: a [callback@Dp.RmpiReduceFunc] it exports
 * @error: return location for a #GError
 *
 * A user operation exported by a module: the seeds' procedure, named the
 * way place functions are.
 *
 * Returns: (transfer full): the operation, or %NULL with @error set
 */
DpRmpiOp *
dp_rmpi_op_new_from_module (const char  *module,
                            const char  *symbol,
                            GError     **error)
{
  g_autofree char *name = NULL;
  gpointer func;

  g_return_val_if_fail (module != NULL && symbol != NULL, NULL);

  func = dp_plugin_registry_lookup_symbol (dp_plugin_registry_get_default (), module, symbol,
                                           error);
  if (func == NULL)
    return NULL;
  name = g_strdup_printf ("%s:%s", module, symbol);
  return dp_rmpi_op_new_func (name, (DpRmpiReduceFunc) func, NULL, NULL);
}

/**
 * dp_rmpi_op_lookup:
 * @name: `sum` (or `+`), `prod` (`*`), `min`, `max`, `land` (`and`), `lor`
 *   (`or`), `lxor` (`xor`), `band`, `bor`, `bxor`, or `MODULE:SYMBOL` for a
 *   function a module exports
 * @error: return location for a #GError
 *
 * Finds an operation by the name a keyfile or a message gives it.
 *
 * Returns: (transfer full): the operation, or %NULL with @error set
 */
DpRmpiOp *
dp_rmpi_op_lookup (const char  *name,
                   GError     **error)
{
  static const struct { const char *alias; DpRmpiOpKind kind; } aliases[] = {
    { "+", DP_RMPI_OP_SUM }, { "*", DP_RMPI_OP_PROD }, { "and", DP_RMPI_OP_LAND },
    { "or", DP_RMPI_OP_LOR }, { "xor", DP_RMPI_OP_LXOR },
  };
  g_autofree char *module = NULL;
  g_autofree char *symbol = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (builtin_names); i++)
    if (g_str_equal (name, builtin_names[i]))
      return &builtins[i];
  for (guint i = 0; i < G_N_ELEMENTS (aliases); i++)
    if (g_str_equal (name, aliases[i].alias))
      return &builtins[aliases[i].kind];

  if (dp_procedure_address_parse (name, &module, &symbol, NULL))
    return dp_rmpi_op_new_from_module (module, symbol, error);

  g_set_error (error, DP_ERROR, DP_ERROR_NOT_FOUND,
               "Unknown reduction “%s”: expected sum, prod, min, max, land, lor, lxor, band, "
               "bor, bxor, or MODULE:SYMBOL", name);
  return NULL;
}

/**
 * dp_rmpi_op_ref:
 * @op: an operation
 *
 * Returns: (transfer full): @op
 */
DpRmpiOp *
dp_rmpi_op_ref (DpRmpiOp *op)
{
  g_return_val_if_fail (op != NULL, NULL);
  if (op->ref_count > 0)
    g_atomic_int_inc (&op->ref_count);
  return op;
}

/**
 * dp_rmpi_op_unref:
 * @op: (transfer full): an operation
 */
void
dp_rmpi_op_unref (DpRmpiOp *op)
{
  g_return_if_fail (op != NULL);
  if (op->ref_count == 0 || !g_atomic_int_dec_and_test (&op->ref_count))
    return;
  if (op->destroy != NULL)
    op->destroy (op->user_data);
  g_free (op->name);
  g_free (op);
}

/**
 * dp_rmpi_op_get_kind:
 * @op: an operation
 *
 * Returns: what @op computes
 */
DpRmpiOpKind
dp_rmpi_op_get_kind (DpRmpiOp *op)
{
  g_return_val_if_fail (op != NULL, DP_RMPI_OP_USER);
  return op->kind;
}

/**
 * dp_rmpi_op_get_name:
 * @op: an operation
 *
 * Returns: its name: `sum`, …, or `MODULE:SYMBOL`
 */
const char *
dp_rmpi_op_get_name (DpRmpiOp *op)
{
  g_return_val_if_fail (op != NULL, NULL);
  return op->name;
}

/* The kernels: @out = @a op @b, element-wise over @n elements of type
 * @element (a GVariant basic type character). @out may be @a or @b. */

#define INTEGER_KERNEL(T)                                                      \
  G_STMT_START {                                                               \
    T *o = out;                                                                \
    const T *x = a, *y = b;                                                    \
    switch (kind)                                                              \
      {                                                                        \
      case DP_RMPI_OP_SUM:                                                     \
        for (gsize i = 0; i < n; i++)                                          \
          o[i] = (T) ((guint64) x[i] + (guint64) y[i]);                        \
        break;                                                                 \
      case DP_RMPI_OP_PROD:                                                    \
        for (gsize i = 0; i < n; i++)                                          \
          o[i] = (T) ((guint64) x[i] * (guint64) y[i]);                        \
        break;                                                                 \
      case DP_RMPI_OP_MIN:                                                     \
        for (gsize i = 0; i < n; i++)                                          \
          o[i] = x[i] < y[i] ? x[i] : y[i];                                    \
        break;                                                                 \
      case DP_RMPI_OP_MAX:                                                     \
        for (gsize i = 0; i < n; i++)                                          \
          o[i] = x[i] > y[i] ? x[i] : y[i];                                    \
        break;                                                                 \
      case DP_RMPI_OP_LAND:                                                    \
        for (gsize i = 0; i < n; i++)                                          \
          o[i] = x[i] != 0 && y[i] != 0;                                       \
        break;                                                                 \
      case DP_RMPI_OP_LOR:                                                     \
        for (gsize i = 0; i < n; i++)                                          \
          o[i] = x[i] != 0 || y[i] != 0;                                       \
        break;                                                                 \
      case DP_RMPI_OP_LXOR:                                                    \
        for (gsize i = 0; i < n; i++)                                          \
          o[i] = (x[i] != 0) != (y[i] != 0);                                   \
        break;                                                                 \
      case DP_RMPI_OP_BAND:                                                    \
        for (gsize i = 0; i < n; i++)                                          \
          o[i] = x[i] & y[i];                                                  \
        break;                                                                 \
      case DP_RMPI_OP_BOR:                                                     \
        for (gsize i = 0; i < n; i++)                                          \
          o[i] = x[i] | y[i];                                                  \
        break;                                                                 \
      case DP_RMPI_OP_BXOR:                                                    \
        for (gsize i = 0; i < n; i++)                                          \
          o[i] = x[i] ^ y[i];                                                  \
        break;                                                                 \
      default:                                                                 \
        g_assert_not_reached ();                                               \
      }                                                                        \
  } G_STMT_END

static gboolean
double_kernel (DpRmpiOpKind   kind,
               gpointer       out,
               gconstpointer  a,
               gconstpointer  b,
               gsize          n,
               GError       **error)
{
  gdouble *o = out;
  const gdouble *x = a, *y = b;

  switch (kind)
    {
    case DP_RMPI_OP_SUM:
      for (gsize i = 0; i < n; i++)
        o[i] = x[i] + y[i];
      return TRUE;
    case DP_RMPI_OP_PROD:
      for (gsize i = 0; i < n; i++)
        o[i] = x[i] * y[i];
      return TRUE;
    case DP_RMPI_OP_MIN:
      for (gsize i = 0; i < n; i++)
        o[i] = x[i] < y[i] ? x[i] : y[i];
      return TRUE;
    case DP_RMPI_OP_MAX:
      for (gsize i = 0; i < n; i++)
        o[i] = x[i] > y[i] ? x[i] : y[i];
      return TRUE;
    case DP_RMPI_OP_LAND:
      for (gsize i = 0; i < n; i++)
        o[i] = x[i] != 0.0 && y[i] != 0.0;
      return TRUE;
    case DP_RMPI_OP_LOR:
      for (gsize i = 0; i < n; i++)
        o[i] = x[i] != 0.0 || y[i] != 0.0;
      return TRUE;
    case DP_RMPI_OP_LXOR:
      for (gsize i = 0; i < n; i++)
        o[i] = (x[i] != 0.0) != (y[i] != 0.0);
      return TRUE;
    default:
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Cannot apply the bitwise %s to doubles", kind_name (kind));
      return FALSE;
    }
}

static gboolean
boolean_kernel (DpRmpiOpKind   kind,
                gpointer       out,
                gconstpointer  a,
                gconstpointer  b,
                gsize          n,
                GError       **error)
{
  guint8 *o = out;
  const guint8 *x = a, *y = b;

  switch (kind)
    {
    case DP_RMPI_OP_MIN:
    case DP_RMPI_OP_LAND:
    case DP_RMPI_OP_BAND:
      for (gsize i = 0; i < n; i++)
        o[i] = x[i] && y[i];
      return TRUE;
    case DP_RMPI_OP_MAX:
    case DP_RMPI_OP_LOR:
    case DP_RMPI_OP_BOR:
      for (gsize i = 0; i < n; i++)
        o[i] = x[i] || y[i];
      return TRUE;
    case DP_RMPI_OP_LXOR:
    case DP_RMPI_OP_BXOR:
      for (gsize i = 0; i < n; i++)
        o[i] = (x[i] != 0) != (y[i] != 0);
      return TRUE;
    default:
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Cannot apply %s to booleans", kind_name (kind));
      return FALSE;
    }
}

gsize
dp_rmpi_element_size (char element)
{
  switch (element)
    {
    case 'y': case 'b': return 1;
    case 'n': case 'q': return 2;
    case 'i': case 'u': return 4;
    case 'x': case 't': case 'd': return 8;
    default: return 0;
    }
}

gboolean
dp_rmpi_op_apply_raw (DpRmpiOp       *op,
                      char            element,
                      gpointer        out,
                      gconstpointer   a,
                      gconstpointer   b,
                      gsize           n,
                      GError        **error)
{
  DpRmpiOpKind kind = op->kind;

  g_return_val_if_fail (kind != DP_RMPI_OP_USER, FALSE);

  switch (element)
    {
    case 'y': INTEGER_KERNEL (guint8); return TRUE;
    case 'n': INTEGER_KERNEL (gint16); return TRUE;
    case 'q': INTEGER_KERNEL (guint16); return TRUE;
    case 'i': INTEGER_KERNEL (gint32); return TRUE;
    case 'u': INTEGER_KERNEL (guint32); return TRUE;
    case 'x': INTEGER_KERNEL (gint64); return TRUE;
    case 't': INTEGER_KERNEL (guint64); return TRUE;
    case 'd': return double_kernel (kind, out, a, b, n, error);
    case 'b':
      if (kind == DP_RMPI_OP_SUM || kind == DP_RMPI_OP_PROD)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "Cannot apply %s to booleans", kind_name (kind));
          return FALSE;
        }
      return boolean_kernel (kind, out, a, b, n, error);
    default:
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Cannot apply %s to values of type “%c”", kind_name (kind), element);
      return FALSE;
    }
}

/* A numeric array type: "a" and one basic numeric character. */
char
dp_rmpi_numeric_array_element (const GVariantType *type)
{
  const char *s = (const char *) type;

  if (s[0] == 'a' && dp_rmpi_element_size (s[1]) > 0)
    return s[1];
  return '\0';
}

/* g_variant_is_normal_form(), without visiting every element of an array
 * of numbers (any bytes are a number): GLib's check costs 14 ms for 1 MiB
 * of bytes. */
gboolean
dp_rmpi_is_normal_form (GVariant *value)
{
  char element = dp_rmpi_numeric_array_element (g_variant_get_type (value));

  if (element != '\0' && element != 'b')
    return g_variant_get_size (value) % dp_rmpi_element_size (element) == 0;
  return g_variant_is_normal_form (value);
}

static GVariant *
new_fixed (const GVariantType *type,
           gpointer            data,
           gsize               size)
{
  return g_variant_ref_sink (g_variant_new_from_data (type, data, size, TRUE, g_free, data));
}

static GVariant *
apply_builtin (DpRmpiOp  *op,
               GVariant  *a,
               GVariant  *b,
               GError   **error)
{
  const GVariantType *type = g_variant_get_type (a);
  const char *type_string = g_variant_get_type_string (a);
  char element;

  if (!g_variant_type_equal (type, g_variant_get_type (b)))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Cannot reduce values of different types with %s: “%s” and “%s”",
                   op->name, type_string, g_variant_get_type_string (b));
      return NULL;
    }

  /* A number. */
  if (type_string[1] == '\0' && dp_rmpi_element_size (type_string[0]) > 0)
    {
      gsize size = dp_rmpi_element_size (type_string[0]);
      gpointer data = g_malloc (size);

      if (!dp_rmpi_op_apply_raw (op, type_string[0], data, g_variant_get_data (a),
                                 g_variant_get_data (b), 1, error))
        {
          g_free (data);
          return NULL;
        }
      return new_fixed (type, data, size);
    }

  /* An array of numbers: reduced as a whole. */
  element = dp_rmpi_numeric_array_element (type);
  if (element != '\0')
    {
      gsize size = g_variant_get_size (a);
      gpointer data;

      if (size != g_variant_get_size (b))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "Cannot reduce arrays of different lengths with %s: %" G_GSIZE_FORMAT
                       " and %" G_GSIZE_FORMAT " elements", op->name,
                       size / dp_rmpi_element_size (element),
                       g_variant_get_size (b) / dp_rmpi_element_size (element));
          return NULL;
        }
      data = g_malloc (MAX (size, 1));
      if (!dp_rmpi_op_apply_raw (op, element, data, g_variant_get_data (a),
                                 g_variant_get_data (b), size / dp_rmpi_element_size (element),
                                 error))
        {
          g_free (data);
          return NULL;
        }
      return new_fixed (type, data, size);
    }

  /* A variant: its contents. */
  if (g_variant_type_equal (type, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr(GVariant) x = g_variant_get_variant (a);
      g_autoptr(GVariant) y = g_variant_get_variant (b);
      g_autoptr(GVariant) r = apply_builtin (op, x, y, error);

      if (r == NULL)
        return NULL;
      return g_variant_ref_sink (g_variant_new_variant (r));
    }

  /* Tuples and other arrays: element by element, as fancy-reducer does. */
  if (g_variant_type_is_tuple (type) ||
      (g_variant_type_is_array (type) && !g_variant_type_is_dict_entry (g_variant_type_element (type))))
    {
      gsize n = g_variant_n_children (a);
      g_autoptr(GPtrArray) children = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

      if (n != g_variant_n_children (b))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "Cannot reduce arrays of different lengths with %s: %" G_GSIZE_FORMAT
                       " and %" G_GSIZE_FORMAT " elements", op->name, n,
                       g_variant_n_children (b));
          return NULL;
        }
      for (gsize i = 0; i < n; i++)
        {
          g_autoptr(GVariant) x = g_variant_get_child_value (a, i);
          g_autoptr(GVariant) y = g_variant_get_child_value (b, i);
          GVariant *r = apply_builtin (op, x, y, error);

          if (r == NULL)
            return NULL;
          g_ptr_array_add (children, r);
        }
      if (g_variant_type_is_tuple (type))
        return g_variant_ref_sink (g_variant_new_tuple ((GVariant **) children->pdata, n));
      return g_variant_ref_sink (g_variant_new_array (g_variant_type_element (type),
                                                      (GVariant **) children->pdata, n));
    }

  g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
               "Cannot reduce values of type “%s” with %s: expected numbers, booleans, or "
               "arrays, tuples and variants of them", type_string, op->name);
  return NULL;
}

/**
 * dp_rmpi_op_apply:
 * @op: an operation
 * @a: the first value (the lower ranks')
 * @b: the second value
 * @error: return location for a #GError
 *
 * Combines two values, as the collectives do.
 *
 * Returns: (transfer full): the combination, or %NULL with @error set
 */
GVariant *
dp_rmpi_op_apply (DpRmpiOp  *op,
                  GVariant  *a,
                  GVariant  *b,
                  GError   **error)
{
  GVariant *result;

  g_return_val_if_fail (op != NULL, NULL);
  g_return_val_if_fail (a != NULL && b != NULL, NULL);

  if (op->kind != DP_RMPI_OP_USER)
    return apply_builtin (op, a, b, error);

  result = op->func (a, b, op->user_data, error);
  if (result == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "The reduction %s failed", op->name);
      return NULL;
    }
  return g_variant_take_ref (result);
}

static char
vector_element (DpSharedVector *vector)
{
  switch (dp_shared_vector_get_kind (vector))
    {
    case DP_SHARED_VECTOR_BYTES: return 'y';
    case DP_SHARED_VECTOR_FIXNUMS: return 'x';
    case DP_SHARED_VECTOR_FLONUMS: return 'd';
    default: g_return_val_if_reached ('y');
    }
}

const GVariantType *
dp_rmpi_vector_variant_type (DpSharedVector *vector)
{
  switch (vector_element (vector))
    {
    case 'x': return G_VARIANT_TYPE ("ax");
    case 'd': return G_VARIANT_TYPE ("ad");
    default: return G_VARIANT_TYPE_BYTESTRING;
    }
}

/* The contents of @vector as an array, copied (floating). */
GVariant *
dp_rmpi_vector_to_array (DpSharedVector *vector)
{
  gsize size = dp_shared_vector_get_size (vector);
  gpointer copy = g_memdup2 (dp_shared_vector_get_data (vector), MAX (size, 1));

  return g_variant_new_from_data (dp_rmpi_vector_variant_type (vector), copy, size, TRUE, g_free,
                                  copy);
}

/* Checks that @array can go into @vector. */
gboolean
dp_rmpi_vector_check (DpSharedVector  *vector,
                      GVariant        *array,
                      GError         **error)
{
  if (!g_variant_is_of_type (array, dp_rmpi_vector_variant_type (vector)) ||
      g_variant_get_size (array) != dp_shared_vector_get_size (vector))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "A shared vector of %" G_GSIZE_FORMAT " elements (“%s”) cannot take a value "
                   "of type “%s” and %" G_GSIZE_FORMAT " bytes: every rank must pass a vector "
                   "of the same kind and length",
                   dp_shared_vector_get_length (vector),
                   g_variant_type_peek_string (dp_rmpi_vector_variant_type (vector)),
                   g_variant_get_type_string (array), g_variant_get_size (array));
      return FALSE;
    }
  return TRUE;
}

/**
 * dp_rmpi_op_apply_vector:
 * @op: an operation
 * @inout: a shared vector, which gets the result
 * @other: an array of the same kind and length (`ay`, `ax` or `ad`)
 * @other_first: whether @other is the first operand (the lower ranks')
 * @error: return location for a #GError
 *
 * Combines @other into @inout, element-wise, in place.
 *
 * Returns: %TRUE on success
 */
gboolean
dp_rmpi_op_apply_vector (DpRmpiOp        *op,
                         DpSharedVector  *inout,
                         GVariant        *other,
                         gboolean         other_first,
                         GError         **error)
{
  gpointer data;
  gsize n;

  g_return_val_if_fail (op != NULL, FALSE);
  g_return_val_if_fail (DP_IS_SHARED_VECTOR (inout), FALSE);
  g_return_val_if_fail (other != NULL, FALSE);

  if (!dp_rmpi_vector_check (inout, other, error))
    return FALSE;

  data = dp_shared_vector_get_data (inout);
  n = dp_shared_vector_get_length (inout);

  if (op->kind == DP_RMPI_OP_USER)
    {
      g_autoptr(GVariant) mine = g_variant_ref_sink (dp_rmpi_vector_to_array (inout));
      g_autoptr(GVariant) result = other_first ? dp_rmpi_op_apply (op, other, mine, error)
                                               : dp_rmpi_op_apply (op, mine, other, error);

      if (result == NULL || !dp_rmpi_vector_check (inout, result, error))
        return FALSE;
      memcpy (data, g_variant_get_data (result), g_variant_get_size (result));
      return TRUE;
    }

  return other_first
         ? dp_rmpi_op_apply_raw (op, vector_element (inout), data, g_variant_get_data (other), data, n, error)
         : dp_rmpi_op_apply_raw (op, vector_element (inout), data, data, g_variant_get_data (other), n, error);
}
