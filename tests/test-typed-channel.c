/* test-typed-channel.c: DpTypedChannel and dp_tc_get — a get by tag
 * returns the first message with that tag and keeps the others, in order,
 * for later gets — and the message helpers (tags, parsing, display).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "test-common.h"

static GVariant *
tagged (const char *tag,
        gint32      value)
{
  return g_variant_ref_sink (g_variant_new ("(si)", tag, value));
}

static void
assert_tagged (GVariant   *message,
               const char *tag,
               gint32      value)
{
  const char *got_tag;
  gint32 got_value;

  g_assert_nonnull (message);
  g_variant_get (message, "(&si)", &got_tag, &got_value);
  g_assert_cmpstr (got_tag, ==, tag);
  g_assert_cmpint (got_value, ==, value);
}

static void
test_get_by_tag (void)
{
  g_autoptr(DpPlaceChannel) a = NULL;
  g_autoptr(DpPlaceChannel) b = NULL;
  g_autoptr(DpTypedChannel) tc = NULL;
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  static const struct { const char *tag; gint32 value; } order[] = {
    { "x", 1 }, { "y", 2 }, { "x", 3 }, { "z", 4 }, { "y", 5 }, { "x", 6 },
  };

  dp_place_channel_new_pair (&a, &b);
  tc = dp_typed_channel_new (DP_CHANNEL (b));
  g_assert_true (dp_typed_channel_get_channel (tc) == DP_CHANNEL (b));

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      GVariant *message = tagged (order[i].tag, order[i].value);
      g_ptr_array_add (sent, message);
      test_put (DP_CHANNEL (a), message);
    }

  /* 'y' first: the first y, and the x before it is kept. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) got = dp_tc_get ("y", tc, &error);

    g_assert_no_error (error);
    assert_tagged (got, "y", 2);
    g_assert_true (got == g_ptr_array_index (sent, 1));   /* by reference */
  }
  /* 'z': skips x 3 and keeps it. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) got = dp_typed_channel_get (tc, "z", &error);

    g_assert_no_error (error);
    assert_tagged (got, "z", 4);
  }
  /* The x's in order, from what was held and what is still queued. */
  for (guint i = 0; i < 3; i++)
    {
      static const gint32 expected[] = { 1, 3, 6 };
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) got = dp_tc_get ("x", tc, &error);

      g_assert_no_error (error);
      assert_tagged (got, "x", expected[i]);
    }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) got = dp_tc_get ("y", tc, &error);

    g_assert_no_error (error);
    assert_tagged (got, "y", 5);
  }
  g_assert_cmpuint (dp_channel_get_n_pending (DP_CHANNEL (b)), ==, 0);
}

/* A tag that has not come: NULL without an error when the time runs out,
 * and what was read meanwhile is kept. */
static void
test_timeout (void)
{
  g_autoptr(DpPlaceChannel) a = NULL;
  g_autoptr(DpPlaceChannel) b = NULL;
  g_autoptr(DpTypedChannel) tc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) got = NULL;

  dp_place_channel_new_pair (&a, &b);
  tc = dp_typed_channel_new (DP_CHANNEL (b));
  test_put (DP_CHANNEL (a), g_variant_new ("(si)", "other", 1));

  got = dp_typed_channel_get_timeout (tc, "wanted", 20 * 1000, &error);
  g_assert_no_error (error);
  g_assert_null (got);

  got = dp_typed_channel_get_timeout (tc, "other", 20 * 1000, &error);
  g_assert_no_error (error);
  assert_tagged (got, "other", 1);
}

/* A timeout of 0 polls: a message already waiting in the channel is
 * found, like dp_channel_get_timeout (…, 0, …) finds it. */
static void
test_timeout_zero_polls (void)
{
  g_autoptr(DpPlaceChannel) a = NULL;
  g_autoptr(DpPlaceChannel) b = NULL;
  g_autoptr(DpTypedChannel) tc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) got = NULL;

  dp_place_channel_new_pair (&a, &b);
  tc = dp_typed_channel_new (DP_CHANNEL (b));
  test_put (DP_CHANNEL (a), g_variant_new ("(si)", "here", 1));

  got = dp_typed_channel_get_timeout (tc, "here", 0, &error);
  g_assert_no_error (error);
  assert_tagged (got, "here", 1);
}

/* A blocking get waits for the tag to come from a place, holding the
 * others it reads meanwhile. */
