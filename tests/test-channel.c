/* test-channel.c: place channels — every message kind round-trips unchanged
 * between the main thread and a place, by reference with the threads
 * backend and serialized once each way with the processes backend;
 * channels travel inside messages, and closing an end makes the other end
 * drain what is queued and then fail.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>
#include <string.h>

#include "test-common.h"

/* Round trips through an echo place. */

typedef GVariant * (*BuildFunc) (void);

typedef struct {
  const char *name;
  const char *texts[8];   /* messages in GVariant text form */
  BuildFunc build[4];     /* and messages built in C */
} RoundTripCase;

static GVariant *
build_bytes_with_nuls (void)
{
  static const guint8 data[] = { 'a', 0, 'b', 0, 0, 'c', 0 };

  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, sizeof data, 1);
}

static GVariant *
build_bytes_empty (void)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, NULL, 0, 1);
}

/* 1 MiB with every byte value, NULs included, in a pattern a shifted or
 * truncated copy would not match. */
static GVariant *
build_bytes_large (void)
{
  gsize size = 1024 * 1024;
  guint8 *data = g_malloc (size);
  g_autoptr(GBytes) bytes = NULL;

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) ((i * 7 + i / 251) & 0xff);
  bytes = g_bytes_new_take (data, size);

  return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
}

static GVariant *
build_string_long (void)
{
  g_autofree char *text = g_strnfill (64 * 1024, 'x');

  text[1000] = 'y';
  return g_variant_new_string (text);
}

static GVariant *
build_double_infinity (void)
{
  return g_variant_new_double (-INFINITY);
}

static GVariant *
build_double_denormal (void)
{
  return g_variant_new_double (4.9406564584124654e-324);
}

static GVariant *
build_double_nan (void)
{
  return g_variant_new_double (NAN);
}

static GVariant *
build_int64_min (void)
{
  return g_variant_new_int64 (G_MININT64);
}

static GVariant *
build_uint64_max (void)
{
  return g_variant_new_uint64 (G_MAXUINT64);
}

static GVariant *
build_array_large (void)
{
  g_autoptr(GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE ("a(us)"));

  for (guint i = 0; i < 10000; i++)
    {
      g_autofree char *text = g_strdup_printf ("item %u", i);
      g_variant_builder_add (builder, "(us)", i, text);
    }
  return g_variant_builder_end (builder);
}

/* Big containers: over a socket, these are checked child by child. */
static GVariant *
build_bytes_in_variant (void)
{
  return g_variant_new ("(sv)", "blob", build_bytes_large ());
}

static GVariant *
build_bytes_in_maybe_in_dict (void)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&builder, "{sv}", "first", build_bytes_large ());
  g_variant_builder_add (&builder, "{sv}", "second",
                         g_variant_new_maybe (NULL, build_bytes_large ()));
  g_variant_builder_add (&builder, "{sv}", "small", g_variant_new_int32 (7));
  return g_variant_builder_end (&builder);
}

static GVariant *
build_arrays_of_arrays (void)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aai"));
  for (gint32 i = 0; i < 64; i++)
    {
      GVariantBuilder row;

      g_variant_builder_init (&row, G_VARIANT_TYPE ("ai"));
      for (gint32 j = 0; j < 1000 + i; j++)
        g_variant_builder_add (&row, "i", i * j - 500);
      g_variant_builder_add_value (&builder, g_variant_builder_end (&row));
    }
  return g_variant_builder_end (&builder);
}

