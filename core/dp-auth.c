/* dp-auth.c: the shared cookie, and proving we hold it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-auth"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "dp-auth-private.h"
#include "dp-error.h"
#include "dp-wire-private.h"

#define NONCE_SIZE 32
#define HANDSHAKE_FRAME_LIMIT 4096

static GMutex cookie_lock;
static GBytes *process_cookie;

/**
 * dp_cookie_get_process:
 *
 * Returns: (transfer full) (nullable): the cookie this process proves to
 *   other nodes: what the keyfile or the launcher gave
 */
GBytes *
dp_cookie_get_process (void)
{
  GBytes *cookie;

  g_mutex_lock (&cookie_lock);
  cookie = process_cookie != NULL ? g_bytes_ref (process_cookie) : NULL;
  g_mutex_unlock (&cookie_lock);

  return cookie;
}

/**
 * dp_cookie_set_process:
 * @cookie: (nullable): the cookie this process uses
 *
 * Sets the cookie this process proves to other nodes.
 */
void
dp_cookie_set_process (GBytes *cookie)
{
  g_mutex_lock (&cookie_lock);
  g_clear_pointer (&process_cookie, g_bytes_unref);
  process_cookie = cookie != NULL ? g_bytes_ref (cookie) : NULL;
  g_mutex_unlock (&cookie_lock);
}

/**
 * dp_cookie_derive_token:
 * @cookie: a cookie
 * @purpose: what the token is for, such as `dplaces-http-token`
 *
 * A secret for another use, derived from the cookie so that whoever holds
 * the cookie can compute it and the token does not reveal the cookie:
 * HMAC-SHA256 (@cookie, @purpose), in lowercase hexadecimal. The `http`
 * plugin's bearer token is `dp_cookie_derive_token (cookie,
 * "dplaces-http-token")` (`dplaces status --print-token` prints it).
 *
 * Returns: (transfer full): 64 hexadecimal digits
 */
char *
dp_cookie_derive_token (GBytes     *cookie,
                        const char *purpose)
{
  g_autoptr(GHmac) hmac = NULL;
  gsize size;
  const guchar *key;

  g_return_val_if_fail (cookie != NULL, NULL);
  g_return_val_if_fail (purpose != NULL, NULL);

  key = g_bytes_get_data (cookie, &size);
  hmac = g_hmac_new (G_CHECKSUM_SHA256, key, size);
  g_hmac_update (hmac, (const guchar *) purpose, -1);
  return g_strdup (g_hmac_get_string (hmac));
}

/**
 * dp_cookie_default_path:
 *
 * Returns: (transfer full): `$XDG_CONFIG_HOME/dplaces/cookie`
 */
char *
dp_cookie_default_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "dplaces", "cookie", NULL);
}

static gboolean
generate_cookie (const char  *path,
                 GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *hex = NULL;
  guint8 random[32];
  int fd;

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved_errno = errno;
      g_set_error (error, DP_ERROR, DP_ERROR_AUTH, "Cannot create %s: %s", dir,
                   g_strerror (saved_errno));
      return FALSE;
    }

  fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read (fd, random, sizeof random) != sizeof random)
    {
      if (fd >= 0)
        close (fd);
      g_set_error_literal (error, DP_ERROR, DP_ERROR_AUTH, "Cannot read /dev/urandom");
      return FALSE;
    }
  close (fd);

  hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, random, sizeof random);

  /* O_EXCL: two processes generating at once must agree on one. */
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;
      if (saved_errno == EEXIST)
        return TRUE;
      g_set_error (error, DP_ERROR, DP_ERROR_AUTH, "Cannot create cookie %s: %s", path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  if (write (fd, hex, strlen (hex)) != (ssize_t) strlen (hex) || write (fd, "\n", 1) != 1)
    {
      int saved_errno = errno;
      close (fd);
      g_set_error (error, DP_ERROR, DP_ERROR_AUTH, "Cannot write cookie %s: %s", path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  close (fd);
  g_message ("Generated a new cookie in %s", path);
  return TRUE;
}

/**
 * dp_cookie_load:
 * @path: (nullable): a cookie file, or %NULL for the default one, which
 *   is generated (mode 0600) on first use
 * @error: return location for a #GError
 *
 * Reads a cookie. Like Erlang, refuses a cookie file others may read.
 *
 * Returns: (transfer full): the cookie, or %NULL with @error set
 */
GBytes *
dp_cookie_load (const char  *path,
                GError     **error)
{
  g_autofree char *default_path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  struct stat st;
  gsize length;

  if (path == NULL)
    {
      path = default_path = dp_cookie_default_path ();
      if (!g_file_test (path, G_FILE_TEST_EXISTS) && !generate_cookie (path, error))
        return NULL;
    }

  if (g_stat (path, &st) < 0)
    {
      int saved_errno = errno;
      g_set_error (error, DP_ERROR, DP_ERROR_AUTH, "Cannot read cookie %s: %s", path,
                   g_strerror (saved_errno));
      return NULL;
    }
  if (st.st_mode & 077)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_AUTH,
                   "Cookie %s is readable by others (mode %03o); make it 0600", path,
                   st.st_mode & 0777);
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_AUTH, "Cannot read cookie: %s", local_error->message);
      return NULL;
    }
  g_strstrip (contents);
  if (strlen (contents) < DP_COOKIE_MIN_LENGTH)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_AUTH,
                   "Cookie %s is shorter than %d characters", path, DP_COOKIE_MIN_LENGTH);
      return NULL;
    }

  length = strlen (contents);
  return g_bytes_new_take (g_steal_pointer (&contents), length);
}

