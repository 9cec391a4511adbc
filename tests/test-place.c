/* test-place.c: places (threads backend) — completion values (return 0,
 * dp_place_exit(), kill 1), what a kill does to channels (the peer's
 * blocked get fails with DP_ERROR_PEER_DIED, the killed place's own get
 * with DP_ERROR_KILLED, puts on a dead channel fail), channels sent in
 * messages (the dissertation's buyer and seller), and the errors for
 * unknown modules and symbols.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "test-common.h"

static void
test_exit_return (void)
{
  g_autoptr(DpPlace) place = test_place ("return_place");

  g_assert_cmpint (dp_place_wait (place), ==, 0);
  g_assert_true (dp_place_has_exited (place));
  g_assert_cmpint (dp_place_get_exit_status (place), ==, 0);
  g_assert_nonnull (dp_place_get_exit_reason (place));
  /* Waiting again gives the same. */
  g_assert_cmpint (dp_place_wait (place), ==, 0);
  /* Killing an ended place changes nothing. */
  dp_place_kill (place);
  g_assert_cmpint (dp_place_wait (place), ==, 0);
}

static void
test_exit_status (gconstpointer data)
{
  gint status = GPOINTER_TO_INT (data);
  g_autoptr(DpPlace) place = test_place ("exit_with_place");
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) got = NULL;

  test_put (DP_CHANNEL (place), g_variant_new_int32 (status));
  g_assert_cmpint (dp_place_wait (place), ==, status);
  g_assert_cmpint (dp_place_get_exit_status (place), ==, status);

  /* Its channel is dead: the get fails with the place's fate, and so does
   * a put — nothing is dropped silently. */
  g_assert_null (dp_channel_get (DP_CHANNEL (place), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
  g_clear_error (&error);
  g_assert_false (dp_channel_put (DP_CHANNEL (place), g_variant_new_string ("anyone?"), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
}

/* dp_place_exit() in a threads place frees the place function's
 * g_autoptr() locals on its way out, as returning does. They leaked: the
 * thread ended with pthread_exit(), which unwinds the stack without running
 * cleanups when the code has no unwind tables for them (-fexceptions). */
static void
test_exit_frees_locals (void)
{
  g_autoptr(DpPlace) place = test_place_with_backend ("exit_with_locals_place", "threads");
  g_autoptr(GVariant) freed = NULL;

  test_put (DP_CHANNEL (place), g_variant_new_int32 (3));
  g_assert_cmpint (test_wait (place), ==, 3);
  freed = test_board_take ("exit-with-locals");
  g_assert_true (g_variant_get_boolean (freed));
}

/* What a place put before it ended is still there to get; then the get
 * fails. */
static void
test_dead_channel_drains (void)
{
  g_autoptr(DpPlace) place = test_place ("sender_place");
  g_autoptr(DpPlaceChannel) mine = NULL;
  g_autoptr(DpPlaceChannel) theirs = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  dp_place_channel_new_pair (&mine, &theirs);
  test_put (DP_CHANNEL (place), g_variant_new ("(@hav)", test_hand_over (&theirs), NULL));
  g_assert_cmpint (dp_place_wait (place), ==, 0);

  reply = dp_channel_get (DP_CHANNEL (place), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_type_string (reply), ==, "(su)");
  g_assert_null (dp_channel_get (DP_CHANNEL (place), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
  g_assert_true (dp_channel_is_closed (DP_CHANNEL (place)));
}

static void
wait_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  gint *status = user_data;
  g_autoptr(GError) error = NULL;

  *status = dp_place_wait_finish (DP_PLACE (object), result, &error);
  g_assert_no_error (error);
}

static void
exited_cb (DpPlace *place,
           gint     status,
           gpointer user_data)
{
  gint *signalled = user_data;

  *signalled = status;
}

/* place-dead-evt: dp_place_wait_async() and ::exited, in the context that
 * started the place. */
static void
test_wait_async (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(DpPlace) place = NULL;
  gint status = -1, signalled = -1;

  g_main_context_push_thread_default (context);
  place = test_place ("exit_with_place");
  g_signal_connect (place, "exited", G_CALLBACK (exited_cb), &signalled);
  dp_place_wait_async (place, NULL, wait_cb, &status);
  test_put (DP_CHANNEL (place), g_variant_new_int32 (5));

  while (status == -1 || signalled == -1)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  g_assert_cmpint (status, ==, 5);
  g_assert_cmpint (signalled, ==, 5);

  /* On an ended place the wait completes at once (in the next iteration). */
  status = -1;
  g_main_context_push_thread_default (context);
  dp_place_wait_async (place, NULL, wait_cb, &status);
  while (status == -1)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  g_assert_cmpint (status, ==, 5);
}

/* Kill a place from another thread while the main thread is blocked in a
 * get on it. */
static gpointer
kill_thread (gpointer data)
{
  dp_place_kill (data);
  return NULL;
}

static void
test_kill_unblocks_peer_get (void)
{
  g_autoptr(DpPlace) place = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) seen = NULL;
  g_autoptr(GVariant) ack = NULL;
  GThread *killer;

  if (!test_in_subprocess ())
    return;

  place = test_place ("block_place");
  ack = test_get (DP_CHANNEL (place));
  g_assert_cmpstr (g_variant_get_string (ack, NULL), ==, "blocking");

  killer = g_thread_new ("killer", kill_thread, place);
  /* Blocks until the kill: the place never puts anything. */
  g_assert_null (dp_channel_get (DP_CHANNEL (place), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
  test_note ("the get failed with: %s", error->message);
  g_thread_join (killer);

  g_assert_cmpint (dp_place_wait (place), ==, 1);
  g_assert_true (dp_place_has_exited (place));
  g_assert_cmpint (dp_place_get_exit_status (place), ==, 1);

  /* The killed place's own get woke up with DP_ERROR_KILLED. */
  seen = test_board_take ("block_place");
  test_assert_error_reply (seen, DP_ERROR_KILLED);

  /* A put on the dead place fails. */
  g_clear_error (&error);
  g_assert_false (dp_channel_put (DP_CHANNEL (place), g_variant_new_string ("hello?"), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
}

/* A killed place's completion value is 1, however its code races the
 * kill: a place woken by the kill must not report its own exit (0) first.
 * Batches of blocked places are killed back to back, so that woken places
 * run while the next kill is under way. */
static void
test_kill_status_always_1 (void)
{
  const guint batch = 8;
  const guint n_batches = CLAMP (test_message_count (1000000) / 2000, 5, 500);
  guint n_wrong = 0;

  if (!test_in_subprocess ())
    return;

  for (guint b = 0; b < n_batches; b++)
    {
      g_autoptr(GPtrArray) places = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < batch; i++)
        g_ptr_array_add (places, test_place ("block_place"));
      /* Each is in (or about to enter) its get. */
      for (guint i = 0; i < batch; i++)
        {
          g_autoptr(GVariant) ack = test_get (g_ptr_array_index (places, i));
        }
      for (guint i = 0; i < batch; i++)
        dp_place_kill (g_ptr_array_index (places, i));
      for (guint i = 0; i < batch; i++)
        {
          DpPlace *place = g_ptr_array_index (places, i);
          gint status = dp_place_wait (place);

          if (status != 1)
            {
              if (n_wrong < 10)
                test_note ("kill %u: status %d (%s)", b * batch + i, status,
                           dp_place_get_exit_reason (place));
              n_wrong++;
            }
        }
      /* Let the places' code finish before the next batch. */
      for (guint i = 0; i < batch; i++)
        {
          g_autoptr(GVariant) seen = test_board_take ("block_place");
        }
    }
  if (n_wrong > 0)
    test_note ("%u of %u killed places ended with a status other than 1", n_wrong,
               n_batches * batch);
  g_assert_cmpuint (n_wrong, ==, 0);
}

/* After a kill, the killed place's next channel operations fail with
 * DP_ERROR_KILLED (dp_place_kill()'s documentation): its put does not go
 * through, its sync does not block. */
static void
test_kill_then_put (void)
{
  g_autoptr(DpPlace) place = NULL;
  g_autoptr(GVariant) seen = NULL;
  g_autoptr(GVariant) leaked = NULL;
  g_autoptr(GError) error = NULL;
  gboolean put_ok;
  gint put_code, sync_code;

  if (!test_in_subprocess ())
    return;

  place = test_place ("put_after_kill_place");
  dp_place_kill (place);
  g_assert_cmpint (dp_place_wait (place), ==, 1);
  seen = test_board_take ("put_after_kill");
  g_variant_get (seen, "(bii)", &put_ok, &put_code, &sync_code);
  g_assert_cmpint (sync_code, ==, DP_ERROR_KILLED);

  /* Nothing the killed place put reached us. */
  leaked = dp_channel_try_get (DP_CHANNEL (place), &error);
  if (leaked != NULL)
    {
      g_autofree char *text = g_variant_print (leaked, TRUE);
      test_note ("a killed place's put arrived: %s", text);
    }
  g_assert_null (leaked);
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);

  g_assert_false (put_ok);
  g_assert_cmpint (put_code, ==, DP_ERROR_KILLED);
}

/* Starts sync_place over one channel and waits until it is in its sync
 * (or about to be); @a is the end the test keeps. */
static DpPlace *
start_syncing_place (DpPlaceChannel **a)
{
  DpPlace *place = test_place ("sync_place");
  g_autoptr(DpPlaceChannel) b = NULL;
  g_autoptr(GVariant) ack = NULL;

  dp_place_channel_new_pair (a, &b);
  test_put (DP_CHANNEL (place), g_variant_new ("(@ahx)", g_variant_new_array (G_VARIANT_TYPE_HANDLE,
                                                  (GVariant *[]) { test_hand_over (&b) }, 1),
                                               (gint64) -1));
  ack = test_get (DP_CHANNEL (place));
  g_assert_cmpstr (g_variant_get_string (ack, NULL), ==, "syncing");
  return place;
}

/* A place blocked in a sync wakes with DP_ERROR_KILLED. */
static void
test_kill_wakes_sync (void)
{
  g_autoptr(DpPlace) place = NULL;
  g_autoptr(DpPlaceChannel) a = NULL;
  g_autoptr(GVariant) seen = NULL;
  g_autoptr(GVariant) error_reply = NULL;
  gint index;

  if (!test_in_subprocess ())
    return;

  place = start_syncing_place (&a);
  dp_place_kill (place);
  seen = test_board_take ("sync_place");
  g_variant_get (seen, "(i@mv@(is))", &index, NULL, &error_reply);
  test_assert_error_reply (error_reply, DP_ERROR_KILLED);
  dp_place_wait (place);
  g_assert_true (dp_place_has_exited (place));
}

/* A killed place's channels close, also one its code still held when the
 * kill came (here: the one it was syncing on). Once its code has ended,
 * the other end knows: puts fail, gets fail rather than block. */
static void
test_kill_closes_held_channel (void)
{
  g_autoptr(DpPlace) place = NULL;
  g_autoptr(DpPlaceChannel) a = NULL;
  g_autoptr(GVariant) seen = NULL;
  g_autoptr(GVariant) got = NULL;
  g_autoptr(GError) error = NULL;

  if (!test_in_subprocess ())
    return;

  place = start_syncing_place (&a);
  dp_place_kill (place);
  dp_place_wait (place);
  /* The place's code has run to its end. */
  seen = test_board_take ("sync_place");

  got = dp_channel_try_get (DP_CHANNEL (a), &error);
  g_assert_null (got);
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
  g_clear_error (&error);
  g_assert_false (dp_channel_put (DP_CHANNEL (a), g_variant_new_int32 (1), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
}

/* Killing a place closes the channels it got in messages: a place blocked
 * on the other end of one wakes with DP_ERROR_PEER_DIED. */
static void
test_kill_closes_owned_channels (void)
{
  g_autoptr(DpPlace) holder = NULL;
  g_autoptr(DpPlace) waiter = NULL;
  g_autoptr(DpPlaceChannel) x = NULL;
  g_autoptr(DpPlaceChannel) y = NULL;
  g_autoptr(GVariant) ack1 = NULL;
  g_autoptr(GVariant) ack2 = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) error_reply = NULL;
  const char *kind;

  if (!test_in_subprocess ())
    return;

  holder = test_place ("hold_channel_place");
  waiter = test_place ("wait_on_channel_place");

  dp_place_channel_new_pair (&x, &y);
  test_put (DP_CHANNEL (holder), g_variant_new ("(@h)", test_hand_over (&x)));
  test_put (DP_CHANNEL (waiter), g_variant_new ("(@h)", test_hand_over (&y)));
  ack1 = test_get (DP_CHANNEL (holder));
  ack2 = test_get (DP_CHANNEL (waiter));
  g_assert_cmpstr (g_variant_get_string (ack1, NULL), ==, "holding");
  g_assert_cmpstr (g_variant_get_string (ack2, NULL), ==, "waiting");

  dp_place_kill (holder);
  {
    g_autoptr(GError) error = NULL;

    reply = dp_channel_get_timeout (DP_CHANNEL (waiter), 10 * G_USEC_PER_SEC, &error);
    g_assert_no_error (error);
    if (reply == NULL)
      test_note ("the place waiting on the killed place's channel never woke up");
    g_assert_nonnull (reply);
  }
  g_variant_get (reply, "(&sv)", &kind, &error_reply);
  g_assert_cmpstr (kind, ==, "error");
  test_assert_error_reply (error_reply, DP_ERROR_PEER_DIED);

  test_wait (holder);
  g_assert_true (dp_place_has_exited (holder));
  g_assert_cmpint (test_wait (waiter), ==, 0);
}

/* The dissertation's buyer and seller: each gets one end of a fresh
 * channel in a message, they negotiate directly, and each reports only
 * the result to the main thread. */
static void
test_buyer_seller (void)
{
  g_autoptr(DpPlace) buyer = test_place ("buyer_place");
  g_autoptr(DpPlace) seller = test_place ("seller_place");
  g_autoptr(DpPlaceChannel) b2s = NULL;
  g_autoptr(DpPlaceChannel) s2b = NULL;
  g_autoptr(GVariant) bought = NULL;
  g_autoptr(GVariant) sold = NULL;
  const guint64 first_ask = 100, ask_step = 7, first_offer = 40, offer_step = 9;
  guint64 ask = first_ask, offer = first_offer, price, expected_rounds = 1;
  guint64 buyer_price, buyer_rounds, seller_price, seller_rounds;
  const char *tag;

  /* The deal they must reach: the buyer accepts the first ask at or below
   * its offer; every refusal lowers the ask and raises the offer. */
  while (ask > offer)
    {
      offer += offer_step;
      ask -= ask_step;
      expected_rounds++;
    }
  price = ask;

  dp_place_channel_new_pair (&b2s, &s2b);
  /* The ends are the places' from now on. */
  test_put (DP_CHANNEL (buyer), g_variant_new ("(@htt)", test_hand_over (&b2s),
                                               first_offer, offer_step));
  test_put (DP_CHANNEL (seller), g_variant_new ("(@htt)", test_hand_over (&s2b),
                                                first_ask, ask_step));

  bought = test_get (DP_CHANNEL (buyer));
  sold = test_get (DP_CHANNEL (seller));
  g_assert_cmpstr (g_variant_get_type_string (bought), ==, "(stt)");
  g_assert_cmpstr (g_variant_get_type_string (sold), ==, "(stt)");
  g_variant_get (bought, "(&stt)", &tag, &buyer_price, &buyer_rounds);
  g_assert_cmpstr (tag, ==, "bought");
  g_variant_get (sold, "(&stt)", &tag, &seller_price, &seller_rounds);
  g_assert_cmpstr (tag, ==, "sold");

  g_assert_cmpuint (buyer_price, ==, price);
  g_assert_cmpuint (seller_price, ==, price);
  /* The buyer got every ask and the final 'sold'; the seller every offer
   * and the 'accept'. */
  g_assert_cmpuint (buyer_rounds, ==, expected_rounds + 1);
  g_assert_cmpuint (seller_rounds, ==, expected_rounds);

  g_assert_cmpint (test_wait (buyer), ==, 0);
  g_assert_cmpint (test_wait (seller), ==, 0);
}

/* A module or symbol that does not exist: DP_ERROR_NOT_FOUND, and the
 * message says where the library looked. */
static void
test_unknown_module (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpPlace) place = dp_dynamic_place ("no-such-module", "no_such_function", &error);
  g_auto(GStrv) dirs = dp_plugin_registry_dup_directories (dp_plugin_registry_get_default ());
  g_autofree char *test_dir = g_canonicalize_filename (g_getenv ("DPLACES_PLUGIN_PATH"), NULL);

  g_assert_null (place);
  g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "no-such-module"));
  g_assert_nonnull (strstr (error->message, "no-such-module.so"));
  g_assert_nonnull (strstr (error->message, "libno-such-module.so"));
  g_assert_cmpuint (g_strv_length (dirs), >=, 2);
  for (guint i = 0; dirs[i] != NULL; i++)
    g_assert_nonnull (strstr (error->message, dirs[i]));
  /* DPLACES_PLUGIN_PATH is one of them. */
  g_assert_true (g_strv_contains ((const char * const *) dirs, test_dir));
}

static void
test_unknown_symbol (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpPlace) place = dp_dynamic_place (TEST_MODULE, "no_such_function", &error);
  g_autofree char *path = dp_plugin_registry_find_module (dp_plugin_registry_get_default (),
                                                          TEST_MODULE, NULL);

  g_assert_null (place);
  g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "no_such_function"));
  /* It names the module file it searched. */
  g_assert_nonnull (path);
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_unknown_module_path (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpPlace) place = dp_dynamic_place ("/nonexistent/dir/mod.so", "f", &error);

  g_assert_null (place);
  g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "/nonexistent/dir/mod.so"));
}

