/* fuzz-rpc.c: an RPC server's requests, from untrusted bytes
 *
 * Input: what a place serving RPC gets on its channel, in a form that
 * keeps the fuzzer's effort on the requests:
 *
 *   option (1 byte) | message | message | …   (at most MAX_MESSAGES)
 *   message: type string | NUL | size (2 bytes, little endian) | value
 *
 * Option bit 0 picks the server: the bank or the tuple server of the
 * named example, as dplaces-codegen generates them from
 * schemas/bank.rpc.json and schemas/tuple-server.rpc.json, with the
 * example's handlers. So a request goes through DpRpcServer's checks
 * (a request at all, a known method, arguments of the method's type) and
 * then the generated dispatch, which unpacks the arguments for the
 * handler. Bit 1: the messages come from a named place's client, as
 * (request, reply channel) pairs answered on that channel; otherwise
 * bare, answered on the place's channel.
 *
 * Each message is one a connection would deliver (fuzz_message_new(), and
 * no handle, which needs a handle entry); the first that is not ends the
 * input, as it would end the connection. The server handles them in
 * order, as dp_rpc_server_run() does. Then the harness checks what it
 * answered, against what the request types say: one reply per message
 * that is a call — `(su*)`, a method and a serial, with a serial other
 * than 0 — and none for anything else; each reply a DP_RPC_REPLY_TYPE
 * with its call's serial, in order; a success only for a method the
 * server has, with arguments in a tuple; a failure carrying
 * `(domain, code, message)` with a message.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <dplaces/dplaces.h>
#include <dplaces/dp-rpc.h>

#include "dp-wire-private.h"

#include "bank-rpc.h"
#include "tuple-server-rpc.h"

#include "fuzz-common.h"

#define MAX_MESSAGES 16

#define OPTION_TUPLE_SERVER 1
#define OPTION_NAMED 2

/* The serial of @request if it is a call that must be answered, else 0. */
static guint32
expected_serial (GVariant *request)
{
  guint32 serial;

  if (!g_variant_is_of_type (request, G_VARIANT_TYPE ("(su*)")))
    return 0;
  g_variant_get_child (request, 1, "u", &serial);
  return serial;
}

static void
check_reply (DpRpcServer *server,
             GVariant    *request,
             guint32      serial,
             GVariant    *reply)
{
  g_autoptr(GVariant) value = NULL;
  g_auto(GStrv) methods = NULL;
  const char *method;
  guint32 reply_serial;
  gboolean ok;

  if (reply == NULL)
    fuzz_fail ("call %u got no reply", serial);
  if (!g_variant_is_of_type (reply, G_VARIANT_TYPE (DP_RPC_REPLY_TYPE)))
    fuzz_fail ("call %u got a reply of type %s", serial, g_variant_get_type_string (reply));
  g_variant_get (reply, "(ubv)", &reply_serial, &ok, &value);
  if (reply_serial != serial)
    fuzz_fail ("call %u got the reply of call %u", serial, reply_serial);

  g_variant_get_child (request, 0, "&s", &method);
  if (ok)
    {
      g_autoptr(GVariant) args = g_variant_get_child_value (request, 2);

      methods = dp_rpc_server_list_methods (server);
      if (!g_strv_contains ((const char * const *) methods, method))
        fuzz_fail ("call %u of “%s”, which the server does not have, succeeded", serial, method);
      if (!g_variant_is_of_type (args, G_VARIANT_TYPE_TUPLE))
        fuzz_fail ("call %u of “%s” with arguments of type %s succeeded", serial, method,
                   g_variant_get_type_string (args));
    }
  else
    {
      const char *message;

      if (!g_variant_is_of_type (value, G_VARIANT_TYPE ("(sis)")))
        fuzz_fail ("call %u failed with a value of type %s", serial, g_variant_get_type_string (value));
      g_variant_get_child (value, 2, "&s", &message);
      if (message[0] == '\0')
        fuzz_fail ("call %u failed without saying why", serial);
      if (fuzz_verbose ())
        g_printerr ("call %u of “%s”: %s\n", serial, method, message);
    }
}

static void
init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      fuzz_init ();
      /* The tuple server's hello cast prints a line each time. */
      if (!fuzz_verbose ())
        {
          int null = open ("/dev/null", O_WRONLY | O_CLOEXEC);

          fflush (stdout);
          dup2 (null, STDOUT_FILENO);
          close (null);
        }
      g_once_init_leave (&done, 1);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(DpRpcServer) server = NULL;
  g_autoptr(DpPlaceChannel) place_end = NULL, creator_end = NULL;
  g_autoptr(DpPlaceChannel) reply_server_end = NULL, reply_client_end = NULL;
  g_autoptr(GPtrArray) requests = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  DpChannel *replies;
  guint8 option;
  gsize at = 1;

  init ();
  if (size < 1)
    return -1;
  option = data[0];

  server = (option & OPTION_TUPLE_SERVER) ? tuple_server_skeleton_new () : bank_skeleton_new ();
  dp_place_channel_new_pair (&place_end, &creator_end);
  if (option & OPTION_NAMED)
    dp_place_channel_new_pair (&reply_server_end, &reply_client_end);
  replies = DP_CHANNEL (option & OPTION_NAMED ? reply_client_end : creator_end);

  while (at < size && requests->len < MAX_MESSAGES)
    {
      const guint8 *nul = memchr (data + at, '\0', size - at);
      g_autofree char *type = NULL;
      g_autoptr(GVariant) request = NULL;
      g_autoptr(GVariant) message = NULL;
      gsize type_length, value_size;

      if (nul == NULL || (gsize) (data + size - nul) < 3)
        break;
      type_length = nul - (data + at);
      value_size = nul[1] | (nul[2] << 8);
      if ((gsize) (data + size - (nul + 3)) < value_size)
        break;
      type = g_strndup ((const char *) data + at, type_length);
      request = fuzz_message_new (type, type_length, nul + 3, value_size);
      if (request == NULL || dp_message_has_handles (request))
        break;
      at = (nul + 3 + value_size) - data;

      if (option & OPTION_NAMED)
        message = g_variant_ref_sink (g_variant_new ("(v@h)", request,
                                                     dp_channel_to_variant (DP_CHANNEL (reply_server_end))));
      else
        message = g_variant_ref (request);
      dp_rpc_server_handle (server, DP_CHANNEL (place_end), message);
      g_ptr_array_add (requests, g_steal_pointer (&request));
    }
  if (requests->len == 0)
    return -1;

  for (guint i = 0; i < requests->len; i++)
    {
      GVariant *request = g_ptr_array_index (requests, i);
      guint32 serial = expected_serial (request);

      if (serial != 0)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GVariant) reply = dp_channel_try_get (replies, &error);

          check_reply (server, request, serial, reply);
        }
    }
  /* Nothing else, on either channel. */
  for (guint i = 0; i < 2; i++)
    {
      DpChannel *channel = i == 0 ? DP_CHANNEL (creator_end) : DP_CHANNEL (reply_client_end);
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) extra = channel != NULL ? dp_channel_try_get (channel, &error) : NULL;

      if (extra != NULL)
        fuzz_fail ("a reply nobody asked for: %s", g_variant_get_type_string (extra));
    }

  dp_channel_close (DP_CHANNEL (place_end));
  dp_channel_close (DP_CHANNEL (creator_end));
  if (option & OPTION_NAMED)
    {
      dp_channel_close (DP_CHANNEL (reply_server_end));
      dp_channel_close (DP_CHANNEL (reply_client_end));
    }
  return 0;
}