static const RoundTripCase round_trip_cases[] = {
  { "boolean", { "true", "false" } },
  { "byte", { "byte 0", "byte 0x7f", "byte 255" } },
  { "int16", { "int16 -32768", "int16 0", "int16 32767" } },
  { "uint16", { "uint16 0", "uint16 65535" } },
  { "int32", { "int32 -2147483648", "0", "2147483647" } },
  { "uint32", { "uint32 0", "uint32 4294967295" } },
  { "int64", { "int64 9223372036854775807", "int64 -1" }, { build_int64_min } },
  { "uint64", { "uint64 0", "uint64 18446744073709551615" }, { build_uint64_max } },
  { "double", { "0.0", "-0.0", "3.141592653589793", "1.7976931348623157e308",
                "2.2250738585072014e-308" },
    { build_double_infinity, build_double_nan, build_double_denormal } },
  { "string", { "''", "'hello'", "'ünïcödé ☃ \\t\\n'" }, { build_string_long } },
  { "object-path-signature", { "objectpath '/org/dplaces/Place'", "signature 'a{sv}'" } },
  { "bytestring", { "b'hello'", "b''" }, { build_bytes_with_nuls, build_bytes_empty } },
  { "bytestring-1MiB", { NULL }, { build_bytes_large } },
  { "array", { "[1, 2, 3]", "@ai []", "['a', 'b', '']", "[[1], @ai [], [2, 3]]",
               "[b'x', b'']", "[true, false]" },
    { build_array_large } },
  { "big-containers", { NULL },
    { build_bytes_in_variant, build_bytes_in_maybe_in_dict, build_arrays_of_arrays } },
  { "tuple", { "()", "('point', 1, 2.5)",
               "('account', 'alice', int64 100, true, @ay [0x00, 0x01])",
               "(('nested', ('deeper', byte 1)), [('a', 1), ('b', 2)])" } },
  { "dict-sv", { "{'name': <'alice'>, 'age': <int32 30>, 'tags': <['a', 'b']>}",
                 "@a{sv} {}" } },
  { "dict-sx", { "{'alice': int64 100, 'bob': int64 -5, '': int64 0}", "@a{sx} {}" } },
  { "dict-other", { "{1: 'one', 2: 'two'}", "{'k': {'inner': [1.5]}}" } },
  { "maybe", { "@mi 5", "@mi nothing", "@ms 'x'", "@ms nothing", "@mmb just nothing",
               "@mab just [true]", "[@mi 1, nothing, 3]" } },
  { "variant", { "<42>", "<<'nested'>>", "<@ai []>", "<(1, <'x'>)>", "[<1>, <'two'>, <[3]>]" } },
  { "nested", { "[('a', {'k': <[1, 2]>}, @mv nothing), ('b', @a{sv} {}, just <(1, 'x')>)]",
                "{'tree': <('node', [<('leaf', 1)>, <('node', @av [])>])>}",
                "(@maa{sv} just [{'deep': <<<[b'\\x00']>>>}],)" } },
};

typedef struct {
  const RoundTripCase *test_case;
  const char *backend;
} RoundTripRun;

static void
check_round_trip (GPtrArray  *sent,
                  const char *backend)
{
  g_autoptr(DpPlace) place = test_place_with_backend ("echo_place", backend);
  gboolean by_reference = g_str_equal (backend, "threads");

  /* All out first, then all back: the order must hold too. */
  for (guint i = 0; i < sent->len; i++)
    test_put (DP_CHANNEL (place), g_ptr_array_index (sent, i));

  for (guint i = 0; i < sent->len; i++)
    {
      GVariant *original = g_ptr_array_index (sent, i);
      g_autoptr(GVariant) reply = test_get (DP_CHANNEL (place));
      g_autofree char *text = g_variant_print (original, TRUE);

      g_test_message ("message %u: %.200s", i, text);
      g_assert_cmpstr (g_variant_get_type_string (reply), ==,
                       g_variant_get_type_string (original));
      g_assert_true (g_variant_equal (reply, original));
      /* Inside a process a message is passed by reference: no copy. */
      if (by_reference)
        g_assert_true (reply == original);
      else
        g_assert_true (g_variant_is_normal_form (reply));
    }

  g_assert_cmpuint (dp_channel_get_n_pending (DP_CHANNEL (place)), ==, 0);
  dp_channel_close (DP_CHANNEL (place));
  g_assert_cmpint (test_wait (place), ==, 0);
}

