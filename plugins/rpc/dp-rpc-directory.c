/* dp-rpc-directory.c: the RPC servers of a keyfile's system
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-rpc"

#include <dplaces/dplaces.h>

#include "dp-rpc-directory.h"

/* In a program, the code that starts the servers holds their channels and
 * nodes, as master.rkt holds bank-place and remote-node. In a keyfile the
 * system starts them: the `rpc` service ([rpc] clients=…, servers=…) puts
 * a directory of them to each client place, which reads it with these.
 * Each client's directory holds connections of its own (DpConnections
 * over the system's channel to each server), so clients never take each
 * other's answers. */

static GVariant *
lookup_entry (GVariant    *directory,
              const char  *server,
              GError     **error)
{
  g_autoptr(GVariant) servers = NULL;
  GVariant *entry;

  g_return_val_if_fail (directory != NULL, NULL);
  g_return_val_if_fail (server != NULL, NULL);

  if (!g_variant_is_of_type (directory, G_VARIANT_TYPE (DP_RPC_DIRECTORY_TYPE)))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Not a directory of RPC servers (%s): a value of type %s",
                   DP_RPC_DIRECTORY_TYPE, g_variant_get_type_string (directory));
      return NULL;
    }

  servers = g_variant_get_child_value (directory, 1);
  entry = g_variant_lookup_value (servers, server, G_VARIANT_TYPE ("(hsqs)"));
  if (entry == NULL)
    g_set_error (error, DP_ERROR, DP_ERROR_NOT_FOUND,
                 "No RPC server “%s” in the directory: list it in the [rpc] group's servers=",
                 server);
  return entry;
}

/**
 * dp_rpc_directory_receive:
 * @channel: a client place's channel
 * @timeout_usec: how long to wait; negative waits for ever
 * @error: return location for a #GError
 *
 * Gets the directory the `rpc` service puts to a client place: its next
 * message once the system has started — after the place's
 * `initial-message`, if it has one, which the place gets first.
 *
 * Returns: (transfer full): the directory (%DP_RPC_DIRECTORY_TYPE), or
 *   %NULL with @error set
 */
GVariant *
dp_rpc_directory_receive (DpChannel  *channel,
                          gint64      timeout_usec,
                          GError    **error)
{
  g_autoptr(GVariant) message = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (DP_IS_CHANNEL (channel), NULL);

  message = dp_channel_get_timeout (channel, timeout_usec, &local_error);
  if (message == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, DP_ERROR, DP_ERROR_TIMED_OUT,
                     "No directory of RPC servers came: is the place listed in the [rpc] group's clients=?");
      return NULL;
    }
  if (!g_variant_is_of_type (message, G_VARIANT_TYPE (DP_RPC_DIRECTORY_TYPE)) ||
      g_strcmp0 (dp_message_get_tag (message), DP_RPC_DIRECTORY_TAG) != 0)
    {
      g_autofree char *text = g_variant_print (message, TRUE);

      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Expected the directory of RPC servers, got %.200s", text);
      return NULL;
    }
  return g_steal_pointer (&message);
}

/**
 * dp_rpc_directory_get_channel:
 * @directory: a directory from the `rpc` service
 * @server: the server's place name
 * @error: return location for a #GError
 *
 * The client's own connection to @server, over the system's channel to
 * it: how a private server (started with `supervise-place-at`) is called,
 * and a first connection to a named one. It closes when the server ends.
 * The place that takes it owns it.
 *
 * Returns: (transfer full): the channel, or %NULL with @error set
 */
DpChannel *
dp_rpc_directory_get_channel (GVariant    *directory,
                              const char  *server,
                              GError     **error)
{
  g_autoptr(GVariant) entry = lookup_entry (directory, server, error);
  g_autoptr(GVariant) handle = NULL;

  if (entry == NULL)
    return NULL;
  handle = g_variant_get_child_value (entry, 0);
  return dp_channel_from_variant (handle, error);
}

/**
 * dp_rpc_directory_lookup:
 * @directory: a directory from the `rpc` service
 * @server: the server's place name
 * @out_host: (out) (optional): its node's host; empty on a root node that
 *   does not listen
 * @out_port: (out) (optional): its node's port, or 0
 * @out_name: (out) (optional): its place name if it is named, else empty
 * @error: return location for a #GError
 *
 * Where @server is.
 *
 * Returns: %TRUE if @server is in @directory
 */
gboolean
dp_rpc_directory_lookup (GVariant    *directory,
                         const char  *server,
                         char       **out_host,
                         guint       *out_port,
                         char       **out_name,
                         GError     **error)
{
  g_autoptr(GVariant) entry = lookup_entry (directory, server, error);
  const char *host, *name;
  guint16 port;

  if (entry == NULL)
    return FALSE;
  g_variant_get (entry, "(h&sq&s)", NULL, &host, &port, &name);
  if (out_host != NULL)
    *out_host = g_strdup (host);
  if (out_port != NULL)
    *out_port = port;
  if (out_name != NULL)
    *out_name = g_strdup (name);
  return TRUE;
}

/**
 * dp_rpc_directory_connect:
 * @directory: a directory from the `rpc` service
 * @server: a named server's place name
 * @error: return location for a #GError
 *
 * Opens a new connection to the named server @server (the seeds'
 * `connect-to-named-place`): from any node when its node listens, from
 * the root's own places when it runs on the root.
 *
 * Returns: (transfer full): the connection, or %NULL with @error set
 */
DpChannel *
dp_rpc_directory_connect (GVariant    *directory,
                          const char  *server,
                          GError     **error)
{
  g_autofree char *host = NULL;
  g_autofree char *name = NULL;
  g_autoptr(DpPlace) place = NULL;
  guint port;

  if (!dp_rpc_directory_lookup (directory, server, &host, &port, &name, error))
    return NULL;
  if (name[0] == '\0')
    {
      g_set_error (error, DP_ERROR, DP_ERROR_REFUSED,
                   "RPC server “%s” is private: call it on its channel, or set named=true in its [place] group",
                   server);
      return NULL;
    }
  if (port != 0)
    return DP_CHANNEL (dp_connect_to_named_place_at (host, port, name, error));

  /* A named place of a root node that does not listen: reachable from
   * the root's own process only. */
  place = dp_node_lookup_place (dp_node_get_default (), name);
  if (place == NULL)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_NOT_FOUND,
                   "Named RPC server “%s” runs on the root node, which does not listen: "
                   "set listen-port= in [dplaces] to reach it from other nodes", server);
      return NULL;
    }
  return DP_CHANNEL (dp_connection_new (DP_CHANNEL (place), name));
}
