/* fuzz-json.c: the control plane's JSON to message, from untrusted bytes
 *
 * Input: the parts of a POST /api/places/NAME/messages the HTTP service
 * turns into a message (plugins/http/dp-http-message.c):
 *
 *   type | NUL | timeout | NUL | body
 *
 * an empty type or timeout standing for one the query does not give.
 * dp_http_message_from_json() must give either a message or a
 * DP_ERROR_INVALID_MESSAGE that says why, never crash; and the message
 * must be one a place can be sent and a peer accepts: a definite type of
 * fewer than 256 bytes (the type given, if one was), normal form, and no
 * handle (a JSON client has no channel to name). The service then answers
 * with the place's reply as JSON: the message goes back the same way.
 * dp_http_message_parse_timeout() must give a timeout from 0 to
 * DP_HTTP_MESSAGE_MAX_TIMEOUT, or an error.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <json-glib/json-glib.h>

#include <dplaces/dplaces.h>

#include "dp-http-message.h"
#include "dp-wire-private.h"

#include "fuzz-common.h"

static void
check_error (const GError *error,
             const char   *what)
{
  if (error == NULL)
    fuzz_fail ("%s failed without an error", what);
  if (!g_error_matches (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE) || error->message[0] == '\0')
    fuzz_fail ("%s failed with an error that is not DP_ERROR_INVALID_MESSAGE: %s", what, error->message);
  if (fuzz_verbose ())
    g_printerr ("%s: %s\n", what, error->message);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) timeout_error = NULL;
  g_autoptr(GVariant) message = NULL;
  g_autofree char *type = NULL;
  g_autofree char *timeout = NULL;
  const guint8 *first_nul, *second_nul, *body;
  gint64 timeout_usec = -1;

  fuzz_init ();

  first_nul = memchr (data, '\0', size);
  if (first_nul == NULL)
    return -1;
  second_nul = memchr (first_nul + 1, '\0', size - (first_nul + 1 - data));
  if (second_nul == NULL)
    return -1;
  if (first_nul > data)
    type = g_strndup ((const char *) data, first_nul - data);
  if (second_nul > first_nul + 1)
    timeout = g_strndup ((const char *) first_nul + 1, second_nul - first_nul - 1);
  body = second_nul + 1;

  if (dp_http_message_parse_timeout (timeout, 5.0, &timeout_usec, &timeout_error))
    {
      if (timeout_usec < 0 || timeout_usec > DP_HTTP_MESSAGE_MAX_TIMEOUT * G_USEC_PER_SEC)
        fuzz_fail ("timeout=%s gave %" G_GINT64_FORMAT " µs", timeout, timeout_usec);
    }
  else
    check_error (timeout_error, "the timeout");

  message = dp_http_message_from_json ((const char *) body, size - (body - data), type, &error);
  if (message == NULL)
    {
      check_error (error, "the body");
      return 0;
    }
  if (error != NULL)
    fuzz_fail ("a message and an error: %s", error->message);

  {
    const char *message_type = g_variant_get_type_string (message);
    g_autoptr(JsonNode) node = NULL;
    g_autofree char *json = NULL;
    g_autofree char *text = NULL;

    if (type != NULL && !g_str_equal (message_type, type))
      fuzz_fail ("type=%s gave a message of type %s", type, message_type);
    if (strlen (message_type) > DP_MESSAGE_TYPE_MAX || !g_variant_type_is_definite (g_variant_get_type (message)))
      fuzz_fail ("a message of type %s, which no peer accepts", message_type);
    if (!g_variant_is_normal_form (message))
      fuzz_fail ("a message of type %s not in normal form", message_type);
    if (dp_message_has_handles (message))
      fuzz_fail ("a message of type %s with a handle", message_type);

    /* The reply's way back (the service answers with it as JSON). */
    node = json_gvariant_serialize (message);
    json = json_to_string (node, FALSE);
    text = g_variant_print (message, TRUE);
    if (fuzz_verbose ())
      g_printerr ("%s → %s\n", text, json);
  }

  return 0;
}
