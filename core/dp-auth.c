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

/* The handshake, as a state machine driven by the socket's readiness on
 * the thread-default main context: a peer that stalls costs a descriptor
 * and this record, never a thread. dp_auth_handshake() runs the same
 * machine on a context of its own until it ends. */

typedef enum {
  STEP_SEND_HELLO,
  STEP_RECEIVE_HELLO,
  STEP_SEND_AUTH,
  STEP_RECEIVE_AUTH,
} Step;

typedef struct {
  GSocket *socket;
  GBytes *cookie;
  gboolean initiator;
  char *own_name;
  guint saved_timeout;

  Step step;
  guint8 nonce[NONCE_SIZE];
  GVariant *peer_nonce;       /* ay */
  char *peer_name;

  /* Sending: the frame, and how much of it went. */
  GBytes *out;
  gsize out_done;

  /* Receiving: the header, then the payload. */
  guint8 header_bytes[DP_FRAME_HEADER_SIZE];
  DpFrameHeader header;
  gboolean have_header;
  guint8 *in;
  gsize in_want;
  gsize in_done;

  /* Each holds a reference to the task while it is attached. */
  GSource *io_source;
  GSource *timeout_source;
  GSource *cancel_source;
} Handshake;

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
handshake_free (Handshake *hs)
{
  clear_source (&hs->io_source);
  clear_source (&hs->timeout_source);
  clear_source (&hs->cancel_source);
  g_object_unref (hs->socket);
  g_bytes_unref (hs->cookie);
  g_free (hs->own_name);
  g_clear_pointer (&hs->peer_nonce, g_variant_unref);
  g_free (hs->peer_name);
  g_clear_pointer (&hs->out, g_bytes_unref);
  g_free (hs->in);
  g_free (hs);
}

/* A frame carrying @payload (sunk), ready to send. */
static GBytes *
encode_frame (guint8    kind,
              GVariant *payload)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (payload);
  DpFrameHeader header = { 0 };
  const char *type = g_variant_get_type_string (owned);
  gsize type_length = strlen (type);
  gsize payload_length = dp_align8 (type_length) + g_variant_get_size (owned);
  gsize total = DP_FRAME_HEADER_SIZE + payload_length;
  guint8 *buffer = g_malloc0 (total);

  header.length = payload_length;
  header.kind = kind;
  header.type_length = type_length;
  dp_frame_header_encode (&header, buffer);
  memcpy (buffer + DP_FRAME_HEADER_SIZE, type, type_length);
  g_variant_store (owned, buffer + DP_FRAME_HEADER_SIZE + dp_align8 (type_length));
  return g_bytes_new_take (buffer, total);
}

/* What the handshake expects of a frame's header. */
static gboolean
check_header (const DpFrameHeader  *header,
              guint8                expected_kind,
              const char           *expected_type,
              GError              **error)
{
  if (header->kind != expected_kind)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_AUTH,
                   "peer sent a frame of kind %u where the handshake expects kind %u",
                   header->kind, expected_kind);
      return FALSE;
    }
  if (!dp_frame_header_check (header, HANDSHAKE_FRAME_LIMIT, error))
    {
      g_prefix_error (error, "during the handshake: ");
      return FALSE;
    }
  if (header->type_length != strlen (expected_type))
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_AUTH, "malformed handshake frame");
      return FALSE;
    }
  return TRUE;
}

/* The value a frame's payload carries, checked like any received one. */
static GVariant *
parse_payload (const DpFrameHeader  *header,
               const guint8         *payload,
               const char           *expected_type,
               GError              **error)
{
  g_autoptr(GBytes) bytes = NULL;
  gsize offset = dp_align8 (header->type_length);
  GVariant *value;

  if (memcmp (payload, expected_type, header->type_length) != 0)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_AUTH, "malformed handshake frame");
      return NULL;
    }
  bytes = g_bytes_new (payload + offset, header->length - offset);
  value = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (expected_type), bytes, FALSE));
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

