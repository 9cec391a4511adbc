/* rpc-test-places.c: the places of the rpc tests (rpc-test-places.so, found
 * through DPLACES_PLUGIN_PATH here and on the nodes the tests spawn)
 *
 *   make_counter           the counter server: counter.rpc.json's skeleton
 *                          (generated) with the handlers below
 *   runtime_server         a server written without the generator
 *                          (GVariant in, GVariant out)
 *   counter_client_place   a client on some node: connects to the named
 *                          counter by address, makes its calls, checks each
 *                          answer, reports
 *   directory_client_place a client place of a keyfile: gets (id, calls) as
 *                          its initial message, then the [rpc] service's
 *                          directory, and calls the counter through it
 *   rpc_test_wake_sleeper  for a test running the counter in its own
 *                          process: ends a sleep call's sleep
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>

#include <gio/gio.h>

#include "counter-rpc.h"

G_MODULE_EXPORT void     runtime_server         (DpChannel *ch);
G_MODULE_EXPORT void     counter_client_place   (DpChannel *ch);
G_MODULE_EXPORT void     directory_client_place (DpChannel *ch);
G_MODULE_EXPORT gboolean rpc_test_wake_sleeper  (gint64     timeout_usec);

#define PLACE_WAIT_USEC (30 * G_USEC_PER_SEC)

/* ── the counter's handlers ────────────────────────────────────────── */

gint64
counter_handle_incr (CounterState  *state,
                     gint32         id,
                     GError       **error)
{
  gint64 *count = g_hash_table_lookup (state->counts, GINT_TO_POINTER (id));

  if (count == NULL)
    {
      count = g_new0 (gint64, 1);
      g_hash_table_insert (state->counts, GINT_TO_POINTER (id), count);
    }
  state->total++;
  return ++*count;
}

gint64
counter_handle_total (CounterState  *state,
                      GError       **error)
{
  return state->total;
}

gint64
counter_handle_count (CounterState  *state,
                      gint32         id,
                      GError       **error)
{
  gint64 *count = g_hash_table_lookup (state->counts, GINT_TO_POINTER (id));

  return count != NULL ? *count : 0;
}

void
counter_handle_hello (CounterState *state)
{
  state->hellos++;
}

gint64
counter_handle_hellos (CounterState  *state,
                       GError       **error)
{
  return state->hellos;
}

/* Sleepers, which a test that runs the server in its own process can wake
 * (rpc_test_wake_sleeper): the test knows the server is still in the call
 * then, and need not wait the whole sleep for what comes after. */
static GMutex sleep_lock;
static GCond sleep_cond;
static guint sleepers;
static guint wake_ups;    /* for the sleepers, one each */

gboolean
counter_handle_sleep (CounterState  *state,
                      guint32        ms,
                      GError       **error)
{
  gint64 end_time = g_get_monotonic_time () + (gint64) ms * 1000;

  dp_rpc_log_to_parent (DP_LOG_INFO, "sleeping %u ms", ms);
  g_mutex_lock (&sleep_lock);
  sleepers++;
  g_cond_broadcast (&sleep_cond);
  while (wake_ups == 0 && g_cond_wait_until (&sleep_cond, &sleep_lock, end_time))
    ;
  if (wake_ups > 0)
    wake_ups--;
  sleepers--;
  g_mutex_unlock (&sleep_lock);
  return TRUE;
}

/* Waits up to @timeout_usec for a sleep call to be in its sleep, and ends
 * the sleep: returns FALSE when none was (or came). */
G_MODULE_EXPORT gboolean
rpc_test_wake_sleeper (gint64 timeout_usec)
{
  gint64 end_time = g_get_monotonic_time () + timeout_usec;
  gboolean woken;

  g_mutex_lock (&sleep_lock);
  while (sleepers <= wake_ups && g_cond_wait_until (&sleep_cond, &sleep_lock, end_time))
    ;
  woken = sleepers > wake_ups;
  if (woken)
    {
      wake_ups++;
      g_cond_broadcast (&sleep_cond);
    }
  g_mutex_unlock (&sleep_lock);
  return woken;
}

char *
counter_handle_fail (CounterState  *state,
                     gboolean       known_domain,
                     GError       **error)
{
  if (known_domain)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such thing");
  else
    g_set_error (error, g_quark_from_static_string ("rpc-test-server-only-error-quark"), 42,
                 "an error the client cannot name");
  return NULL;
}