/* Blocking frame I/O, for the handshake only. */

static gboolean
write_frame (GSocket     *socket,
             guint8       kind,
             GVariant    *payload,
             GError     **error)
{
  guint8 header_bytes[DP_FRAME_HEADER_SIZE];
  DpFrameHeader header = { 0 };
  const char *type = g_variant_get_type_string (payload);
  gsize type_length = strlen (type);
  g_autofree guint8 *buffer = NULL;
  gsize payload_length = dp_align8 (type_length) + g_variant_get_size (payload);
  gsize total = DP_FRAME_HEADER_SIZE + payload_length;
  gsize done = 0;

  header.length = payload_length;
  header.kind = kind;
  header.type_length = type_length;
  dp_frame_header_encode (&header, header_bytes);

  buffer = g_malloc0 (total);
  memcpy (buffer, header_bytes, DP_FRAME_HEADER_SIZE);
  memcpy (buffer + DP_FRAME_HEADER_SIZE, type, type_length);
  g_variant_store (payload, buffer + DP_FRAME_HEADER_SIZE + dp_align8 (type_length));

  while (done < total)
    {
      gssize n = g_socket_send (socket, (const char *) buffer + done, total - done, NULL, error);
      if (n < 0)
        return FALSE;
      done += n;
    }
  return TRUE;
}

static gboolean
read_exact (GSocket  *socket,
            guint8   *buffer,
            gsize     size,
            GError  **error)
{
  gsize done = 0;

  while (done < size)
    {
      gssize n = g_socket_receive (socket, (char *) buffer + done, size - done, NULL, error);
      if (n < 0)
        return FALSE;
      if (n == 0)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_AUTH, "peer closed the connection %s",
                       done == 0 ? "during the handshake" : "in the middle of a frame");
          return FALSE;
        }
      done += n;
    }
  return TRUE;
}

static GVariant *
read_frame (GSocket      *socket,
            guint8        expected_kind,
            const char   *expected_type,
            GError      **error)
{
  guint8 header_bytes[DP_FRAME_HEADER_SIZE];
  DpFrameHeader header;
  g_autofree guint8 *payload = NULL;
  char type[64];
  g_autoptr(GBytes) bytes = NULL;
  GVariant *value;
  gsize offset;

  if (!read_exact (socket, header_bytes, DP_FRAME_HEADER_SIZE, error))
    return NULL;
  dp_frame_header_decode (header_bytes, &header);
  if (header.kind != expected_kind)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_AUTH,
                   "peer sent a frame of kind %u where the handshake expects kind %u",
                   header.kind, expected_kind);
      return NULL;
    }
  if (!dp_frame_header_check (&header, HANDSHAKE_FRAME_LIMIT, error))
    {
      g_prefix_error (error, "during the handshake: ");
      return NULL;
    }
  if (header.type_length != strlen (expected_type))
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_AUTH, "malformed handshake frame");
      return NULL;
    }

  payload = g_malloc (MAX (header.length, 1));
  if (!read_exact (socket, payload, header.length, error))
    return NULL;
  memcpy (type, payload, header.type_length);
  type[header.type_length] = '\0';
  if (strcmp (type, expected_type) != 0)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_AUTH, "malformed handshake frame");
      return NULL;
    }

  offset = dp_align8 (header.type_length);
  bytes = g_bytes_new (payload + offset, header.length - offset);
  value = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type), bytes, FALSE));
  if (!g_variant_is_normal_form (value))
    {
      g_variant_unref (value);
      g_set_error_literal (error, DP_ERROR, DP_ERROR_AUTH, "malformed handshake frame");
      return NULL;
    }
  return value;
}

static GBytes *
compute_proof (GBytes       *cookie,
               char          role,
               const guint8 *verifier_nonce,
               const guint8 *prover_nonce)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, g_bytes_get_data (cookie, NULL),
                                      g_bytes_get_size (cookie));
  guint8 digest[32];
  gsize digest_length = sizeof digest;

  g_hmac_update (hmac, (const guchar *) &role, 1);
  g_hmac_update (hmac, verifier_nonce, NONCE_SIZE);
  g_hmac_update (hmac, prover_nonce, NONCE_SIZE);
  g_hmac_get_digest (hmac, digest, &digest_length);

  return g_bytes_new (digest, digest_length);
}