static void
test_get_from_place (void)
{
  g_autoptr(DpPlace) sender = test_place ("sender_place");
  g_autoptr(DpPlaceChannel) mine = NULL;
  g_autoptr(DpPlaceChannel) theirs = NULL;
  g_autoptr(DpTypedChannel) tc = NULL;
  g_autoptr(GVariant) messages = NULL;
  g_autoptr(GVariant) sent = NULL;
  g_autoptr(GError) error = NULL;

  dp_place_channel_new_pair (&mine, &theirs);
  tc = dp_typed_channel_new (DP_CHANNEL (mine));
  messages = dp_message_parse ("[<('noise', 1)>, <('noise', 2)>, <('answer', 42)>, <('noise', 3)>]",
                               NULL);
  test_put (DP_CHANNEL (sender), g_variant_new ("(@h@av)", test_hand_over (&theirs), messages));

  {
    g_autoptr(GVariant) got = dp_tc_get ("answer", tc, &error);
    g_assert_no_error (error);
    assert_tagged (got, "answer", 42);
  }
  for (gint32 i = 1; i <= 3; i++)
    {
      g_autoptr(GVariant) got = dp_tc_get ("noise", tc, &error);
      g_assert_no_error (error);
      assert_tagged (got, "noise", i);
    }

  /* The sender ended: a tag that never came fails rather than blocks. */
  g_assert_null (dp_typed_channel_get_timeout (tc, "answer", TEST_WAIT_USEC, &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);

  sent = test_get (DP_CHANNEL (sender));
  g_assert_cmpint (test_wait (sender), ==, 0);
}

/* Messages held for other tags survive the channel's death. */
static void
test_held_after_close (void)
{
  g_autoptr(DpPlaceChannel) a = NULL;
  g_autoptr(DpPlaceChannel) b = NULL;
  g_autoptr(DpTypedChannel) tc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) got = NULL;

  dp_place_channel_new_pair (&a, &b);
  tc = dp_typed_channel_new (DP_CHANNEL (b));
  test_put (DP_CHANNEL (a), g_variant_new ("(si)", "kept", 1));
  dp_channel_close (DP_CHANNEL (a));

  g_assert_null (dp_tc_get ("missing", tc, &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_CLOSED);
  g_clear_error (&error);

  got = dp_tc_get ("kept", tc, &error);
  g_assert_no_error (error);
  assert_tagged (got, "kept", 1);
}

/* Tags: the first string of a tuple or of an av. */
static void
test_message_tag (void)
{
  static const struct { const char *text; const char *tag; } cases[] = {
    { "('buy', 10)", "buy" },
    { "('solo',)", "solo" },
    { "[<'sym'>, <1>, <2.5>]", "sym" },
    { "(1, 'not first')", NULL },
    { "'just a string'", NULL },
    { "()", NULL },
    { "@av []", NULL },
    { "[1, 2]", NULL },
    { "{'a': 1}", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = dp_message_parse (cases[i].text, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (dp_message_get_tag (message), ==, cases[i].tag);
    }

  {
    g_autoptr(GVariant) message = g_variant_ref_sink (dp_message_new_tagged ("deposit",
                                                                            g_variant_new_int64 (100)));
    g_autoptr(GVariant) bare = g_variant_ref_sink (dp_message_new_tagged ("ping", NULL));

    g_assert_cmpstr (g_variant_get_type_string (message), ==, "(sx)");
    g_assert_cmpstr (dp_message_get_tag (message), ==, "deposit");
    g_assert_cmpstr (g_variant_get_type_string (bare), ==, "(s)");
    g_assert_cmpstr (dp_message_get_tag (bare), ==, "ping");
  }
}

static void
test_message_parse_and_display (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) message = NULL;
  g_autofree char *shown = NULL;

  message = dp_message_parse ("('set', 'x', 100)", &error);
  g_assert_no_error (error);
  g_assert_false (g_variant_is_floating (message));
  g_assert_cmpstr (g_variant_get_type_string (message), ==, "(ssi)");
  shown = dp_message_to_display (message);
  g_assert_cmpstr (shown, ==, "('set', 'x', 100)");
  g_clear_pointer (&shown, g_free);
  g_clear_pointer (&message, g_variant_unref);

  /* Strings display bare, as Racket's display; a variant shows its
   * contents. */
  message = dp_message_parse ("'Hello World'", &error);
  shown = dp_message_to_display (message);
  g_assert_cmpstr (shown, ==, "Hello World");
  g_clear_pointer (&shown, g_free);
  g_clear_pointer (&message, g_variant_unref);
  message = dp_message_parse ("<'boxed'>", &error);
  shown = dp_message_to_display (message);
  g_assert_cmpstr (shown, ==, "boxed");

  /* Bad text: an error that shows where. */
  g_assert_null (dp_message_parse ("('unclosed'", &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
  g_assert_nonnull (strstr (error->message, "('unclosed'"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/typed-channel/get-by-tag", test_get_by_tag);
  g_test_add_func ("/typed-channel/timeout", test_timeout);
  g_test_add_func ("/typed-channel/timeout-zero-polls", test_timeout_zero_polls);
  g_test_add_func ("/typed-channel/get-from-place", test_get_from_place);
  g_test_add_func ("/typed-channel/held-after-close", test_held_after_close);
  g_test_add_func ("/message/tag", test_message_tag);
  g_test_add_func ("/message/parse-and-display", test_message_parse_and_display);

  return g_test_run ();
}
