/* test-common.h: helpers shared by the dplaces test programs
 *
 * The place functions the tests run live in the test-places module
 * (tests/test-places.c), found through DPLACES_PLUGIN_PATH, which
 * tests/meson.build sets to the tests' build folder.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <string.h>
#include <sys/socket.h>

#include <dplaces/dplaces.h>

#include "test-timeouts.h"

/* The module of the test's place functions: a suite with a module of its
 * own defines TEST_MODULE before it includes this file. */
#ifndef TEST_MODULE
#define TEST_MODULE "test-places"
#endif

/* Long enough never to trip on a loaded machine or under valgrind, short
 * enough that a hang fails the test before meson's timeout. */
#define TEST_WAIT_USEC (test_timeout_multiplier () * 30 * G_USEC_PER_SEC)

/* g_test_message(), but on stderr in a subprocess of test_in_subprocess(),
 * whose stdout nobody sees. */
#define test_note(...) \
  G_STMT_START { \
    if (g_test_subprocess ()) \
      { \
        g_autofree char *test_note_text_ = g_strdup_printf (__VA_ARGS__); \
        g_printerr ("# %s\n", test_note_text_); \
      } \
    else \
      g_test_message (__VA_ARGS__); \
  } G_STMT_END

/* The number of messages the throughput tests send: DP_TEST_MESSAGES, or
 * @fallback. Lowered under valgrind. */
static inline guint64
test_message_count (guint64 fallback)
{
  const char *env = g_getenv ("DP_TEST_MESSAGES");
  guint64 count;

  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 1, G_MAXUINT64, &count, NULL))
    return count;
  return fallback;
}

/* Hands @end over: returns the handle to put in a message (floating) and
 * drops our reference, so that the place that takes it out of the message
 * is its only holder (the handle keeps it alive until then). */
static inline GVariant *
test_hand_over (DpPlaceChannel **end)
{
  GVariant *handle = dp_channel_to_variant (DP_CHANNEL (*end));

  g_clear_object (end);
  return handle;
}

/* Starts @function from the test module, failing the test if it cannot. */
static inline DpPlace *
test_place (const char *function)
{
  g_autoptr(GError) error = NULL;
  DpPlace *place = dp_dynamic_place (TEST_MODULE, function, &error);

  g_assert_no_error (error);
  g_assert_nonnull (place);
  return place;
}

/* Starts @function from the test module with @backend. */
static inline DpPlace *
test_place_with_backend (const char *function,
                         const char *backend)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpPlace) place = g_object_new (DP_TYPE_PLACE, "module", TEST_MODULE,
                                           "function", function, "backend", backend, NULL);

  g_assert_true (dp_place_start (place, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&place);
}

/* The two ends of a connection over a socket pair, not reading yet: @a
 * the side that opened it. */
static inline void
test_connection_pair (DpSocketConnection **a,
                      DpSocketConnection **b)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket_a = NULL;
  g_autoptr(GSocket) socket_b = NULL;
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  socket_a = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  socket_b = g_socket_new_from_fd (fds[1], &error);
  g_assert_no_error (error);
  *a = dp_socket_connection_new (socket_a, TRUE);
  *b = dp_socket_connection_new (socket_b, FALSE);
}

/* Gets the next message from @channel (any #DpChannel), failing the test
 * on an error or when nothing comes within TEST_WAIT_USEC. */
static inline GVariant *
test_get (gpointer channel)
{
  g_autoptr(GError) error = NULL;
  GVariant *message = dp_channel_get_timeout (DP_CHANNEL (channel), TEST_WAIT_USEC, &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

/* Puts @message on @channel (any #DpChannel), failing the test if it
 * cannot. */
static inline void
test_put (gpointer  channel,
          GVariant *message)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = dp_channel_put (DP_CHANNEL (channel), message, &error);

  /* The error first: it says why. */
  g_assert_no_error (error);
  g_assert_true (ok);
}

typedef struct {
  gint status;
  gboolean done;
} TestWait;

static inline void
test_wait_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  TestWait *wait = user_data;

  wait->status = dp_place_wait_finish (DP_PLACE (object), result, NULL);
  wait->done = TRUE;
}

static inline gboolean
test_wait_timeout_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* dp_place_wait(), but failing the test instead of hanging when the place
 * does not end within TEST_WAIT_USEC (a place waiting on a channel that
 * never closes, say). */
static inline gint
test_wait (DpPlace *place)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) timeout = g_timeout_source_new (TEST_WAIT_USEC / 1000);
  TestWait wait = { -1, FALSE };
  gboolean timed_out = FALSE;

  g_main_context_push_thread_default (context);
  g_source_set_callback (timeout, test_wait_timeout_cb, &timed_out, NULL);
  g_source_attach (timeout, context);
  dp_place_wait_async (place, NULL, test_wait_cb, &wait);
  while (!wait.done && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_main_context_pop_thread_default (context);

  if (!wait.done)
    {
      test_note ("place %s did not end", dp_place_get_name (place));
      g_assert_not_reached ();
    }
  return wait.status;
}

/* The first get on @channel fails — neither a message nor a get that
 * waited in vain for TEST_WAIT_USEC: returns why. */
static inline GError *
test_get_error (gpointer channel)
{
  GError *error = NULL;
  g_autoptr(GVariant) message = dp_channel_get_timeout (DP_CHANNEL (channel), TEST_WAIT_USEC, &error);

  if (message != NULL)
    {
      g_autofree char *text = g_variant_print (message, TRUE);

      g_error ("expected the get to fail, got %s", text);
    }
  g_assert_nonnull (error);
  g_assert_false (g_error_matches (error, DP_ERROR, DP_ERROR_TIMED_OUT));
  return error;
}

