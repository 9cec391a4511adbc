/* dp-http-message.c: what POST /api/places/NAME/messages turns into a
 * message
 *
 * The body and the query come from anyone who reaches the control plane:
 * bad input is a DP_ERROR_INVALID_MESSAGE that says what is wrong (the
 * service answers 400 with it), never a crash, a hang or a message a
 * place could not get from a peer. tests/fuzz/fuzz-json.c feeds these
 * functions arbitrary bytes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include <dplaces/dplaces.h>

#include "dp-http-message.h"
#include "dp-wire-private.h"

/* Refuses what json-glib would mishandle, looking at the brackets outside
 * strings: nesting deeper than DP_HTTP_MESSAGE_MAX_DEPTH (it parses
 * recursively: a body of a few hundred thousand '[' overflowed the node's
 * stack), and an array or object after a first value (it took `[1][2]`
 * for `[1]`, and leaked the second). Other malformed JSON is the
 * parser's to refuse. */
static gboolean
check_json_shape (const char  *json,
                  gsize        length,
                  GError     **error)
{
  guint depth = 0;
  gboolean in_string = FALSE;
  gboolean had_value = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = json[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '[' || c == '{')
        {
          if (depth == 0 && had_value)
            {
              g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                                   "Bad JSON: more than one value in the body");
              return FALSE;
            }
          had_value = TRUE;
          if (++depth > DP_HTTP_MESSAGE_MAX_DEPTH)
            {
              g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                           "Bad JSON: arrays and objects nest deeper than %d levels",
                           DP_HTTP_MESSAGE_MAX_DEPTH);
              return FALSE;
            }
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
      else if (c == '"')
        {
          in_string = TRUE;
          had_value = TRUE;
        }
      else if (depth == 0 && !g_ascii_isspace (c))
        had_value = TRUE;
    }
  return TRUE;
}

/* Refuses strings, values or member names, that are not UTF-8. The
 * parser refuses such bytes in the body, but reads escapes JSON does not
 * have: "\700" (octal) is the byte 0xc0. json_gvariant_deserialize()
 * hands the string to g_variant_new_string(), which fails with a
 * critical, then returns NULL without an error: the node crashed reading
 * the error's message (tests/fuzz/corpus/json/crash-octal-escape). The
 * depth is check_json_shape()'s. */
static gboolean
check_json_strings (JsonNode  *node,
                    GError   **error)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, &name, &member))
          {
            if (!g_utf8_validate (name, -1, NULL))
              goto bad;
            if (!check_json_strings (member, error))
              return FALSE;
          }
        return TRUE;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        for (guint i = 0; i < n; i++)
          if (!check_json_strings (json_array_get_element (array, i), error))
            return FALSE;
        return TRUE;
      }
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING &&
          !g_utf8_validate (json_node_get_string (node), -1, NULL))
        goto bad;
      return TRUE;
    case JSON_NODE_NULL:
    default:
      return TRUE;
    }

bad:
  g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "Bad JSON: a string is not valid UTF-8");
  return FALSE;
}

/**
 * dp_http_message_from_json:
 * @json: the request's body
 * @length: its length in bytes
 * @type: (nullable): the `type=` of the query: a definite GVariant type
 *   the message must have; %NULL to infer one from the JSON
 * @error: return location for a #GError
 *
 * Makes the message a place gets from a POST's JSON body, as
 * json_gvariant_deserialize() does. A message from HTTP cannot name a
 * channel: a type with handles (`h`) is refused, as a peer's handle that
 * names no channel it sent is (a handle would be read as one of this
 * process's channels).
 *
 * Returns: (transfer full): the message, or %NULL with @error set
 *   (%DP_ERROR_INVALID_MESSAGE)
 */
static gboolean
is_path_type (const GVariantType *type)
{
  return g_variant_type_equal (type, G_VARIANT_TYPE_OBJECT_PATH) ||
         g_variant_type_equal (type, G_VARIANT_TYPE_SIGNATURE);
}

/* Refuses a string for an object path (o) or a signature (g) that is not
 * one, and a dictionary keyed by them. json_gvariant_deserialize() hands
 * such a string to g_variant_new_object_path() or
 * g_variant_new_signature(), which fail with a critical (an abort where
 * criticals are fatal: tests/fuzz/corpus/json/crash-object-path), and
 * makes every dictionary key a string, which its builder then refuses
 * with a critical when the key type is o or g (json-glib 1.6). Walks
 * @node along @type as json-glib reads it: arrays and tuples from JSON
 * arrays, dictionaries (and a lone dictionary entry) from objects; JSON
 * of another shape is json-glib's to refuse. The recursion follows the
 * type, which is short. */