static void
test_round_trip (gconstpointer data)
{
  const RoundTripRun *run = data;
  const RoundTripCase *test_case = run->test_case;
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  for (guint i = 0; i < G_N_ELEMENTS (test_case->texts) && test_case->texts[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      GVariant *message = dp_message_parse (test_case->texts[i], &error);

      g_assert_no_error (error);
      g_ptr_array_add (sent, message);
    }
  for (guint i = 0; i < G_N_ELEMENTS (test_case->build) && test_case->build[i] != NULL; i++)
    g_ptr_array_add (sent, g_variant_ref_sink (test_case->build[i] ()));

  check_round_trip (sent, run->backend);
}

/* A long array of variable-size records crosses a process boundary
 * intact. GLib reaches element i of an untrusted such array in O(i), so a
 * receiver that checked it element by element would take minutes here
 * (and time out) where a linear check takes a moment. Fewer records under
 * valgrind (DP_TEST_MESSAGES). */
static void
test_round_trip_many_records (void)
{
  g_autoptr(DpPlace) place = test_place_with_backend ("echo_place", "processes");
  guint64 n_records = MIN (test_message_count (500000), 500000);
  GVariantBuilder builder;
  g_autoptr(GVariant) sent = NULL;
  g_autoptr(GVariant) reply = NULL;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sax)"));
  for (gint64 i = 0; i < (gint64) n_records; i++)
    {
      g_autofree char *word = g_strdup_printf ("w%07" G_GINT64_FORMAT, i);

      g_variant_builder_add (&builder, "(s@ax)", word,
                             g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, &i, 1, sizeof i));
    }
  sent = g_variant_ref_sink (g_variant_builder_end (&builder));

  test_put (DP_CHANNEL (place), sent);
  reply = test_get (DP_CHANNEL (place));
  g_assert_cmpuint (g_variant_n_children (reply), ==, n_records);
  g_assert_true (g_variant_equal (reply, sent));
}

/* The large byte string arrives whole, NULs and all. */
static void
test_round_trip_bytes_content (void)
{
  g_autoptr(DpPlace) place = test_place ("echo_place");
  g_autoptr(GVariant) sent = g_variant_ref_sink (build_bytes_large ());
  g_autoptr(GVariant) reply = NULL;
  const guint8 *data;
  gsize size;

  test_put (DP_CHANNEL (place), sent);
  reply = test_get (DP_CHANNEL (place));

  data = g_variant_get_fixed_array (reply, &size, 1);
  g_assert_cmpuint (size, ==, 1024 * 1024);
  for (gsize i = 0; i < size; i++)
    if (data[i] != (guint8) ((i * 7 + i / 251) & 0xff))
      g_assert_cmpuint (data[i], ==, (guint8) ((i * 7 + i / 251) & 0xff));
  g_assert_cmpuint (memchr (data, 0, size) != NULL, ==, TRUE);
}

/* A floating message handed to put is owned by the channel; the place gets
 * it and, echoed back, the same instance returns. */
static void
test_round_trip_floating (void)
{
  g_autoptr(DpPlace) place = test_place ("echo_place");
  GVariant *floating = g_variant_new ("(si)", "floating", 1);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) expected = g_variant_ref_sink (g_variant_new ("(si)", "floating", 1));

  test_put (DP_CHANNEL (place), floating);
  reply = test_get (DP_CHANNEL (place));
  g_assert_true (reply == floating);
  g_assert_false (g_variant_is_floating (reply));
  g_assert_true (g_variant_equal (reply, expected));
}