/* The frame of the step we enter, or what it waits for. */
static void
enter_step (Handshake *hs,
            Step       step)
{
  hs->step = step;
  g_clear_pointer (&hs->out, g_bytes_unref);
  hs->out_done = 0;
  hs->have_header = FALSE;
  g_clear_pointer (&hs->in, g_free);
  hs->in_want = DP_FRAME_HEADER_SIZE;
  hs->in_done = 0;

  switch (step)
    {
    case STEP_SEND_HELLO:
      hs->out = encode_frame (DP_FRAME_HELLO,
                              g_variant_new ("(sqq@ays)", DP_WIRE_MAGIC,
                                             (guint16) DP_WIRE_VERSION, (guint16) DP_WIRE_VERSION,
                                             g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, hs->nonce,
                                                                        NONCE_SIZE, 1),
                                             hs->own_name));
      break;

    case STEP_SEND_AUTH:
      {
        g_autoptr(GBytes) proof = compute_proof (hs->cookie, hs->initiator ? 'C' : 'S',
                                                 g_variant_get_data (hs->peer_nonce), hs->nonce);

        hs->out = encode_frame (DP_FRAME_AUTH,
                                g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                           g_bytes_get_data (proof, NULL),
                                                           g_bytes_get_size (proof), 1));
      }
      break;

    case STEP_RECEIVE_HELLO:
    case STEP_RECEIVE_AUTH:
      break;
    }
}

/* The peer's HELLO: who it is, what it speaks, its nonce. */
static gboolean
take_hello (Handshake  *hs,
            GVariant   *hello,
            GError    **error)
{
  const char *magic, *peer_name;
  guint16 peer_min, peer_max;

  g_variant_get (hello, "(&sqq@ay&s)", &magic, &peer_min, &peer_max, &hs->peer_nonce, &peer_name);
  if (g_strcmp0 (magic, DP_WIRE_MAGIC) != 0)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_AUTH, "peer is not a dplaces node");
      return FALSE;
    }
  if (peer_max < DP_WIRE_VERSION || peer_min > DP_WIRE_VERSION)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_AUTH,
                   "peer speaks wire versions %u to %u, we speak %u", peer_min, peer_max,
                   DP_WIRE_VERSION);
      return FALSE;
    }
  if (g_variant_n_children (hs->peer_nonce) != NONCE_SIZE)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_AUTH, "malformed handshake frame");
      return FALSE;
    }
  hs->peer_name = g_strdup (peer_name);
  return TRUE;
}

/* The peer's AUTH: its proof that it holds our cookie. */
static gboolean
take_auth (Handshake  *hs,
           GVariant   *auth,
           GError    **error)
{
  g_autoptr(GBytes) peer_proof = g_variant_get_data_as_bytes (auth);
  g_autoptr(GBytes) expected = compute_proof (hs->cookie, hs->initiator ? 'S' : 'C', hs->nonce,
                                              g_variant_get_data (hs->peer_nonce));

  if (!constant_time_equal (peer_proof, expected))
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_AUTH,
                           "peer does not hold our cookie (authentication failed)");
      return FALSE;
    }
  return TRUE;
}

/* Sends or receives what the step still needs without blocking. Returns
 * TRUE when the step is complete, FALSE with @error on a failure or
 * without when the socket must be waited for. */
static gboolean
run_io (Handshake  *hs,
        GError    **error)
{
  if (hs->out != NULL)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (hs->out, &size);

      while (hs->out_done < size)
        {
          gssize n = g_socket_send_with_blocking (hs->socket, (const char *) data + hs->out_done,
                                                  size - hs->out_done, FALSE, NULL, error);
          if (n < 0)
            return FALSE;
          hs->out_done += n;
        }
      return TRUE;
    }

  for (;;)
    {
      guint8 *buffer = hs->have_header ? hs->in : hs->header_bytes;

      while (hs->in_done < hs->in_want)
        {
          gssize n = g_socket_receive_with_blocking (hs->socket, (char *) buffer + hs->in_done,
                                                     hs->in_want - hs->in_done, FALSE, NULL, error);
          if (n < 0)
            return FALSE;
          if (n == 0)
            {
              g_set_error (error, DP_ERROR, DP_ERROR_AUTH, "peer closed the connection %s",
                           !hs->have_header && hs->in_done == 0 ? "during the handshake"
                                                                : "in the middle of a frame");
              return FALSE;
            }
          hs->in_done += n;
        }
      if (hs->have_header)
        return TRUE;

      /* The header is in: check it before reading a byte of payload. */
      dp_frame_header_decode (hs->header_bytes, &hs->header);
      if (!check_header (&hs->header,
                         hs->step == STEP_RECEIVE_HELLO ? DP_FRAME_HELLO : DP_FRAME_AUTH,
                         hs->step == STEP_RECEIVE_HELLO ? "(sqqays)" : "ay", error))
        return FALSE;
      hs->have_header = TRUE;
      hs->in = g_malloc (MAX (hs->header.length, 1));
      hs->in_want = hs->header.length;
      hs->in_done = 0;
    }
}