gboolean
counter_handle_die (CounterState  *state,
                    gint32         status,
                    GError       **error)
{
  dp_place_exit (status);
}

gboolean
counter_handle_crash (CounterState  *state,
                      GError       **error)
{
  abort ();
}

void
counter_handle_log (CounterState *state,
                    const char   *severity,
                    const char   *message)
{
  DpLogSeverity level = DP_LOG_INFO;

  if (g_str_equal (severity, "warning"))
    level = DP_LOG_WARNING;
  else if (g_str_equal (severity, "debug"))
    level = DP_LOG_DEBUG;
  dp_rpc_log_to_parent (level, "%s", message);
}

gboolean
counter_handle_echo_b (CounterState  *state,
                       gboolean       b,
                       GError       **error)
{
  return b;
}

guint8
counter_handle_echo_y (CounterState  *state,
                       guint8         y,
                       GError       **error)
{
  return y;
}

gint16
counter_handle_echo_n (CounterState  *state,
                       gint16         n,
                       GError       **error)
{
  return n;
}

guint16
counter_handle_echo_q (CounterState  *state,
                       guint16        q,
                       GError       **error)
{
  return q;
}

guint32
counter_handle_echo_u (CounterState  *state,
                       guint32        u,
                       GError       **error)
{
  return u;
}

guint64
counter_handle_echo_t (CounterState  *state,
                       guint64        t,
                       GError       **error)
{
  return t;
}

gdouble
counter_handle_echo_d (CounterState  *state,
                       gdouble        d,
                       GError       **error)
{
  return d;
}

char *
counter_handle_echo_s (CounterState  *state,
                       const char    *s,
                       GError       **error)
{
  return g_strdup (s);
}

char **
counter_handle_echo_as (CounterState        *state,
                        const char * const  *strv,
                        GError             **error)
{
  return g_strdupv ((char **) strv);
}

GVariant *
counter_handle_echo_v (CounterState  *state,
                       GVariant      *v,
                       GError       **error)
{
  return g_variant_ref (v);
}

GVariant *
counter_handle_echo_dict (CounterState  *state,
                          GVariant      *dict,
                          GError       **error)
{
  return g_variant_ref (dict);
}

char *
counter_handle_concat (CounterState  *state,
                       const char    *a,
                       gint64         n,
                       gdouble        d,
                       gboolean       flag,
                       GVariant      *pair,
                       GError       **error)
{
  const char *word;
  gint32 number;

  g_variant_get (pair, "(&si)", &word, &number);
  return g_strdup_printf ("%s %" G_GINT64_FORMAT " %g %s %s %d", a, n, d, flag ? "yes" : "no",
                          word, number);
}

gboolean
counter_handle_ping_channel (CounterState  *state,
                             DpChannel     *ch,
                             GError       **error)
{
  return dp_channel_put (ch, g_variant_new_string ("pong"), error);
}

DpChannel *
counter_handle_new_channel (CounterState  *state,
                            GError       **error)
{
  DpPlaceChannel *ours, *theirs;

  dp_place_channel_new_pair (&ours, &theirs);
  dp_channel_put (DP_CHANNEL (ours), g_variant_new_string ("hello"), NULL);
  /* Our end goes: what it put stays readable on theirs. */
  g_object_unref (ours);
  return DP_CHANNEL (theirs);
}

/* ── a server without the generator ────────────────────────────────── */

static GVariant *
runtime_greet (DpRpcServer  *server,
               GVariant     *args,
               gpointer      user_data,
               GError      **error)
{
  const char *who;

  g_variant_get (args, "(&s)", &who);
  return g_variant_new_take_string (g_strdup_printf ("%s, %s", (const char *) user_data, who));
}

/* Declared to answer s, answers an x: the server catches its own bug. */
static GVariant *
runtime_wrong_reply (DpRpcServer  *server,
                     GVariant     *args,
                     gpointer      user_data,
                     GError      **error)
{
  return g_variant_new_int64 (7);
}

/* Any tuple: answers how many items it had. */
static GVariant *
runtime_count_args (DpRpcServer  *server,
                    GVariant     *args,
                    gpointer      user_data,
                    GError      **error)
{
  return g_variant_new_uint32 ((guint32) g_variant_n_children (args));
}

