/* dp-rpc-client.c: calling an RPC server
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-rpc"

#include <dplaces/dplaces.h>

#include "dp-rpc-client.h"
#include "dp-rpc-error.h"

/* A call puts (method, serial, args) on the server's channel and gets from
 * the same channel until the reply with its serial comes. A private
 * server (started with supervise-place-at) answers on its creator's
 * channel; a named one on the reply channel of the connection the request
 * came through (see DpConnection): either way the answer arrives where
 * the caller gets.
 *
 * One call at a time per channel: a second thread calling on the same
 * channel waits for the first (within its own timeout), so neither takes
 * the other's reply. A reply that arrives after its call gave up is
 * recognised by its serial and dropped by the next call. */

typedef struct {
  GMutex lock;
  GCond cond;
  gboolean busy;          /* a call is waiting for its reply */
  gint64 timeout_usec;    /* DP_RPC_TIMEOUT_DEFAULT: the process default */
} CallState;

static gint64 default_timeout_usec = DP_RPC_DEFAULT_TIMEOUT_USEC;
static GMutex call_states_lock;
static guint32 last_serial;

static GQuark
call_state_quark (void)
{
  return g_quark_from_static_string ("dp-rpc-call-state");
}

static void
call_state_free (gpointer data)
{
  CallState *state = data;

  g_mutex_clear (&state->lock);
  g_cond_clear (&state->cond);
  g_free (state);
}

/* The call state of @dest's endpoint: whatever object stands for the
 * channel (a place, a remote connection, the endpoint itself), calls on
 * it share one state. Lives as long as the endpoint. */
static CallState *
call_state_get (DpChannel *dest)
{
  DpPlaceChannel *endpoint = dp_channel_get_endpoint (dest);
  CallState *state;

  g_mutex_lock (&call_states_lock);
  state = g_object_get_qdata (G_OBJECT (endpoint), call_state_quark ());
  if (state == NULL)
    {
      state = g_new0 (CallState, 1);
      g_mutex_init (&state->lock);
      g_cond_init (&state->cond);
      state->timeout_usec = DP_RPC_TIMEOUT_DEFAULT;
      g_object_set_qdata_full (G_OBJECT (endpoint), call_state_quark (), state, call_state_free);
    }
  g_mutex_unlock (&call_states_lock);

  return state;
}

/* Waits until no other call is under way on @state, or until @end_time
 * (-1: for ever). */
static gboolean
call_state_acquire (CallState *state,
                    gint64     end_time)
{
  g_mutex_lock (&state->lock);
  while (state->busy)
    {
      if (end_time < 0)
        g_cond_wait (&state->cond, &state->lock);
      else if (!g_cond_wait_until (&state->cond, &state->lock, end_time))
        {
          g_mutex_unlock (&state->lock);
          return FALSE;
        }
    }
  state->busy = TRUE;
  g_mutex_unlock (&state->lock);
  return TRUE;
}

static void
call_state_release (CallState *state)
{
  g_mutex_lock (&state->lock);
  state->busy = FALSE;
  g_cond_signal (&state->cond);
  g_mutex_unlock (&state->lock);
}

static guint32
next_serial (void)
{
  guint32 serial;

  /* 0 means a cast: skip it when the counter wraps. */
  do
    serial = (guint32) g_atomic_int_add ((gint *) &last_serial, 1) + 1;
  while (serial == 0);
  return serial;
}

static gint64
resolve_timeout (CallState *state,
                 gint64     timeout_usec)
{
  if (timeout_usec < 0)
    {
      g_mutex_lock (&state->lock);
      timeout_usec = state->timeout_usec;
      g_mutex_unlock (&state->lock);
    }
  if (timeout_usec < 0)
    timeout_usec = dp_rpc_get_default_timeout ();
  return timeout_usec;
}

/* A failed put or get on the server's channel, as the caller sees it: a
 * server that is not there (a node refused the connection to its name) is
 * not one that died. */
static void
set_channel_error (GError      **error,
                   const GError *cause,
                   const char   *method)
{
  if (g_error_matches (cause, DP_ERROR, DP_ERROR_KILLED))
    g_propagate_error (error, g_error_copy (cause));
  else if (g_error_matches (cause, DP_ERROR, DP_ERROR_NOT_FOUND))
    g_set_error (error, DP_ERROR, DP_ERROR_NOT_FOUND, "RPC %s: %s", method, cause->message);
  else
    g_set_error (error, DP_RPC_ERROR, DP_RPC_ERROR_SERVER_DIED,
                 "RPC %s: the server is gone: %s", method, cause->message);
}

/* The error a failed reply carries. Domains this process does not know
 * become DP_RPC_ERROR_FAILED: quarks are never freed, so names from the
 * wire are looked up, not made. */