/* Attaches @source to the task's context; it holds the task meanwhile. */
static GSource *
attach (GTask       *task,
        GSource     *source,
        GSourceFunc  callback)
{
  g_source_set_callback (source, callback, g_object_ref (task), g_object_unref);
  g_source_attach (source, g_task_get_context (task));
  return source;
}

/* Ends the handshake: nothing watches the socket any more, which gets its
 * timeout back. */
static void
stop (GTask *task)
{
  Handshake *hs = g_task_get_task_data (task);

  clear_source (&hs->io_source);
  clear_source (&hs->timeout_source);
  clear_source (&hs->cancel_source);
  g_socket_set_timeout (hs->socket, hs->saved_timeout);
}

static void
fail (GTask  *task,
      GError *error)
{
  stop (task);
  g_task_return_error (task, error);
}

static gboolean io_ready_cb (GSocket      *socket,
                             GIOCondition  condition,
                             gpointer      data);

/* Runs steps until the handshake is done, fails, or must wait. */
static void
advance (GTask *task)
{
  Handshake *hs = g_task_get_task_data (task);

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) value = NULL;

      if (!run_io (hs, &error))
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              GSource *source = g_socket_create_source (hs->socket, hs->out != NULL ? G_IO_OUT
                                                                                      : G_IO_IN,
                                                        NULL);

              hs->io_source = attach (task, source, G_SOURCE_FUNC (io_ready_cb));
              return;
            }
          fail (task, g_steal_pointer (&error));
          return;
        }

      switch (hs->step)
        {
        case STEP_SEND_HELLO:
          enter_step (hs, STEP_RECEIVE_HELLO);
          break;

        case STEP_RECEIVE_HELLO:
          value = parse_payload (&hs->header, hs->in, "(sqqays)", &error);
          if (value == NULL || !take_hello (hs, value, &error))
            {
              fail (task, g_steal_pointer (&error));
              return;
            }
          /* We prove ourselves, then check the peer. */
          enter_step (hs, STEP_SEND_AUTH);
          break;

        case STEP_SEND_AUTH:
          enter_step (hs, STEP_RECEIVE_AUTH);
          break;

        case STEP_RECEIVE_AUTH:
          value = parse_payload (&hs->header, hs->in, "ay", &error);
          if (value == NULL || !take_auth (hs, value, &error))
            {
              fail (task, g_steal_pointer (&error));
              return;
            }
          stop (task);
          g_task_return_pointer (task, g_strdup (hs->peer_name), g_free);
          return;
        }
    }
}

/* The socket is ready for what the step waits for. */
static gboolean
io_ready_cb (GSocket      *socket,
             GIOCondition  condition,
             gpointer      data)
{
  GTask *task = data;
  Handshake *hs = g_task_get_task_data (task);

  /* Removed when we return: forget it first. */
  g_clear_pointer (&hs->io_source, g_source_unref);
  advance (task);
  return G_SOURCE_REMOVE;
}

static gboolean
timed_out_cb (gpointer data)
{
  GTask *task = data;

  fail (task, g_error_new (DP_ERROR, DP_ERROR_AUTH, "handshake timed out after %d s",
                           DP_HANDSHAKE_TIMEOUT_SECONDS));
  return G_SOURCE_REMOVE;
}

static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      data)
{
  GTask *task = data;

  fail (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "handshake cancelled"));
  return G_SOURCE_REMOVE;
}