static GVariant *
runtime_quit (DpRpcServer  *server,
              GVariant     *args,
              gpointer      user_data,
              GError      **error)
{
  dp_rpc_server_quit (server);
  return NULL;
}

G_MODULE_EXPORT void
runtime_server (DpChannel *ch)
{
  g_autoptr(DpRpcServer) server = dp_rpc_server_new ("runtime");

  dp_rpc_server_add_rpc (server, "greet", "(s)", "s", runtime_greet, g_strdup ("Hello"), g_free);
  dp_rpc_server_add_rpc (server, "wrong-reply", "()", "s", runtime_wrong_reply, NULL, NULL);
  dp_rpc_server_add_rpc (server, "count-args", "r", "u", runtime_count_args, NULL, NULL);
  dp_rpc_server_add_rpc (server, "quit", NULL, NULL, runtime_quit, NULL, NULL);
  dp_rpc_server_run (server, ch);
  /* After quit: say so on the creator's channel. */
  dp_channel_put (ch, g_variant_new_string ("server ended"), NULL);
}

/* ── a client ──────────────────────────────────────────────────────── */

/* Its creator sends (host, port, name, id, calls): connect to the named
 * counter, call incr (id) that many times, check that the n-th answer is
 * n, then report (id, right answers, first problem or ""). */
G_MODULE_EXPORT void
counter_client_place (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) config = dp_channel_get_timeout (ch, PLACE_WAIT_USEC, &error);
  g_autoptr(DpRemoteConnection) server = NULL;
  g_autofree char *problem = NULL;
  const char *host, *name;
  guint16 port;
  gint32 id, calls, right = 0;

  if (config == NULL || !g_variant_is_of_type (config, G_VARIANT_TYPE ("(sqsii)")))
    {
      dp_channel_put (ch, g_variant_new ("(iis)", -1, 0, "bad configuration"), NULL);
      return;
    }
  g_variant_get (config, "(&sq&sii)", &host, &port, &name, &id, &calls);

  server = dp_connect_to_named_place_at (host, port, name, &error);
  if (server == NULL)
    problem = g_strdup_printf ("connecting: %s", error->message);

  for (gint32 i = 0; problem == NULL && i < calls; i++)
    {
      gint64 n = counter_incr (DP_CHANNEL (server), id, &error);

      if (error != NULL)
        problem = g_strdup_printf ("call %d: %s", i + 1, error->message);
      else if (n != i + 1)
        problem = g_strdup_printf ("call %d answered %" G_GINT64_FORMAT, i + 1, n);
      else
        right++;
    }

  dp_channel_put (ch, g_variant_new ("(iis)", id, right, problem != NULL ? problem : ""), NULL);
}

/* A keyfile's client: (id, calls) first, then the directory of the [rpc]
 * service. Prints "client ID: N right" and ends with status 0 when every
 * answer was the one expected; with calls < 0 it fails at once
 * (status 3). */
G_MODULE_EXPORT void
directory_client_place (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) config = dp_channel_get_timeout (ch, PLACE_WAIT_USEC, &error);
  g_autoptr(GVariant) directory = NULL;
  g_autoptr(DpChannel) counter = NULL;
  gint32 id, calls, right = 0;

  if (config == NULL || !g_variant_is_of_type (config, G_VARIANT_TYPE ("(ii)")))
    dp_place_exit (2);
  g_variant_get (config, "(ii)", &id, &calls);
  if (calls < 0)
    dp_place_exit (3);

  directory = dp_rpc_directory_receive (ch, PLACE_WAIT_USEC, &error);
  if (directory != NULL)
    counter = dp_rpc_directory_get_channel (directory, "counter", &error);
  if (counter == NULL)
    {
      g_printerr ("client %d: %s\n", id, error->message);
      dp_place_exit (4);
    }

  for (gint32 i = 0; i < calls; i++)
    {
      gint64 n = counter_incr (counter, id, &error);

      if (error != NULL)
        {
          g_printerr ("client %d: call %d: %s\n", id, i + 1, error->message);
          break;
        }
      if (n == i + 1)
        right++;
    }

  dp_printf_f ("client %d: %d right\n", id, right);
  if (right != calls)
    dp_place_exit (1);
}