static gboolean
check_json_paths (JsonNode            *node,
                  const GVariantType  *type,
                  GError             **error)
{
  const GVariantType *entry = NULL;

  if (is_path_type (type))
    {
      const char *string;
      gboolean object_path = g_variant_type_equal (type, G_VARIANT_TYPE_OBJECT_PATH);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        return TRUE;
      string = json_node_get_string (node);
      if (object_path ? g_variant_is_object_path (string) : g_variant_is_signature (string))
        return TRUE;
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Cannot make a message of this JSON: “%s” is not %s", string,
                   object_path ? "an object path (o)" : "a signature (g)");
      return FALSE;
    }

  if (g_variant_type_is_maybe (type))
    return JSON_NODE_HOLDS_NULL (node) || check_json_paths (node, g_variant_type_element (type), error);

  if (g_variant_type_is_dict_entry (type))
    entry = type;
  else if (g_variant_type_is_array (type) && g_variant_type_is_dict_entry (g_variant_type_element (type)))
    entry = g_variant_type_element (type);
  if (entry != NULL)
    {
      JsonObjectIter iter;
      JsonNode *member;

      if (is_path_type (g_variant_type_key (entry)))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "Cannot make a message of this JSON: a dictionary keyed by %s cannot come from JSON",
                       g_variant_type_equal (g_variant_type_key (entry), G_VARIANT_TYPE_OBJECT_PATH)
                       ? "object paths (o)" : "signatures (g)");
          return FALSE;
        }
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return TRUE;
      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, NULL, &member))
        if (!check_json_paths (member, g_variant_type_value (entry), error))
          return FALSE;
      return TRUE;
    }

  if (g_variant_type_is_array (type) || g_variant_type_is_tuple (type))
    {
      gboolean tuple = g_variant_type_is_tuple (type);
      const GVariantType *item = tuple ? g_variant_type_first (type) : g_variant_type_element (type);
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        return TRUE;
      array = json_node_get_array (node);
      for (guint i = 0; item != NULL && i < json_array_get_length (array); i++)
        {
          if (!check_json_paths (json_array_get_element (array, i), item, error))
            return FALSE;
          if (tuple)
            item = g_variant_type_next (item);
        }
      return TRUE;
    }

  return TRUE;
}

GVariant *
dp_http_message_from_json (const char  *json,
                           gsize        length,
                           const char  *type,
                           GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  GVariant *message;

  g_return_val_if_fail (json != NULL || length == 0, NULL);

  if (type != NULL && (!g_variant_type_string_is_valid (type) ||
                       !g_variant_type_is_definite (G_VARIANT_TYPE (type))))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "type=%s is not a definite GVariant type", type);
      return NULL;
    }
  if (type != NULL && strlen (type) > DP_MESSAGE_TYPE_MAX)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "type= is %" G_GSIZE_FORMAT " bytes long: a message type is at most %d",
                   strlen (type), DP_MESSAGE_TYPE_MAX);
      return NULL;
    }
  if (type != NULL && strchr (type, 'h') != NULL)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "type=%s has a handle (h): a message from HTTP cannot carry a channel", type);
      return NULL;
    }
  if (length > G_MAXSSIZE)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE, "Bad JSON: the body is too long");
      return NULL;
    }
  if (!check_json_shape (json, length, error))
    return NULL;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, json, (gssize) length, &local_error))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE, "Bad JSON: %s", local_error->message);
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE, "Bad JSON: the body is empty");
      return NULL;
    }
  if (!check_json_strings (json_parser_get_root (parser), error))
    return NULL;
  if (type != NULL && (strchr (type, 'o') != NULL || strchr (type, 'g') != NULL) &&
      !check_json_paths (json_parser_get_root (parser), G_VARIANT_TYPE (type), error))
    return NULL;

  message = json_gvariant_deserialize (json_parser_get_root (parser), type, &local_error);
  if (message == NULL)
    {
      /* json-glib may fail without an error (check_json_strings()). */
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE, "Cannot make a message%s%s of this JSON: %s",
                   type != NULL ? " of type " : "", type != NULL ? type : "",
                   local_error != NULL ? local_error->message : "json-glib did not say why");
      return NULL;
    }
  return g_variant_ref_sink (message);
}

/**
 * dp_http_message_parse_timeout:
 * @text: (nullable): the `timeout=` of the query, in seconds
 * @fallback: the timeout without one
 * @out_usec: (out): the timeout in microseconds
 * @error: return location for a #GError
 *
 * Reads how long a POST waits for the place's reply: a number of seconds
 * from 0 to %DP_HTTP_MESSAGE_MAX_TIMEOUT. Anything else — not a number,
 * negative (which would wait for ever), infinite — is an error.
 *
 * Returns: %TRUE with *@out_usec set, or %FALSE with @error set
 *   (%DP_ERROR_INVALID_MESSAGE)
 */
gboolean
dp_http_message_parse_timeout (const char  *text,
                               gdouble      fallback,
                               gint64      *out_usec,
                               GError     **error)
{
  gdouble seconds = fallback;

  if (text != NULL)
    {
      char *end = NULL;

      seconds = g_ascii_strtod (text, &end);
      if (end == text || *end != '\0')
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "timeout=%s is not a number of seconds", text);
          return FALSE;
        }
    }
  if (!isfinite (seconds) || seconds < 0 || seconds > DP_HTTP_MESSAGE_MAX_TIMEOUT)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "timeout=%s: a reply timeout is from 0 to %g seconds",
                   text != NULL ? text : "(default)", DP_HTTP_MESSAGE_MAX_TIMEOUT);
      return FALSE;
    }
  *out_usec = (gint64) (seconds * G_USEC_PER_SEC);
  return TRUE;
}