/* A channel inside a message, echoed back, is the same working channel. */
static void
test_round_trip_channel (void)
{
  g_autoptr(DpPlace) place = test_place ("echo_place");
  g_autoptr(DpPlaceChannel) a = NULL;
  g_autoptr(DpPlaceChannel) b = NULL;
  g_autoptr(GVariant) sent = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GVariant) handle2 = NULL;
  g_autoptr(DpChannel) channel = NULL;
  g_autoptr(DpChannel) channel2 = NULL;
  g_autoptr(GVariant) got = NULL;
  g_autoptr(GError) error = NULL;

  dp_place_channel_new_pair (&a, &b);
  {
    /* The handle at the top, and again nested in a dictionary inside a
     * variant. */
    g_autoptr(GVariantBuilder) dict = g_variant_builder_new (G_VARIANT_TYPE ("a{sv}"));
    g_variant_builder_add (dict, "{sv}", "also", dp_channel_to_variant (DP_CHANNEL (a)));
    sent = g_variant_ref_sink (g_variant_new ("(s@ha{sv})", "reply-to",
                                              dp_channel_to_variant (DP_CHANNEL (a)), dict));
  }

  test_put (DP_CHANNEL (place), sent);
  reply = test_get (DP_CHANNEL (place));
  g_assert_true (reply == sent);
  g_assert_true (g_variant_equal (reply, sent));

  handle = g_variant_get_child_value (reply, 1);
  g_assert_true (g_variant_is_of_type (handle, G_VARIANT_TYPE_HANDLE));
  channel = dp_channel_from_variant (handle, &error);
  g_assert_no_error (error);
  g_assert_true (DP_IS_CHANNEL (channel));
  /* In one process the handle names the very endpoint that was sent. */
  g_assert_true (dp_channel_get_endpoint (channel) == a);

  {
    g_autoptr(GVariant) dict = g_variant_get_child_value (reply, 2);
    /* a{sv} lookups unbox the variant. */
    handle2 = g_variant_lookup_value (dict, "also", G_VARIANT_TYPE_HANDLE);
    g_assert_nonnull (handle2);
    channel2 = dp_channel_from_variant (handle2, &error);
    g_assert_no_error (error);
    g_assert_true (dp_channel_get_endpoint (channel2) == a);
  }

  /* And it works: a put on it arrives at the other end. */
  test_put (channel, g_variant_new_string ("through the channel from the message"));
  got = test_get (DP_CHANNEL (b));
  g_assert_cmpstr (g_variant_get_string (got, NULL), ==, "through the channel from the message");

  dp_channel_close (DP_CHANNEL (a));
}

/* A place uses a channel it got in a message: sender_place puts messages
 * on it, and they arrive in order at the end we kept. */
static void
test_channel_in_message_to_place (void)
{
  g_autoptr(DpPlace) place = test_place ("sender_place");
  g_autoptr(DpPlaceChannel) mine = NULL;
  g_autoptr(DpPlaceChannel) theirs = NULL;
  g_autoptr(GVariant) messages = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint n;

  dp_place_channel_new_pair (&mine, &theirs);
  messages = dp_message_parse ("[<'one'>, <2>, <('three', 3)>]", NULL);
  /* The place will own it, alone. */
  test_put (DP_CHANNEL (place), g_variant_new ("(@h@av)", test_hand_over (&theirs), messages));

  reply = test_get (DP_CHANNEL (place));
  g_variant_get (reply, "(&su)", NULL, &n);
  g_assert_cmpuint (n, ==, 3);

  for (gsize i = 0; i < g_variant_n_children (messages); i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (messages, i);
      g_autoptr(GVariant) expected = g_variant_get_variant (boxed);
      g_autoptr(GVariant) got = test_get (DP_CHANNEL (mine));

      g_assert_true (g_variant_equal (got, expected));
    }

  /* The place ended, and the channel it owned closed with it. */
  g_assert_cmpint (test_wait (place), ==, 0);
  test_assert_get_fails (DP_CHANNEL (mine), DP_ERROR_PEER_DIED);
}

/* A channel taken out of a message by a place closes once that place has
 * ended and nobody else holds it — also when the sender let go of its own
 * reference only after the place ended. Its other end must not wait
 * forever. */