/* Asserts that a get on @channel fails with @code rather than returns a
 * message or blocks (for longer than @usec). */
#define test_assert_get_fails_within(channel, code, usec) \
  G_STMT_START { \
    g_autoptr(GError) test_error_ = NULL; \
    g_autoptr(GVariant) test_got_ = dp_channel_get_timeout ((channel), (usec), &test_error_); \
    if (test_got_ == NULL && test_error_ == NULL) \
      test_note ("a get on a dead channel blocked instead of failing"); \
    g_assert_null (test_got_); \
    g_assert_error (test_error_, DP_ERROR, (code)); \
  } G_STMT_END

#define test_assert_get_fails(channel, code) \
  test_assert_get_fails_within ((channel), (code), TEST_WAIT_USEC)

/* What a killed place saw, posted on the test module's board. */
static inline GVariant *
test_board_take (const char *key)
{
  typedef GVariant *(*TakeFunc) (const char *key, gint64 timeout_usec);
  g_autoptr(GError) error = NULL;
  TakeFunc take = (TakeFunc) dp_plugin_registry_lookup_symbol (dp_plugin_registry_get_default (),
                                                               TEST_MODULE, "test_board_take",
                                                               &error);
  GVariant *value;

  g_assert_no_error (error);
  value = take (key, TEST_WAIT_USEC);
  g_assert_nonnull (value);
  return value;
}

/* Asserts @value is the (is) error reply of a place: code @code. */
static inline void
test_assert_error_reply (GVariant *value,
                         gint      code)
{
  gint got;
  const char *message;

  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE ("(is)")));
  g_variant_get (value, "(i&s)", &got, &message);
  if (got != code)
    test_note ("the place's error: %s", message);
  g_assert_cmpint (got, ==, code);
}

/* Runs the calling test's body again in a subprocess; returns TRUE in the
 * subprocess, which runs the body, and FALSE in the parent, which reports
 * the subprocess's failure as this test's and lets the other tests run.
 * For tests whose failure must not take the rest of the program down:
 *
 *   if (!test_in_subprocess ())
 *     return;
 *
 * The subprocess may take @timeout_usec: suites whose tests take longer
 * than 2 × TEST_WAIT_USEC (test_in_subprocess()) say how long, under a
 * meson timeout to match. With DP_TEST_NO_SUBPROCESS set, the body runs
 * in this process (for a debugger). */
static inline gboolean
test_in_subprocess_within (gint64 timeout_usec)
{
  if (g_test_subprocess () || g_getenv ("DP_TEST_NO_SUBPROCESS") != NULL)
    return TRUE;

  g_test_trap_subprocess (NULL, timeout_usec, G_TEST_SUBPROCESS_INHERIT_STDERR);
  if (!g_test_trap_has_passed ())
    g_test_fail_printf ("the test failed in its subprocess (its stderr is in the log)");
  return FALSE;
}

static inline gboolean
test_in_subprocess (void)
{
  return test_in_subprocess_within (2 * TEST_WAIT_USEC);
}

/* A put waiting for its channel's receiver to consume (flow control), as
 * the monitor reports it: a test starts watching, starts a producer that
 * calls test_busy_produced() when it is done, and waits for whichever
 * comes first. No sleeping: the monitor's event comes as the put starts
 * waiting. */
typedef struct {
  GMutex lock;
  GCond cond;
  guint events;
  GVariant *first;          /* the first channel-busy event */
  gboolean produced;
  gulong handler;
} TestBusy;

static inline void
test_busy_event_cb (DpMonitor *monitor,
                    GVariant  *event,
                    TestBusy  *busy)
{
  const char *kind;

  if (!g_variant_lookup (event, "kind", "&s", &kind) ||
      !g_str_equal (kind, DP_MONITOR_EVENT_CHANNEL_BUSY))
    return;
  g_mutex_lock (&busy->lock);
  if (busy->events++ == 0)
    busy->first = g_variant_ref (event);
  g_cond_broadcast (&busy->cond);
  g_mutex_unlock (&busy->lock);
}

static inline void
test_busy_start (TestBusy *busy)
{
  memset (busy, 0, sizeof *busy);
  g_mutex_init (&busy->lock);
  g_cond_init (&busy->cond);
  busy->handler = g_signal_connect (dp_monitor_get_default (), "event",
                                    G_CALLBACK (test_busy_event_cb), busy);
}

/* For the producer, on its thread, once it put everything or failed. */
static inline void
test_busy_produced (TestBusy *busy)
{
  g_mutex_lock (&busy->lock);
  busy->produced = TRUE;
  g_cond_broadcast (&busy->cond);
  g_mutex_unlock (&busy->lock);
}

/* Returns TRUE once a put waits, FALSE if the producer ended first (or
 * nothing happened for @timeout_usec). */
static inline gboolean
test_busy_wait (TestBusy *busy,
                gint64    timeout_usec)
{
  gint64 end_time = g_get_monotonic_time () + timeout_usec;
  gboolean waited;

  g_mutex_lock (&busy->lock);
  while (busy->events == 0 && !busy->produced &&
         g_cond_wait_until (&busy->cond, &busy->lock, end_time))
    ;
  waited = busy->events > 0;
  g_mutex_unlock (&busy->lock);
  return waited;
}

static inline guint
test_busy_events (TestBusy *busy)
{
  guint events;

  g_mutex_lock (&busy->lock);
  events = busy->events;
  g_mutex_unlock (&busy->lock);
  return events;
}

static inline void
test_busy_stop (TestBusy *busy)
{
  g_signal_handler_disconnect (dp_monitor_get_default (), busy->handler);
  g_clear_pointer (&busy->first, g_variant_unref);
  g_mutex_clear (&busy->lock);
  g_cond_clear (&busy->cond);
}
