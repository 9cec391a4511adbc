/* dp-message.c: helpers for place messages (GVariants)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dp-error.h"
#include "dp-message.h"

/**
 * dp_message_parse:
 * @text: a message in GVariant text form, e.g. `('set', 'x', 100)`
 * @error: return location for a #GError
 *
 * Parses the text form keyfiles and command lines use for messages. The
 * error message says where the text went wrong.
 *
 * Returns: (transfer full): the message, or %NULL with @error set
 */
GVariant *
dp_message_parse (const char  *text,
                  GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  GVariant *value;

  g_return_val_if_fail (text != NULL, NULL);

  value = g_variant_parse (NULL, text, NULL, NULL, &local_error);
  if (value == NULL)
    {
      g_autofree char *context = g_variant_parse_error_print_context (local_error, text);
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "not a message in GVariant text form: %s", context);
      return NULL;
    }

  /* g_variant_parse() returns a full, non-floating reference already:
   * sinking it again would add a reference nobody drops. */
  return value;
}

/**
 * dp_message_to_display:
 * @message: a message
 *
 * Formats @message the way Racket's `display` would show it: a string as
 * its characters, anything else in GVariant text form.
 *
 * Returns: (transfer full): the text
 */
char *
dp_message_to_display (GVariant *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  if (g_variant_is_of_type (message, G_VARIANT_TYPE_STRING))
    return g_variant_dup_string (message, NULL);
  if (g_variant_is_of_type (message, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr(GVariant) inner = g_variant_get_variant (message);
      return dp_message_to_display (inner);
    }

  return g_variant_print (message, FALSE);
}

/**
 * dp_message_get_tag:
 * @message: a message
 *
 * Returns the tag of a tagged message: the first item of a tuple, or of an
 * array of variants, when that item is a string — the symbol a Racket list
 * message starts with.
 *
 * Returns: (nullable): the tag, valid as long as @message, or %NULL
 */
const char *
dp_message_get_tag (GVariant *message)
{
  const GVariantType *type;
  g_autoptr(GVariant) first = NULL;

  g_return_val_if_fail (message != NULL, NULL);

  type = g_variant_get_type (message);
  if (g_variant_type_is_tuple (type) || g_variant_type_equal (type, G_VARIANT_TYPE ("av")))
    {
      if (g_variant_n_children (message) == 0)
        return NULL;
      first = g_variant_get_child_value (message, 0);
      if (g_variant_is_of_type (first, G_VARIANT_TYPE_VARIANT))
        {
          GVariant *inner = g_variant_get_variant (first);
          g_variant_unref (first);
          first = inner;
        }
      /* The string lives in @message's own data: first is a view of it. */
      if (g_variant_is_of_type (first, G_VARIANT_TYPE_STRING))
        return g_variant_get_string (first, NULL);
    }

  return NULL;
}

/**
 * dp_message_new_tagged:
 * @tag: the tag
 * @payload: (transfer floating) (nullable): what follows it
 *
 * Builds `(tag, payload)`, or `(tag,)` without a payload.
 *
 * Returns: (transfer floating): the message
 */
GVariant *
dp_message_new_tagged (const char *tag,
                       GVariant   *payload)
{
  GVariant *items[2];

  g_return_val_if_fail (tag != NULL, NULL);

  items[0] = g_variant_new_string (tag);
  items[1] = payload;
  return g_variant_new_tuple (items, payload != NULL ? 2 : 1);
}

/**
 * dp_write_flush:
 * @datum: a message
 * @port: where to write it
 *
 * Writes @datum in its text form and flushes (the seeds' `write-flush`).
 */
void
dp_write_flush (GVariant *datum,
                FILE     *port)
{
  g_autofree char *text = NULL;

  g_return_if_fail (datum != NULL);
  g_return_if_fail (port != NULL);

  text = g_variant_print (datum, FALSE);
  fputs (text, port);
  fflush (port);
}

/**
 * dp_displayln_f:
 * @item: a message
 *
 * Prints @item as `display` would, a newline, and flushes (the seeds'
 * `displayln/f`).
 */
void
dp_displayln_f (GVariant *item)
{
  g_autofree char *text = NULL;

  g_return_if_fail (item != NULL);

  text = dp_message_to_display (item);
  printf ("%s\n", text);
  fflush (stdout);
}

/**
 * dp_printf_f:
 * @format: a printf() format
 * @...: its arguments
 *
 * printf() then flush (the seeds' `printf/f`): a place's output reaches
 * the root at once.
 */
void
dp_printf_f (const char *format,
             ...)
{
  va_list args;

  va_start (args, format);
  vprintf (format, args);
  va_end (args);
  fflush (stdout);
}