/* dp_place() needs an exported function. */
static void
not_exported (DpChannel *ch)
{
}

static void
test_place_not_exported (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpPlace) place = dp_place (not_exported, &error);

  g_assert_null (place);
  g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
}

/* dp_place() with a function exported by a loaded module runs it. */
static void
test_place_function_pointer (void)
{
  g_autoptr(GError) error = NULL;
  DpPlaceFunc echo = dp_plugin_registry_lookup_symbol (dp_plugin_registry_get_default (),
                                                       TEST_MODULE, "echo_place", &error);
  g_autoptr(DpPlace) place = NULL;
  g_autoptr(GVariant) reply = NULL;

  g_assert_no_error (error);
  place = dp_place (echo, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dp_place_get_function (place), ==, "echo_place");
  reply = dp_channel_put_get (DP_CHANNEL (place), g_variant_new_string ("ping"), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_string (reply, NULL), ==, "ping");
  dp_channel_close (DP_CHANNEL (place));
  g_assert_cmpint (dp_place_wait (place), ==, 0);
}

static void
test_thunk (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpPlace) place = dp_place_from_thunk (TEST_MODULE, "echo_thunk", &error);
  g_autoptr(GVariant) reply = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (place);
  reply = dp_channel_put_get (DP_CHANNEL (place), g_variant_new_string ("thunk"), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_string (reply, NULL), ==, "thunk");
  dp_channel_close (DP_CHANNEL (place));
  g_assert_cmpint (dp_place_wait (place), ==, 0);
}