static void
test_channel_closes_after_owner_and_sender (void)
{
  g_autoptr(DpPlace) place = NULL;
  g_autoptr(DpPlaceChannel) mine = NULL;
  g_autoptr(DpPlaceChannel) theirs = NULL;
  g_autoptr(GVariant) reply = NULL;

  if (!test_in_subprocess ())
    return;

  place = test_place ("sender_place");
  dp_place_channel_new_pair (&mine, &theirs);
  test_put (DP_CHANNEL (place), g_variant_new ("(@hav)", dp_channel_to_variant (DP_CHANNEL (theirs)),
                                               NULL));
  reply = test_get (DP_CHANNEL (place));
  g_assert_cmpint (test_wait (place), ==, 0);

  /* The place that took it has ended; now we let go too. */
  g_clear_object (&theirs);
  test_assert_get_fails (DP_CHANNEL (mine), DP_ERROR_PEER_DIED);
}

/* A handle whose channel has closed since gives a dead channel, not a
 * blocking one; a value that is no handle is an error. */
static void
test_handle_closed_and_invalid (void)
{
  g_autoptr(DpPlaceChannel) a = NULL;
  g_autoptr(DpPlaceChannel) b = NULL;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(DpChannel) dead = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) not_a_handle = g_variant_ref_sink (g_variant_new_int32 (1));

  dp_place_channel_new_pair (&a, &b);
  handle = g_variant_ref_sink (dp_channel_to_variant (DP_CHANNEL (a)));
  dp_channel_close (DP_CHANNEL (a));

  dead = dp_channel_from_variant (handle, &error);
  g_assert_no_error (error);
  g_assert_nonnull (dead);
  g_assert_true (dp_channel_is_closed (dead));
  g_assert_null (dp_channel_get (dead, &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_CLOSED);
  g_clear_error (&error);

  g_assert_null (dp_channel_from_variant (not_a_handle, &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
}

/* Pairs: both directions, in order, by reference. */
static void
test_pair_order (void)
{
  g_autoptr(DpPlaceChannel) a = NULL;
  g_autoptr(DpPlaceChannel) b = NULL;
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  dp_place_channel_new_pair (&a, &b);
  g_assert_true (dp_is_channel (a));
  g_assert_false (dp_is_channel (NULL));
  g_assert_false (dp_is_async_bi_channel (a));

  for (guint i = 0; i < 1000; i++)
    {
      GVariant *message = g_variant_ref_sink (g_variant_new_uint32 (i));

      g_ptr_array_add (sent, message);
      test_put (DP_CHANNEL (i % 2 == 0 ? a : b), message);
    }
  g_assert_cmpuint (dp_channel_get_n_pending (DP_CHANNEL (a)), ==, 500);
  g_assert_cmpuint (dp_channel_get_n_pending (DP_CHANNEL (b)), ==, 500);

  for (guint i = 0; i < 1000; i++)
    {
      g_autoptr(GVariant) got = test_get (DP_CHANNEL (i % 2 == 0 ? b : a));
      g_assert_true (got == g_ptr_array_index (sent, i));
    }
  g_assert_cmpuint (dp_channel_get_n_pending (DP_CHANNEL (a)), ==, 0);
}

static void
test_async_bi_channel (void)
{
  g_autoptr(DpChannel) a = NULL;
  g_autoptr(DpChannel) b = NULL;
  g_autoptr(GVariant) got = NULL;

  dp_async_bi_channel_new (&a, &b);
  g_assert_true (dp_is_async_bi_channel (a));
  g_assert_true (dp_is_async_bi_channel (b));
  test_put (a, g_variant_new_string ("to b"));
  test_put (b, g_variant_new_string ("to a"));
  got = test_get (b);
  g_assert_cmpstr (g_variant_get_string (got, NULL), ==, "to b");
  g_clear_pointer (&got, g_variant_unref);
  /* put/get: put on a, then get what b sent to a. */
  got = dp_channel_put_get (a, g_variant_new_string ("again"), NULL);
  g_assert_cmpstr (g_variant_get_string (got, NULL), ==, "to a");
  g_clear_pointer (&got, g_variant_unref);
  got = test_get (b);
  g_assert_cmpstr (g_variant_get_string (got, NULL), ==, "again");
}

/* Closing one end: the other end gets what is queued, then fails; puts on
 * either end fail; nothing is dropped silently. */
static void
test_close_drains (void)
{
  g_autoptr(DpPlaceChannel) a = NULL;
  g_autoptr(DpPlaceChannel) b = NULL;
  g_autoptr(GError) error = NULL;

  dp_place_channel_new_pair (&a, &b);
  for (gint i = 0; i < 3; i++)
    test_put (DP_CHANNEL (a), g_variant_new_int32 (i));
  dp_channel_close (DP_CHANNEL (a));
  dp_channel_close (DP_CHANNEL (a));   /* twice does nothing */

  g_assert_true (dp_channel_is_closed (DP_CHANNEL (a)));
  g_assert_false (dp_channel_is_closed (DP_CHANNEL (b)));  /* still has messages */
  g_assert_cmpuint (dp_channel_get_n_pending (DP_CHANNEL (b)), ==, 3);

  /* Puts fail at once, on both ends. */
  g_assert_false (dp_channel_put (DP_CHANNEL (b), g_variant_new_int32 (99), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_false (dp_channel_put (DP_CHANNEL (a), g_variant_new_int32 (99), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_CLOSED);
  g_clear_error (&error);

  /* The closed end itself gets nothing any more. */
  g_assert_null (dp_channel_get (DP_CHANNEL (a), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_CLOSED);
  g_clear_error (&error);

  for (gint i = 0; i < 3; i++)
    {
      g_autoptr(GVariant) got = dp_channel_get (DP_CHANNEL (b), &error);
      g_assert_no_error (error);
      g_assert_cmpint (g_variant_get_int32 (got), ==, i);
    }
  g_assert_true (dp_channel_is_closed (DP_CHANNEL (b)));
  g_assert_null (dp_channel_get (DP_CHANNEL (b), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_CLOSED);
  g_clear_error (&error);
  /* And it keeps failing rather than blocking. */
  g_assert_null (dp_channel_get_timeout (DP_CHANNEL (b), -1, &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_null (dp_channel_try_get (DP_CHANNEL (b), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_CLOSED);
}

/* Dropping the last reference to an end closes it. */
static void
test_close_on_unref (void)
{
  DpPlaceChannel *a = NULL;
  g_autoptr(DpPlaceChannel) b = NULL;
  g_autoptr(GVariant) got = NULL;
  g_autoptr(GError) error = NULL;

  dp_place_channel_new_pair (&a, &b);
  test_put (DP_CHANNEL (a), g_variant_new_string ("last words"));
  g_object_unref (a);

  got = dp_channel_get (DP_CHANNEL (b), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_string (got, NULL), ==, "last words");
  g_assert_null (dp_channel_get (DP_CHANNEL (b), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_CLOSED);
}

/* A place blocked in a get on a channel wakes with an error when the other
 * end closes. */
static void
test_close_wakes_blocked_get (void)
{
  g_autoptr(DpPlace) place = test_place ("wait_on_channel_place");
  g_autoptr(DpPlaceChannel) mine = NULL;
  g_autoptr(DpPlaceChannel) theirs = NULL;
  g_autoptr(GVariant) ack = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) error_reply = NULL;
  const char *kind;

  dp_place_channel_new_pair (&mine, &theirs);
  test_put (DP_CHANNEL (place), g_variant_new ("(@h)", test_hand_over (&theirs)));
  ack = test_get (DP_CHANNEL (place));
  g_assert_cmpstr (g_variant_get_string (ack, NULL), ==, "waiting");

  dp_channel_close (DP_CHANNEL (mine));
  reply = test_get (DP_CHANNEL (place));
  g_variant_get (reply, "(&sv)", &kind, &error_reply);
  g_assert_cmpstr (kind, ==, "error");
  test_assert_error_reply (error_reply, DP_ERROR_CLOSED);
  g_assert_cmpint (test_wait (place), ==, 0);
}

/* The creator closes its end of a place's channel: the place drains the
 * queued messages, in order, and then its get fails. */
static void
test_close_place_channel_drains (void)
{
  g_autoptr(DpPlace) place = test_place ("drain_place");
  g_autoptr(DpPlaceChannel) report = NULL;
  g_autoptr(DpPlaceChannel) theirs = NULL;
  g_autoptr(GVariant) ready = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GVariant) got = NULL;
  g_autoptr(GVariant) expected = NULL;
  g_autoptr(GVariant) error_reply = NULL;
  g_autoptr(GError) error = NULL;

  dp_place_channel_new_pair (&report, &theirs);
  test_put (DP_CHANNEL (place), g_variant_new ("(@h)", test_hand_over (&theirs)));
  ready = test_get (DP_CHANNEL (report));

  test_put (DP_CHANNEL (place), g_variant_new_string ("one"));
  test_put (DP_CHANNEL (place), g_variant_new_int32 (2));
  test_put (DP_CHANNEL (place), g_variant_new ("(sb)", "three", TRUE));
  dp_channel_close (DP_CHANNEL (place));

  g_assert_false (dp_channel_put (DP_CHANNEL (place), g_variant_new_string ("too late"), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_CLOSED);

  result = test_get (DP_CHANNEL (report));
  g_variant_get (result, "(@av@(is))", &got, &error_reply);
  expected = dp_message_parse ("[<'one'>, <2>, <('three', true)>]", NULL);
  g_assert_true (g_variant_equal (got, expected));
  test_assert_error_reply (error_reply, DP_ERROR_CLOSED);
  g_assert_cmpint (test_wait (place), ==, 0);
}

/* Timeouts: nothing within the time is NULL without an error. */
static void
test_get_timeout (void)
{
  g_autoptr(DpPlaceChannel) a = NULL;
  g_autoptr(DpPlaceChannel) b = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) got = NULL;

  dp_place_channel_new_pair (&a, &b);
  g_assert_null (dp_channel_get_timeout (DP_CHANNEL (b), 10 * 1000, &error));
  g_assert_no_error (error);
  g_assert_null (dp_channel_get_timeout (DP_CHANNEL (b), 0, &error));
  g_assert_no_error (error);
  g_assert_null (dp_channel_try_get (DP_CHANNEL (b), &error));
  g_assert_no_error (error);

  test_put (DP_CHANNEL (a), g_variant_new_int32 (1));
  got = dp_channel_get_timeout (DP_CHANNEL (b), 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_clear_pointer (&got, g_variant_unref);
  test_put (DP_CHANNEL (a), g_variant_new_int32 (2));
  got = dp_channel_try_get (DP_CHANNEL (b), &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int32 (got), ==, 2);
}

/* A channel's GSource serves a GMainLoop: messages from a place arrive in
 * order, then the close. */
typedef struct {
  GMainLoop *loop;
  GPtrArray *got;
  GError *error;
  gboolean timed_out;
} SourceData;

static gboolean
source_timeout_cb (gpointer user_data)
{
  SourceData *data = user_data;

  data->timed_out = TRUE;
  g_main_loop_quit (data->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
source_ready_cb (DpChannel *channel,
                 gpointer   user_data)
{
  SourceData *data = user_data;
  GVariant *message;

  /* Take everything that is there; the source fires again for more. */
  while ((message = dp_channel_try_get (channel, &data->error)) != NULL)
    g_ptr_array_add (data->got, message);

  if (data->error != NULL)
    {
      g_main_loop_quit (data->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
test_source (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (context, FALSE);
  g_autoptr(DpPlace) place = NULL;
  g_autoptr(DpPlaceChannel) mine = NULL;
  g_autoptr(DpPlaceChannel) theirs = NULL;
  g_autoptr(GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE ("av"));
  g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GVariant) sent = NULL;
  SourceData data = { loop, got, NULL, FALSE };
  GSource *source;
  g_autoptr(GSource) timeout = g_timeout_source_new (TEST_WAIT_USEC / 1000);

  dp_place_channel_new_pair (&mine, &theirs);
  source = dp_channel_create_source (DP_CHANNEL (mine));
  g_source_set_callback (source, G_SOURCE_FUNC (source_ready_cb), &data, NULL);
  g_source_attach (source, context);
  /* Fail rather than hang if the close never comes. */
  g_source_set_callback (timeout, source_timeout_cb, &data, NULL);
  g_source_attach (timeout, context);

  g_main_context_push_thread_default (context);
  place = test_place ("sender_place");
  for (guint i = 0; i < 100; i++)
    g_variant_builder_add (builder, "v", g_variant_new_uint32 (i));
  test_put (DP_CHANNEL (place), g_variant_new ("(@hav)", test_hand_over (&theirs), builder));

  g_main_loop_run (loop);
  g_main_context_pop_thread_default (context);
  g_source_destroy (source);
  g_source_unref (source);
  g_source_destroy (timeout);
  g_assert_false (data.timed_out);

  g_assert_cmpuint (got->len, ==, 100);
  for (guint i = 0; i < got->len; i++)
    g_assert_cmpuint (g_variant_get_uint32 (g_ptr_array_index (got, i)), ==, i);
  g_assert_error (data.error, DP_ERROR, DP_ERROR_PEER_DIED);
  g_clear_error (&data.error);

  sent = test_get (DP_CHANNEL (place));
  g_assert_cmpint (test_wait (place), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  static const char *const backends[] = { "threads", "processes" };
  /* Static, not freed by g_test_add_data_func_full(): GLib frees a test's
   * data only after running it, and a subprocess of test_in_subprocess()
   * runs one test, so every other run would leak there. */
  static RoundTripRun runs[G_N_ELEMENTS (round_trip_cases)][G_N_ELEMENTS (backends)];

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
    for (guint b = 0; b < G_N_ELEMENTS (backends); b++)
      {
        g_autofree char *path = NULL;

        runs[i][b].test_case = &round_trip_cases[i];
        runs[i][b].backend = backends[b];
        path = g_strdup_printf ("/channel/round-trip/%s/%s", backends[b], round_trip_cases[i].name);
        g_test_add_data_func (path, &runs[i][b], test_round_trip);
      }
  g_test_add_func ("/channel/round-trip/bytestring-1MiB-content", test_round_trip_bytes_content);
  g_test_add_func ("/channel/round-trip/many-records", test_round_trip_many_records);
  g_test_add_func ("/channel/round-trip/floating", test_round_trip_floating);
  g_test_add_func ("/channel/round-trip/channel", test_round_trip_channel);
  g_test_add_func ("/channel/in-message/to-place", test_channel_in_message_to_place);
  g_test_add_func ("/channel/in-message/closes-after-owner-and-sender",
                   test_channel_closes_after_owner_and_sender);
  g_test_add_func ("/channel/in-message/closed-and-invalid", test_handle_closed_and_invalid);
  g_test_add_func ("/channel/pair/order", test_pair_order);
  g_test_add_func ("/channel/pair/async-bi", test_async_bi_channel);
  g_test_add_func ("/channel/close/drains", test_close_drains);
  g_test_add_func ("/channel/close/on-unref", test_close_on_unref);
  g_test_add_func ("/channel/close/wakes-blocked-get", test_close_wakes_blocked_get);
  g_test_add_func ("/channel/close/place-channel-drains", test_close_place_channel_drains);
  g_test_add_func ("/channel/timeout", test_get_timeout);
  g_test_add_func ("/channel/source", test_source);

  return g_test_run ();
}
