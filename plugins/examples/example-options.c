/* example-options.c: the options the examples' keyfile places take
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <dplaces/dplaces.h>

#include "example-options.h"

/**
 * example_options_check:
 * @options: the message a keyfile example's place got
 * @known_keys: (array zero-terminated=1): the keys it understands
 * @error: return location for a #GError
 *
 * Returns: %TRUE if @options is an `a{sv}` with no other keys
 */
gboolean
example_options_check (GVariant            *options,
                       const char * const  *known_keys,
                       GError             **error)
{
  GVariantIter iter;
  const char *key;

  if (!g_variant_is_of_type (options, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Expected options like {'backend': <'threads'>}, got a “%s”",
                   g_variant_get_type_string (options));
      return FALSE;
    }

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, NULL))
    if (!g_strv_contains (known_keys, key))
      {
        g_autofree char *known = g_strjoinv (", ", (char **) known_keys);

        g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                     "Unknown option “%s” (known: %s)", key, known);
        return FALSE;
      }

  return TRUE;
}

/**
 * example_options_uint:
 * @options: an `a{sv}`
 * @key: the option
 * @fallback: its value when it is not given
 * @out_value: (out): where to store it
 * @error: return location for a #GError
 *
 * Reads a non-negative integer option of any integer type.
 *
 * Returns: %TRUE unless the option is not such an integer
 */
gboolean
example_options_uint (GVariant    *options,
                      const char  *key,
                      guint        fallback,
                      guint       *out_value,
                      GError     **error)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (options, key, NULL);
  gint64 number;

  if (value == NULL)
    {
      *out_value = fallback;
      return TRUE;
    }

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTE))
    number = g_variant_get_byte (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT16))
    number = g_variant_get_int16 (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT16))
    number = g_variant_get_uint16 (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32))
    number = g_variant_get_int32 (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    number = g_variant_get_uint32 (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    number = g_variant_get_int64 (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    number = (gint64) MIN (g_variant_get_uint64 (value), (guint64) G_MAXINT64);
  else
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Option “%s” must be an integer, not a “%s”",
                   key, g_variant_get_type_string (value));
      return FALSE;
    }

  if (number < 0 || number > G_MAXUINT)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Option “%s” is out of range: %" G_GINT64_FORMAT, key, number);
      return FALSE;
    }

  *out_value = (guint) number;
  return TRUE;
}

/**
 * example_options_string:
 * @options: an `a{sv}`
 * @key: the option
 * @fallback: (nullable): its value when it is not given
 * @out_value: (out) (transfer full): where to store it
 * @error: return location for a #GError
 *
 * Returns: %TRUE unless the option is not a string
 */
gboolean
example_options_string (GVariant    *options,
                        const char  *key,
                        const char  *fallback,
                        char       **out_value,
                        GError     **error)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (options, key, NULL);

  if (value == NULL)
    {
      *out_value = g_strdup (fallback);
      return TRUE;
    }

  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Option “%s” must be a string, not a “%s”",
                   key, g_variant_get_type_string (value));
      return FALSE;
    }

  *out_value = g_variant_dup_string (value, NULL);
  return TRUE;
}