static void
test_properties (void)
{
  g_autoptr(DpPlace) place = dp_place_new (TEST_MODULE, "echo_place");
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (dp_place_get_module (place), ==, TEST_MODULE);
  g_assert_cmpstr (dp_place_get_function (place), ==, "echo_place");
  g_assert_cmpstr (dp_place_get_name (place), ==, "echo_place");
  g_assert_cmpstr (dp_place_get_backend_name (place), ==, "threads");
  dp_place_set_name (place, "echo");
  g_assert_cmpstr (dp_place_get_name (place), ==, "echo");
  g_assert_false (dp_place_has_exited (place));
  g_assert_cmpint (dp_place_get_exit_status (place), ==, -1);

  g_assert_true (dp_place_start (place, &error));
  g_assert_no_error (error);
  g_assert_false (dp_place_start (place, &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_FAILED);

  g_assert_null (dp_place_get_current ());
  g_assert_cmpuint (dp_processor_count (), >=, 1);

  dp_channel_close (DP_CHANNEL (place));
  g_assert_cmpint (dp_place_wait (place), ==, 0);
}

/* A place that was never started has a dead channel, not a blocking one. */
static void
test_unstarted (void)
{
  g_autoptr(DpPlace) place = dp_place_new (TEST_MODULE, "echo_place");
  g_autoptr(GError) error = NULL;

  g_assert_false (dp_channel_put (DP_CHANNEL (place), g_variant_new_int32 (1), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_null (dp_channel_get (DP_CHANNEL (place), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_CLOSED);
}

static void
test_missing_backend (void)
{
  g_autoptr(DpPlace) place = g_object_new (DP_TYPE_PLACE, "module", TEST_MODULE,
                                           "function", "echo_place", "backend", "no-such-backend",
                                           NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (dp_place_start (place, &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "libdplaces-no-such-backend.so"));
  g_assert_nonnull (strstr (error->message, g_getenv ("DPLACES_PLUGIN_PATH")));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/place/exit/return", test_exit_return);
  g_test_add_data_func ("/place/exit/status-0", GINT_TO_POINTER (0), test_exit_status);
  g_test_add_data_func ("/place/exit/status-7", GINT_TO_POINTER (7), test_exit_status);
  g_test_add_data_func ("/place/exit/status-255", GINT_TO_POINTER (255), test_exit_status);
  g_test_add_func ("/place/exit/frees-locals", test_exit_frees_locals);
  g_test_add_func ("/place/exit/dead-channel-drains", test_dead_channel_drains);
  g_test_add_func ("/place/exit/wait-async", test_wait_async);
  g_test_add_func ("/place/kill/unblocks-peer-get", test_kill_unblocks_peer_get);
  g_test_add_func ("/place/kill/status-always-1", test_kill_status_always_1);
  g_test_add_func ("/place/kill/then-put", test_kill_then_put);
  g_test_add_func ("/place/kill/wakes-sync", test_kill_wakes_sync);
  g_test_add_func ("/place/kill/closes-held-channel", test_kill_closes_held_channel);
  g_test_add_func ("/place/kill/closes-owned-channels", test_kill_closes_owned_channels);
  g_test_add_func ("/place/channel-in-message/buyer-seller", test_buyer_seller);
  g_test_add_func ("/place/not-found/module", test_unknown_module);
  g_test_add_func ("/place/not-found/symbol", test_unknown_symbol);
  g_test_add_func ("/place/not-found/path", test_unknown_module_path);
  g_test_add_func ("/place/not-found/not-exported", test_place_not_exported);
  g_test_add_func ("/place/not-found/backend", test_missing_backend);
  g_test_add_func ("/place/function-pointer", test_place_function_pointer);
  g_test_add_func ("/place/thunk", test_thunk);
  g_test_add_func ("/place/properties", test_properties);
  g_test_add_func ("/place/unstarted", test_unstarted);

  return g_test_run ();
}