static void
set_remote_error (GError    **error,
                  GVariant   *value,
                  const char *method)
{
  const char *domain_name, *message;
  gint32 code;
  GQuark domain;

  if (!g_variant_is_of_type (value, G_VARIANT_TYPE (DP_RPC_ERROR_VALUE_TYPE)))
    {
      g_set_error (error, DP_RPC_ERROR, DP_RPC_ERROR_INVALID_REPLY,
                   "RPC %s failed with an error of type %s instead of %s", method,
                   g_variant_get_type_string (value), DP_RPC_ERROR_VALUE_TYPE);
      return;
    }

  g_variant_get (value, "(&si&s)", &domain_name, &code, &message);
  /* Our own domain is one the server may answer in. */
  dp_rpc_error_quark ();
  domain = dp_error_domain_lookup (domain_name);
  if (domain != 0)
    g_set_error_literal (error, domain, code, message);
  else
    g_set_error (error, DP_RPC_ERROR, DP_RPC_ERROR_FAILED, "%s (%s %d)", message, domain_name, code);
}

/**
 * dp_rpc_call_full:
 * @dest: the server: a private server's place or remote connection, or a
 *   connection to a named server
 * @method: the method's name, such as `set`
 * @args: (transfer floating) (nullable): the arguments, a tuple; %NULL
 *   for none
 * @reply_type: (nullable): the type the result must have, or %NULL for
 *   any
 * @timeout_usec: how long to wait for the answer, in microseconds;
 *   %DP_RPC_TIMEOUT_DEFAULT or %DP_RPC_TIMEOUT_NONE
 * @error: return location for a #GError
 *
 * Calls @method of the RPC server at @dest and waits for its result: the
 * client side of the seeds' `define-rpc` without the generated stub
 * (GVariant in, GVariant out).
 *
 * The server checks @args against its interface. Errors: the server's
 * own (an unknown method, arguments of the wrong type, its handler's
 * error, in the handler's domain when this process knows it), and the
 * call's — %DP_RPC_ERROR_SERVER_DIED when the server, its node or the way
 * to it is gone, %DP_ERROR_NOT_FOUND when @dest is a connection to a
 * named server that is not there (no place by its name on its node),
 * %DP_RPC_ERROR_TIMED_OUT when no answer came in time,
 * %DP_RPC_ERROR_INVALID_REPLY when the result is not of @reply_type.
 *
 * Calls on one channel from several threads take turns.
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 */
GVariant *
dp_rpc_call_full (DpChannel          *dest,
                  const char         *method,
                  GVariant           *args,
                  const GVariantType *reply_type,
                  gint64              timeout_usec,
                  GError            **error)
{
  g_autoptr(GVariant) owned_args = NULL;
  g_autoptr(GError) local_error = NULL;
  GVariant *result = NULL;
  CallState *state;
  guint32 serial;
  gint64 end_time;

  g_return_val_if_fail (DP_IS_CHANNEL (dest), NULL);
  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (args == NULL || g_variant_is_of_type (args, G_VARIANT_TYPE_TUPLE), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  owned_args = g_variant_ref_sink (args != NULL ? args : g_variant_new ("()"));
  state = call_state_get (dest);
  timeout_usec = resolve_timeout (state, timeout_usec);
  end_time = timeout_usec == DP_RPC_TIMEOUT_NONE ? -1
             : g_get_monotonic_time () + MIN (timeout_usec, G_MAXINT64 / 2);

  if (!call_state_acquire (state, end_time))
    {
      g_set_error (error, DP_RPC_ERROR, DP_RPC_ERROR_TIMED_OUT,
                   "RPC %s timed out after %.3g s, waiting for another call on the same channel",
                   method, timeout_usec / (gdouble) G_USEC_PER_SEC);
      return NULL;
    }

  serial = next_serial ();
  if (!dp_channel_put (dest, g_variant_new ("(su@r)", method, serial, owned_args), &local_error))
    {
      set_channel_error (error, local_error, method);
      goto out;
    }

  for (;;)
    {
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GVariant) value = NULL;
      guint32 reply_serial;
      gboolean ok;

      if (end_time < 0)
        reply = dp_channel_get (dest, &local_error);
      else
        {
          gint64 remaining = end_time - g_get_monotonic_time ();

          if (remaining > 0)
            reply = dp_channel_get_timeout (dest, remaining, &local_error);
        }

      if (reply == NULL && local_error == NULL)
        {
          g_set_error (error, DP_RPC_ERROR, DP_RPC_ERROR_TIMED_OUT,
                       "RPC %s timed out: no answer within %.3g s", method,
                       timeout_usec / (gdouble) G_USEC_PER_SEC);
          goto out;
        }
      if (reply == NULL)
        {
          set_channel_error (error, local_error, method);
          goto out;
        }

      if (!g_variant_is_of_type (reply, G_VARIANT_TYPE (DP_RPC_REPLY_TYPE)))
        {
          g_autofree char *text = g_variant_print (reply, TRUE);

          g_warning ("RPC %s: dropped a message that is not an RPC reply: %.200s", method, text);
          continue;
        }

      g_variant_get (reply, "(ub@v)", &reply_serial, &ok, &value);
      if (reply_serial != serial)
        {
          g_debug ("RPC %s: dropped the late reply of call %u", method, reply_serial);
          continue;
        }

      if (!ok)
        {
          g_autoptr(GVariant) inner = g_variant_get_variant (value);

          set_remote_error (error, inner, method);
          goto out;
        }

      result = g_variant_get_variant (value);
      if (reply_type != NULL && !g_variant_is_of_type (result, reply_type))
        {
          g_autofree char *expected = g_variant_type_dup_string (reply_type);

          g_set_error (error, DP_RPC_ERROR, DP_RPC_ERROR_INVALID_REPLY,
                       "RPC %s answered a value of type %s, expected %s", method,
                       g_variant_get_type_string (result), expected);
          g_clear_pointer (&result, g_variant_unref);
        }
      goto out;
    }

out:
  call_state_release (state);
  return result;
}

