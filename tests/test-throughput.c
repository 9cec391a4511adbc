/* test-throughput.c: 1,000,000 messages (DP_TEST_MESSAGES to change it)
 * between two places, and between the main thread and a place, arrive
 * all, once each, in the order they were put.
 *
 * The producer place puts uint64s 0, 1, 2, … on a channel it got in a
 * message; the consumer place, given the other end, checks each is the
 * next one and counts them until the channel dies (the producer ending
 * closes it), so a lost, duplicated, reordered or extra message shows.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "test-common.h"

#define DEFAULT_MESSAGES 1000000

typedef struct {
  guint64 window;
} ThroughputCase;

static const ThroughputCase unbounded = { 0 };
static const ThroughputCase windowed = { 10000 };

static void
check_consumed (GVariant *consumed,
                guint64   count,
                gint      error_code)
{
  const char *tag;
  guint64 n_got, n_in_order;
  g_autoptr(GVariant) error_reply = NULL;

  g_variant_get (consumed, "(&stt@(is))", &tag, &n_got, &n_in_order, &error_reply);
  g_assert_cmpstr (tag, ==, "consumed");
  g_assert_cmpuint (n_in_order, ==, count);
  g_assert_cmpuint (n_got, ==, count);
  /* The stream ends with an error, not a hang: its producer is gone. */
  test_assert_error_reply (error_reply, error_code);
}

/* Producer place → consumer place, over a channel both got in messages. */
static void
test_two_places (gconstpointer data)
{
  const ThroughputCase *test_case = data;
  guint64 count = test_message_count (DEFAULT_MESSAGES);
  g_autoptr(DpPlace) producer = test_place ("producer_place");
  g_autoptr(DpPlace) consumer = test_place ("consumer_place");
  g_autoptr(DpPlaceChannel) out = NULL;
  g_autoptr(DpPlaceChannel) in = NULL;
  g_autoptr(GVariant) produced = NULL;
  g_autoptr(GVariant) consumed = NULL;
  g_autoptr(GVariant) error_reply = NULL;
  gint64 start = g_get_monotonic_time ();
  const char *tag;
  guint64 n_put;

  dp_place_channel_new_pair (&out, &in);
  /* Only the places hold the ends from now on. */
  test_put (DP_CHANNEL (consumer), g_variant_new ("(@ht)", test_hand_over (&in), test_case->window));
  test_put (DP_CHANNEL (producer), g_variant_new ("(@htt)", test_hand_over (&out),
                                                  count, test_case->window));

  produced = test_get (DP_CHANNEL (producer));
  g_variant_get (produced, "(&st@(is))", &tag, &n_put, &error_reply);
  g_assert_cmpstr (tag, ==, "produced");
  test_assert_error_reply (error_reply, -1);
  g_assert_cmpuint (n_put, ==, count);

  consumed = test_get (DP_CHANNEL (consumer));
  check_consumed (consumed, count, DP_ERROR_PEER_DIED);
  g_test_message ("%" G_GUINT64_FORMAT " messages in %.3f s", count,
                  (g_get_monotonic_time () - start) / 1e6);

  g_assert_cmpint (test_wait (producer), ==, 0);
  g_assert_cmpint (test_wait (consumer), ==, 0);
}

/* The main thread → a consumer place, over the place's own channel. */
static void
test_main_to_place (void)
{
  guint64 count = test_message_count (DEFAULT_MESSAGES);
  g_autoptr(DpPlace) consumer = test_place ("consumer_place");
  g_autoptr(DpPlaceChannel) report = NULL;
  g_autoptr(DpPlaceChannel) theirs = NULL;
  g_autoptr(GVariant) consumed = NULL;
  g_autoptr(GError) error = NULL;

  /* The consumer reads the channel we give it and replies on its own:
   * give it one end of a pair, stream on the other, then close. */
  dp_place_channel_new_pair (&report, &theirs);
  test_put (DP_CHANNEL (consumer), g_variant_new ("(@ht)", test_hand_over (&theirs), (guint64) 0));

  for (guint64 i = 0; i < count; i++)
    if (!dp_channel_put (DP_CHANNEL (report), g_variant_new_uint64 (i), &error))
      break;
  g_assert_no_error (error);
  dp_channel_close (DP_CHANNEL (report));

  consumed = test_get (DP_CHANNEL (consumer));
  check_consumed (consumed, count, DP_ERROR_CLOSED);
  g_assert_cmpint (test_wait (consumer), ==, 0);
}

/* A producer place → the main thread. */
static void
test_place_to_main (void)
{
  guint64 count = test_message_count (DEFAULT_MESSAGES);
  g_autoptr(DpPlace) producer = test_place ("producer_place");
  g_autoptr(DpPlaceChannel) mine = NULL;
  g_autoptr(DpPlaceChannel) theirs = NULL;
  g_autoptr(GVariant) produced = NULL;
  g_autoptr(GError) error = NULL;
  guint64 n_got = 0;

  dp_place_channel_new_pair (&mine, &theirs);
  test_put (DP_CHANNEL (producer), g_variant_new ("(@htt)", test_hand_over (&theirs),
                                                  count, (guint64) 0));

  for (;;)
    {
      g_autoptr(GVariant) message = dp_channel_get_timeout (DP_CHANNEL (mine), TEST_WAIT_USEC, &error);

      if (message == NULL)
        {
          if (error == NULL)
            test_note ("the stream never ended: the channel stayed open after its producer");
          break;
        }
      if (g_variant_get_uint64 (message) != n_got)
        g_assert_cmpuint (g_variant_get_uint64 (message), ==, n_got);
      n_got++;
    }
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
  g_assert_cmpuint (n_got, ==, count);

  produced = test_get (DP_CHANNEL (producer));
  g_assert_cmpint (test_wait (producer), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/throughput/two-places", &unbounded, test_two_places);
  g_test_add_data_func ("/throughput/two-places-windowed", &windowed, test_two_places);
  g_test_add_func ("/throughput/main-to-place", test_main_to_place);
  g_test_add_func ("/throughput/place-to-main", test_place_to_main);

  return g_test_run ();
}