/**
 * dp_auth_handshake_async:
 * @socket: a connected stream socket, nothing read or written on it yet
 * @cookie: the cookie both sides must hold
 * @initiator: whether we connected (role `C`) or accepted (role `S`)
 * @own_name: (nullable): how we describe ourselves to the peer
 * @cancellable: (nullable): cancels the handshake
 * @callback: called in the thread-default main context when it ends
 * @user_data: data for @callback
 *
 * Proves to the peer on @socket that we hold @cookie and checks that it
 * does, without blocking: the socket is watched from the thread-default
 * main context, and the handshake fails after
 * DP_HANDSHAKE_TIMEOUT_SECONDS.
 */
void
dp_auth_handshake_async (GSocket             *socket,
                         GBytes              *cookie,
                         gboolean             initiator,
                         const char          *own_name,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Handshake *hs = g_new0 (Handshake, 1);
  int fd;

  g_task_set_source_tag (task, dp_auth_handshake_async);
  hs->socket = g_object_ref (socket);
  hs->cookie = g_bytes_ref (cookie);
  hs->initiator = initiator;
  hs->own_name = g_strdup (own_name != NULL ? own_name : "");
  /* Our reads and writes never block, and the deadline is ours: a
   * socket timeout would wake the watch early. */
  hs->saved_timeout = g_socket_get_timeout (socket);
  g_socket_set_timeout (socket, 0);
  g_task_set_task_data (task, hs, (GDestroyNotify) handshake_free);

  fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read (fd, hs->nonce, sizeof hs->nonce) != sizeof hs->nonce)
    {
      if (fd >= 0)
        close (fd);
      fail (task, g_error_new_literal (DP_ERROR, DP_ERROR_AUTH, "Cannot read /dev/urandom"));
      return;
    }
  close (fd);

  hs->timeout_source = attach (task, g_timeout_source_new_seconds (DP_HANDSHAKE_TIMEOUT_SECONDS),
                               timed_out_cb);
  if (cancellable != NULL)
    hs->cancel_source = attach (task, g_cancellable_source_new (cancellable),
                                G_SOURCE_FUNC (cancelled_cb));

  enter_step (hs, STEP_SEND_HELLO);
  advance (task);
}

/**
 * dp_auth_handshake_finish:
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the name the peer gave, or %NULL with @error
 *   set (%DP_ERROR_AUTH, or %G_IO_ERROR_CANCELLED)
 */
char *
dp_auth_handshake_finish (GAsyncResult  *result,
                          GError       **error)
{
  GError *local_error = NULL;
  char *peer_name = g_task_propagate_pointer (G_TASK (result), &local_error);

  if (peer_name == NULL && local_error->domain != DP_ERROR &&
      !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_AUTH, "handshake failed: %s", local_error->message);
      g_error_free (local_error);
      return NULL;
    }
  if (peer_name == NULL)
    g_propagate_error (error, local_error);
  return peer_name;
}

typedef struct {
  gboolean done;
  char *peer_name;
  GError *error;
} Blocking;

static void
blocking_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  Blocking *blocking = data;

  blocking->peer_name = dp_auth_handshake_finish (result, &blocking->error);
  blocking->done = TRUE;
}

/* Proves to the peer on @socket that we hold @cookie and checks that it
 * does, blocking for at most DP_HANDSHAKE_TIMEOUT_SECONDS: the
 * asynchronous handshake, run on a main context of its own. */
gboolean
dp_auth_handshake (GSocket     *socket,
                   GBytes      *cookie,
                   gboolean     initiator,
                   const char  *own_name,
                   char       **out_peer_name,
                   GError     **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  Blocking blocking = { FALSE, NULL, NULL };

  g_main_context_push_thread_default (context);
  dp_auth_handshake_async (socket, cookie, initiator, own_name, NULL, blocking_done_cb, &blocking);
  while (!blocking.done)
    g_main_context_iteration (context, TRUE);
  /* What the handshake left on the context (its task) goes now. */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);

  if (blocking.peer_name == NULL)
    {
      g_propagate_error (error, blocking.error);
      return FALSE;
    }
  if (out_peer_name != NULL)
    *out_peer_name = g_steal_pointer (&blocking.peer_name);
  g_free (blocking.peer_name);
  return TRUE;
}