static gboolean
constant_time_equal (GBytes *a,
                     GBytes *b)
{
  gsize n = g_bytes_get_size (a);
  const guint8 *x = g_bytes_get_data (a, NULL), *y = g_bytes_get_data (b, NULL);
  guint8 diff = 0;

  if (n != g_bytes_get_size (b))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    diff |= x[i] ^ y[i];
  return diff == 0;
}

/* Proves to the peer on @socket that we hold @cookie and checks that it
 * does, blocking for at most DP_HANDSHAKE_TIMEOUT_SECONDS. */
gboolean
dp_auth_handshake (GSocket     *socket,
                   GBytes      *cookie,
                   gboolean     initiator,
                   const char  *own_name,
                   char       **out_peer_name,
                   GError     **error)
{
  guint8 nonce[NONCE_SIZE];
  g_autoptr(GVariant) hello = NULL;
  g_autoptr(GVariant) peer_hello = NULL;
  g_autoptr(GVariant) peer_auth = NULL;
  g_autoptr(GVariant) peer_nonce_value = NULL;
  g_autoptr(GBytes) proof = NULL;
  g_autoptr(GBytes) expected = NULL;
  g_autoptr(GBytes) peer_proof = NULL;
  g_autoptr(GVariant) peer_proof_value = NULL;
  const char *magic, *peer_name;
  guint16 peer_min, peer_max;
  gboolean blocking = g_socket_get_blocking (socket);
  guint timeout = g_socket_get_timeout (socket);
  gboolean ok = FALSE;
  int fd;

  fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read (fd, nonce, sizeof nonce) != sizeof nonce)
    {
      if (fd >= 0)
        close (fd);
      g_set_error_literal (error, DP_ERROR, DP_ERROR_AUTH, "Cannot read /dev/urandom");
      return FALSE;
    }
  close (fd);

  g_socket_set_blocking (socket, TRUE);
  g_socket_set_timeout (socket, DP_HANDSHAKE_TIMEOUT_SECONDS);

  hello = g_variant_ref_sink (g_variant_new ("(sqq@ays)", DP_WIRE_MAGIC,
                                             (guint16) DP_WIRE_VERSION, (guint16) DP_WIRE_VERSION,
                                             g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, nonce, NONCE_SIZE, 1),
                                             own_name != NULL ? own_name : ""));
  if (!write_frame (socket, DP_FRAME_HELLO, hello, error))
    goto out;

  peer_hello = read_frame (socket, DP_FRAME_HELLO, "(sqqays)", error);
  if (peer_hello == NULL)
    goto out;
  g_variant_get (peer_hello, "(&sqq@ay&s)", &magic, &peer_min, &peer_max, &peer_nonce_value, &peer_name);
  if (g_strcmp0 (magic, DP_WIRE_MAGIC) != 0)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_AUTH, "peer is not a dplaces node");
      goto out;
    }
  if (peer_max < DP_WIRE_VERSION || peer_min > DP_WIRE_VERSION)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_AUTH,
                   "peer speaks wire versions %u to %u, we speak %u", peer_min, peer_max,
                   DP_WIRE_VERSION);
      goto out;
    }
  if (g_variant_n_children (peer_nonce_value) != NONCE_SIZE)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_AUTH, "malformed handshake frame");
      goto out;
    }

  proof = compute_proof (cookie, initiator ? 'C' : 'S',
                         g_variant_get_data (peer_nonce_value), nonce);
  {
    g_autoptr(GVariant) auth = g_variant_ref_sink (
      g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, g_bytes_get_data (proof, NULL),
                                 g_bytes_get_size (proof), 1));
    if (!write_frame (socket, DP_FRAME_AUTH, auth, error))
      goto out;
  }

  peer_proof_value = read_frame (socket, DP_FRAME_AUTH, "ay", error);
  if (peer_proof_value == NULL)
    goto out;
  peer_proof = g_variant_get_data_as_bytes (peer_proof_value);
  expected = compute_proof (cookie, initiator ? 'S' : 'C', nonce,
                            g_variant_get_data (peer_nonce_value));
  if (!constant_time_equal (peer_proof, expected))
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_AUTH,
                           "peer does not hold our cookie (authentication failed)");
      goto out;
    }

  if (out_peer_name != NULL)
    *out_peer_name = g_strdup (peer_name);
  ok = TRUE;

out:
  g_socket_set_timeout (socket, timeout);
  g_socket_set_blocking (socket, blocking);
  if (!ok && error != NULL && *error != NULL && (*error)->domain != DP_ERROR)
    {
      GError *wrapped = g_error_new (DP_ERROR, DP_ERROR_AUTH, "handshake failed: %s", (*error)->message);
      g_clear_error (error);
      *error = wrapped;
    }
  return ok;
}
