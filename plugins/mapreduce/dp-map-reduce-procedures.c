/* dp-map-reduce-procedures.c: the default sorter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-mapreduce"

#include "config.h"

#include <math.h>
#include <string.h>

#include "dplaces-mapreduce.h"

#define SIGN(x) (((x) > 0) - ((x) < 0))

static gint
compare_doubles (gdouble x,
                 gdouble y)
{
  /* NaN after every number, equal to itself: a total order. */
  if (isnan (x) || isnan (y))
    return isnan (x) - isnan (y);
  return (x > y) - (x < y);
}

static gint
compare_children (GVariant *a,
                  GVariant *b)
{
  gsize na = g_variant_n_children (a), nb = g_variant_n_children (b);

  for (gsize i = 0; i < na && i < nb; i++)
    {
      g_autoptr(GVariant) x = g_variant_get_child_value (a, i);
      g_autoptr(GVariant) y = g_variant_get_child_value (b, i);
      gint result = dp_map_reduce_default_sorter (x, y);

      if (result != 0)
        return result;
    }
  return (na > nb) - (na < nb);
}

/**
 * dp_map_reduce_default_sorter:
 * @a: a key
 * @b: another key
 *
 * The order of keys unless a sorter is given (the seeds' `default-sorter`):
 * numbers by value, strings byte by byte (`strcmp()`, the order of
 * `LC_ALL=C sort`), booleans false first; tuples, arrays and dictionary
 * entries element by element (a prefix first), a maybe's nothing before
 * any just, a variant by what it holds. Keys of different types are
 * ordered by their type strings, so every pair of keys compares — where
 * Racket's raises “Cannot sort”.
 *
 * Returns: negative, 0 or positive as @a comes before, is, or comes after @b
 */
gint
dp_map_reduce_default_sorter (GVariant *a,
                              GVariant *b)
{
  const char *type_a = g_variant_get_type_string (a);
  const char *type_b = g_variant_get_type_string (b);

  if (strcmp (type_a, type_b) != 0)
    return SIGN (strcmp (type_a, type_b));

  switch (g_variant_classify (a))
    {
    case G_VARIANT_CLASS_BOOLEAN:
      return (gint) g_variant_get_boolean (a) - (gint) g_variant_get_boolean (b);
    case G_VARIANT_CLASS_BYTE:
      return (gint) g_variant_get_byte (a) - (gint) g_variant_get_byte (b);
    case G_VARIANT_CLASS_INT16:
      return (gint) g_variant_get_int16 (a) - (gint) g_variant_get_int16 (b);
    case G_VARIANT_CLASS_UINT16:
      return (gint) g_variant_get_uint16 (a) - (gint) g_variant_get_uint16 (b);
    case G_VARIANT_CLASS_INT32:
      return SIGN ((gint64) g_variant_get_int32 (a) - (gint64) g_variant_get_int32 (b));
    case G_VARIANT_CLASS_HANDLE:
      return SIGN ((gint64) g_variant_get_handle (a) - (gint64) g_variant_get_handle (b));
    case G_VARIANT_CLASS_UINT32:
      return SIGN ((gint64) g_variant_get_uint32 (a) - (gint64) g_variant_get_uint32 (b));
    case G_VARIANT_CLASS_INT64:
      {
        gint64 x = g_variant_get_int64 (a), y = g_variant_get_int64 (b);
        return (x > y) - (x < y);
      }
    case G_VARIANT_CLASS_UINT64:
      {
        guint64 x = g_variant_get_uint64 (a), y = g_variant_get_uint64 (b);
        return (x > y) - (x < y);
      }
    case G_VARIANT_CLASS_DOUBLE:
      return compare_doubles (g_variant_get_double (a), g_variant_get_double (b));
    case G_VARIANT_CLASS_STRING:
    case G_VARIANT_CLASS_OBJECT_PATH:
    case G_VARIANT_CLASS_SIGNATURE:
      return SIGN (strcmp (g_variant_get_string (a, NULL), g_variant_get_string (b, NULL)));
    case G_VARIANT_CLASS_VARIANT:
      {
        g_autoptr(GVariant) x = g_variant_get_variant (a);
        g_autoptr(GVariant) y = g_variant_get_variant (b);
        return dp_map_reduce_default_sorter (x, y);
      }
    case G_VARIANT_CLASS_MAYBE:
    case G_VARIANT_CLASS_ARRAY:
    case G_VARIANT_CLASS_TUPLE:
    case G_VARIANT_CLASS_DICT_ENTRY:
    default:
      return compare_children (a, b);
    }
}
