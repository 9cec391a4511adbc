/* test-wire.c: the wire protocol by hand, for tests that play a peer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "test-wire.h"

/* A plain TCP connection to 127.0.0.1:@port. */
GSocketConnection *
test_raw_connect (guint port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  g_socket_client_set_enable_proxy (client, FALSE);
  /* Also the socket's I/O timeout: a read never hangs the test. */
  g_socket_client_set_timeout (client, 10);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (connection);
  return connection;
}

void
test_raw_send (GSocket       *socket,
               gconstpointer  data,
               gsize          size)
{
  gsize done = 0;

  while (done < size)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send (socket, (const char *) data + done, size - done, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (n, >, 0);
      done += n;
    }
}

void
test_raw_receive_exact (GSocket *socket,
                        guint8  *buffer,
                        gsize    size)
{
  gsize done = 0;

  while (done < size)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive (socket, (char *) buffer + done, size - done, NULL, &error);

      g_assert_no_error (error);
      if (n == 0)
        g_error ("the node closed the connection after %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
                 " bytes", done, size);
      done += n;
    }
}

/* Reads until the node closes the connection: TRUE on end of file, FALSE
 * (with @why) if the read failed or timed out. */
gboolean
test_raw_read_to_eof (GSocket  *socket,
                      gsize    *out_bytes,
                      char    **why)
{
  char buffer[4096];

  *out_bytes = 0;
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error);

      if (n == 0)
        return TRUE;
      if (n < 0)
        {
          *why = g_strdup (error->message);
          return FALSE;
        }
      *out_bytes += n;
    }
}

void
test_raw_encode_header (guint8  out[TEST_FRAME_HEADER_SIZE],
                        guint32 length,
                        guint8  kind,
                        guint16 type_length,
                        guint32 channel,
                        guint32 aux)
{
  guint32 le32;
  guint16 le16;

  le32 = GUINT32_TO_LE (length);
  memcpy (out, &le32, 4);
  out[4] = kind;
  out[5] = 0;
  le16 = GUINT16_TO_LE (type_length);
  memcpy (out + 6, &le16, 2);
  le32 = GUINT32_TO_LE (channel);
  memcpy (out + 8, &le32, 4);
  le32 = GUINT32_TO_LE (aux);
  memcpy (out + 12, &le32, 4);
}

/* A frame carrying @value (sunk if floating): header, type string,
 * padding to 8, value. */
void
test_raw_send_value (GSocket  *socket,
                     guint8    kind,
                     GVariant *value)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (value);
  const char *type = g_variant_get_type_string (owned);
  gsize type_length = strlen (type);
  gsize padded = (type_length + 7) & ~(gsize) 7;
  gsize size = g_variant_get_size (owned);
  g_autofree guint8 *frame = g_malloc0 (TEST_FRAME_HEADER_SIZE + padded + size);

  test_raw_encode_header (frame, padded + size, kind, type_length, 0, 0);
  memcpy (frame + TEST_FRAME_HEADER_SIZE, type, type_length);
  g_variant_store (owned, frame + TEST_FRAME_HEADER_SIZE + padded);
  test_raw_send (socket, frame, TEST_FRAME_HEADER_SIZE + padded + size);
}

/* Reads a handshake frame of @kind carrying a value of @type. */
GVariant *
test_raw_receive_value (GSocket    *socket,
                        guint8      kind,
                        const char *type)
{
  guint8 header[TEST_FRAME_HEADER_SIZE];
  guint32 length;
  guint16 type_length;
  gsize padded;
  g_autofree guint8 *payload = NULL;
  g_autoptr(GBytes) bytes = NULL;
  GVariant *value;

  test_raw_receive_exact (socket, header, sizeof header);
  memcpy (&length, header, 4);
  length = GUINT32_FROM_LE (length);
  memcpy (&type_length, header + 6, 2);
  type_length = GUINT16_FROM_LE (type_length);
  g_assert_cmpuint (header[4], ==, kind);
  g_assert_cmpuint (length, <=, 4096);
  g_assert_cmpuint (type_length, ==, strlen (type));

  payload = g_malloc (length);
  test_raw_receive_exact (socket, payload, length);
  g_assert_cmpmem (payload, type_length, type, strlen (type));
  padded = (type_length + 7) & ~(gsize) 7;
  g_assert_cmpuint (padded, <=, length);
  bytes = g_bytes_new (payload + padded, length - padded);
  value = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type), bytes, FALSE));
  g_assert_true (g_variant_is_normal_form (value));
  return value;
}

/* HMAC-SHA256 (cookie, role ‖ verifier's nonce ‖ prover's nonce). */
static GBytes *
proof (const char   *cookie,
       char          role,
       const guint8 *verifier_nonce,
       const guint8 *prover_nonce)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) cookie, strlen (cookie));
  guint8 digest[32];
  gsize length = sizeof digest;

  g_hmac_update (hmac, (const guchar *) &role, 1);
  g_hmac_update (hmac, verifier_nonce, 32);
  g_hmac_update (hmac, prover_nonce, 32);
  g_hmac_get_digest (hmac, digest, &length);
  return g_bytes_new (digest, length);
}

/* The handshake's first frame, as the connecting side, with a fresh
 * @nonce. */
void
test_raw_send_hello (GSocket *socket,
                     guint8   nonce[32])
{
  for (guint i = 0; i < 32; i++)
    nonce[i] = (guint8) g_random_int_range (0, 256);

  test_raw_send_value (socket, TEST_FRAME_HELLO,
                       g_variant_new ("(sqq@ays)", "DPLACES", (guint16) 1, (guint16) 1,
                                      g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, nonce, 32, 1),
                                      "raw-test-peer"));
}

/* The handshake, as the connecting side, proving @cookie. Checks the
 * node's proof against @node_cookie, the one it holds. */
void
test_raw_handshake (GSocket    *socket,
                    const char *cookie,
                    const char *node_cookie)
{
  guint8 nonce[32];
  g_autoptr(GVariant) hello = NULL;
  g_autoptr(GVariant) node_nonce = NULL;
  g_autoptr(GVariant) node_auth = NULL;
  g_autoptr(GBytes) mine = NULL;
  g_autoptr(GBytes) expected = NULL;
  const char *magic, *name;
  guint16 low, high;

  test_raw_send_hello (socket, nonce);
  hello = test_raw_receive_value (socket, TEST_FRAME_HELLO, "(sqqays)");
  g_variant_get (hello, "(&sqq@ay&s)", &magic, &low, &high, &node_nonce, &name);
  g_assert_cmpstr (magic, ==, "DPLACES");
  g_assert_cmpuint (low, <=, 1);
  g_assert_cmpuint (high, >=, 1);
  g_assert_cmpuint (g_variant_n_children (node_nonce), ==, 32);

  mine = proof (cookie, 'C', g_variant_get_data (node_nonce), nonce);
  test_raw_send_value (socket, TEST_FRAME_AUTH,
                       g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, g_bytes_get_data (mine, NULL),
                                                  g_bytes_get_size (mine), 1));

  /* The node proves itself before it checks us. */
  node_auth = test_raw_receive_value (socket, TEST_FRAME_AUTH, "ay");
  expected = proof (node_cookie, 'S', nonce, g_variant_get_data (node_nonce));
  g_assert_cmpmem (g_variant_get_data (node_auth), g_variant_get_size (node_auth),
                   g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}