/**
 * dp_rpc_call:
 * @dest: the server's channel
 * @method: the method's name
 * @args: (transfer floating) (nullable): the arguments, a tuple; %NULL
 *   for none
 * @reply_type: (nullable): the type the result must have, or %NULL
 * @error: return location for a #GError
 *
 * [func@Dp.rpc_call_full] with the channel's timeout.
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 */
GVariant *
dp_rpc_call (DpChannel          *dest,
             const char         *method,
             GVariant           *args,
             const GVariantType *reply_type,
             GError            **error)
{
  return dp_rpc_call_full (dest, method, args, reply_type, DP_RPC_TIMEOUT_DEFAULT, error);
}

/**
 * dp_rpc_cast:
 * @dest: the server's channel
 * @method: the method's name
 * @args: (transfer floating) (nullable): the arguments, a tuple; %NULL
 *   for none
 * @error: return location for a #GError
 *
 * Sends @method and @args to the server without waiting for anything:
 * the client side of the seeds' `define-cast`. A cast the server cannot
 * run (an unknown method, arguments of the wrong type) is logged to the
 * server's parent, since nobody waits for an answer.
 *
 * Returns: %TRUE if sent; %FALSE with %DP_RPC_ERROR_SERVER_DIED when the
 *   server is known to be gone, or %DP_ERROR_NOT_FOUND when it is known
 *   not to be there
 */
gboolean
dp_rpc_cast (DpChannel   *dest,
             const char  *method,
             GVariant    *args,
             GError     **error)
{
  g_autoptr(GVariant) owned_args = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (DP_IS_CHANNEL (dest), FALSE);
  g_return_val_if_fail (method != NULL, FALSE);
  g_return_val_if_fail (args == NULL || g_variant_is_of_type (args, G_VARIANT_TYPE_TUPLE), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  owned_args = g_variant_ref_sink (args != NULL ? args : g_variant_new ("()"));
  if (!dp_channel_put (dest, g_variant_new ("(su@r)", method, (guint32) 0, owned_args), &local_error))
    {
      set_channel_error (error, local_error, method);
      return FALSE;
    }
  return TRUE;
}

/**
 * dp_rpc_channel_set_timeout:
 * @dest: a server's channel
 * @timeout_usec: the timeout of calls on @dest, in microseconds;
 *   %DP_RPC_TIMEOUT_DEFAULT for the process default, %DP_RPC_TIMEOUT_NONE
 *   for none
 *
 * Sets how long calls on @dest wait for their answer, generated stubs
 * included.
 */
void
dp_rpc_channel_set_timeout (DpChannel *dest,
                            gint64     timeout_usec)
{
  CallState *state;

  g_return_if_fail (DP_IS_CHANNEL (dest));

  state = call_state_get (dest);
  g_mutex_lock (&state->lock);
  state->timeout_usec = timeout_usec < 0 ? DP_RPC_TIMEOUT_DEFAULT : timeout_usec;
  g_mutex_unlock (&state->lock);
}

/**
 * dp_rpc_channel_get_timeout:
 * @dest: a server's channel
 *
 * Returns: the timeout of calls on @dest, or %DP_RPC_TIMEOUT_DEFAULT
 */
gint64
dp_rpc_channel_get_timeout (DpChannel *dest)
{
  CallState *state;
  gint64 timeout_usec;

  g_return_val_if_fail (DP_IS_CHANNEL (dest), DP_RPC_TIMEOUT_DEFAULT);

  state = call_state_get (dest);
  g_mutex_lock (&state->lock);
  timeout_usec = state->timeout_usec;
  g_mutex_unlock (&state->lock);
  return timeout_usec;
}

/**
 * dp_rpc_set_default_timeout:
 * @timeout_usec: microseconds, or %DP_RPC_TIMEOUT_NONE; negative restores
 *   %DP_RPC_DEFAULT_TIMEOUT_USEC
 *
 * Sets the timeout of calls on channels without one of their own, in
 * this process.
 */
void
dp_rpc_set_default_timeout (gint64 timeout_usec)
{
  __atomic_store_n (&default_timeout_usec,
                    timeout_usec < 0 ? DP_RPC_DEFAULT_TIMEOUT_USEC : timeout_usec,
                    __ATOMIC_RELAXED);
}

/**
 * dp_rpc_get_default_timeout:
 *
 * Returns: the timeout of calls on channels without one of their own
 */
gint64
dp_rpc_get_default_timeout (void)
{
  return __atomic_load_n (&default_timeout_usec, __ATOMIC_RELAXED);
}
