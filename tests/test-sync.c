/* test-sync.c: waiting on many channels — dp_channel_sync over 100
 * channels serves every one of them (no starvation, even beside a channel
 * a place floods), wakes when a message comes, counts a closed channel as
 * ready, and with a timeout returns NULL without an error;
 * dp_channel_sync_handle calls the chosen case's handler.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "test-common.h"

#define N_CHANNELS 100

typedef struct {
  DpPlaceChannel *send[N_CHANNELS];
  DpPlaceChannel *recv[N_CHANNELS];
} Channels;

static Channels *
channels_new (void)
{
  Channels *self = g_new0 (Channels, 1);

  for (guint i = 0; i < N_CHANNELS; i++)
    dp_place_channel_new_pair (&self->send[i], &self->recv[i]);
  return self;
}

static void
channels_free (Channels *self)
{
  for (guint i = 0; i < N_CHANNELS; i++)
    {
      g_clear_object (&self->send[i]);
      g_clear_object (&self->recv[i]);
    }
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Channels, channels_free)

/* Every channel kept non-empty: in any N_CHANNELS consecutive syncs every
 * channel is served exactly once, and each channel's messages come in the
 * order they were put. */
static void
test_fairness_prefilled (void)
{
  const guint per_channel = 20, rounds = per_channel * N_CHANNELS;
  g_autoptr(Channels) ch = channels_new ();
  g_autofree guint *served = g_new0 (guint, N_CHANNELS);
  g_autofree guint *last_served_at = g_new0 (guint, N_CHANNELS);
  guint max_gap = 0;

  for (guint i = 0; i < N_CHANNELS; i++)
    for (guint k = 0; k < per_channel; k++)
      test_put (DP_CHANNEL (ch->send[i]), g_variant_new ("(uu)", i, k));

  for (guint n = 1; n <= rounds; n++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = NULL;
      guint index = G_MAXUINT, channel, seq;

      message = dp_channel_sync ((DpChannel **) ch->recv, N_CHANNELS, -1, &index, &error);
      g_assert_no_error (error);
      g_assert_nonnull (message);
      g_variant_get (message, "(uu)", &channel, &seq);
      g_assert_cmpuint (index, ==, channel);
      g_assert_cmpuint (seq, ==, served[channel]);
      served[channel]++;
      max_gap = MAX (max_gap, n - last_served_at[channel]);
      last_served_at[channel] = n;

      /* Within the first window every channel has had its turn. */
      if (n == 2 * N_CHANNELS)
        for (guint i = 0; i < N_CHANNELS; i++)
          g_assert_cmpuint (served[i], >=, 1);
    }

  g_test_message ("longest wait of a ready channel: %u syncs", max_gap);
  g_assert_cmpuint (max_gap, <=, 2 * N_CHANNELS);
  for (guint i = 0; i < N_CHANNELS; i++)
    g_assert_cmpuint (served[i], ==, per_channel);
}

/* One channel flooded by a producer place, 99 with one message each: the
 * flood cannot keep the 99 waiting for more than a bounded number of
 * syncs. */
static void
test_fairness_busy_channel (void)
{
  g_autoptr(Channels) ch = channels_new ();
  g_autoptr(DpPlace) producer = test_place ("producer_place");
  g_autoptr(GVariant) produced = NULL;
  g_autoptr(GVariant) error_reply = NULL;
  guint n_others = 0, n_flood = 0, n_syncs = 0;
  guint64 n_put;
  const char *tag;

  /* The producer floods channel 0 with 1000 messages, far more than we
   * will read, and then waits for an ack that never comes. */
  test_put (DP_CHANNEL (producer), g_variant_new ("(@htt)", test_hand_over (&ch->send[0]),
                                                  (guint64) G_MAXUINT64, (guint64) 1000));
  for (guint i = 1; i < N_CHANNELS; i++)
    test_put (DP_CHANNEL (ch->send[i]), g_variant_new ("(uu)", i, 0));

  /* Let the flood start before we look. */
  {
    g_autoptr(GVariant) first = test_get (DP_CHANNEL (ch->recv[0]));
    g_assert_cmpuint (g_variant_get_uint64 (first), ==, 0);
  }

  while (n_others < N_CHANNELS - 1)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = NULL;
      guint index = G_MAXUINT;

      message = dp_channel_sync ((DpChannel **) ch->recv, N_CHANNELS, -1, &index, &error);
      g_assert_no_error (error);
      n_syncs++;
      if (index == 0)
        n_flood++;
      else
        n_others++;
      g_assert_cmpuint (n_syncs, <=, 2 * N_CHANNELS);
    }
  g_test_message ("%u syncs: %u from the flooded channel, %u from the others",
                  n_syncs, n_flood, n_others);

  /* Stop the producer: its wait for an ack fails once our end is closed. */
  dp_channel_close (DP_CHANNEL (ch->recv[0]));
  produced = test_get (DP_CHANNEL (producer));
  g_variant_get (produced, "(&st@(is))", &tag, &n_put, &error_reply);
  g_assert_cmpstr (tag, ==, "produced");
  test_assert_error_reply (error_reply, DP_ERROR_CLOSED);
  g_assert_cmpint (test_wait (producer), ==, 0);
}

/* Nothing comes: NULL without an error, for a timeout and for a poll. */
static void
test_timeout (void)
{
  g_autoptr(Channels) ch = channels_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) message = NULL;
  guint index = 12345;

  message = dp_channel_sync ((DpChannel **) ch->recv, N_CHANNELS, 20 * 1000, &index, &error);
  g_assert_no_error (error);
  g_assert_null (message);
  message = dp_channel_sync ((DpChannel **) ch->recv, N_CHANNELS, 0, &index, &error);
  g_assert_no_error (error);
  g_assert_null (message);

  /* A poll finds what is there. */
  test_put (DP_CHANNEL (ch->send[42]), g_variant_new_string ("here"));
  message = dp_channel_sync ((DpChannel **) ch->recv, N_CHANNELS, 0, &index, &error);
  g_assert_no_error (error);
  g_assert_nonnull (message);
  g_assert_cmpuint (index, ==, 42);
}

static void
test_no_channels (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (dp_channel_sync (NULL, 0, 0, NULL, &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_FAILED);
}

/* A closed channel is ready: its error comes back, naming it. */
static void
test_closed_is_ready (void)
{
  g_autoptr(Channels) ch = channels_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) message = NULL;
  guint index = G_MAXUINT;

  dp_channel_close (DP_CHANNEL (ch->send[77]));
  message = dp_channel_sync ((DpChannel **) ch->recv, N_CHANNELS, -1, &index, &error);
  g_assert_null (message);
  g_assert_error (error, DP_ERROR, DP_ERROR_CLOSED);
  g_assert_cmpuint (index, ==, 77);
}

/* A place blocked in a sync over 10 channels wakes for a message on the
 * eighth. */
static void
test_wakes (void)
{
  g_autoptr(DpPlace) place = test_place ("sync_place");
  g_autoptr(GVariantBuilder) handles = g_variant_builder_new (G_VARIANT_TYPE ("ah"));
  g_autoptr(GPtrArray) mine = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GVariant) ack = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) got = NULL;
  g_autoptr(GVariant) error_reply = NULL;
  gint index;

  for (guint i = 0; i < 10; i++)
    {
      DpPlaceChannel *a, *b;

      dp_place_channel_new_pair (&a, &b);
      g_ptr_array_add (mine, a);
      g_variant_builder_add (handles, "@h", dp_channel_to_variant (DP_CHANNEL (b)));
      g_object_unref (b);   /* the place's once it takes it */
    }
  test_put (DP_CHANNEL (place), g_variant_new ("(ahx)", handles, (gint64) -1));
  ack = test_get (DP_CHANNEL (place));
  g_assert_cmpstr (g_variant_get_string (ack, NULL), ==, "syncing");

  test_put (g_ptr_array_index (mine, 7), g_variant_new ("(si)", "wake", 7));
  reply = test_get (DP_CHANNEL (place));
  g_variant_get (reply, "(i@mv@(is))", &index, &got, &error_reply);
  test_assert_error_reply (error_reply, -1);
  g_assert_cmpint (index, ==, 7);
  {
    g_autoptr(GVariant) expected = g_variant_ref_sink (g_variant_new ("(si)", "wake", 7));
    g_autoptr(GVariant) boxed = g_variant_get_maybe (got);
    g_autoptr(GVariant) inner = NULL;

    g_assert_nonnull (boxed);
    inner = g_variant_get_variant (boxed);
    g_assert_true (g_variant_equal (inner, expected));
  }
  g_assert_cmpint (test_wait (place), ==, 0);
}

/* A place's sync with a timeout ends with NULL, no error. */
static void
test_place_timeout (void)
{
  g_autoptr(DpPlace) place = test_place ("sync_place");
  g_autoptr(DpPlaceChannel) a = NULL;
  g_autoptr(DpPlaceChannel) b = NULL;
  g_autoptr(GVariant) ack = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) got = NULL;
  g_autoptr(GVariant) error_reply = NULL;
  gint index;

  dp_place_channel_new_pair (&a, &b);
  test_put (DP_CHANNEL (place), g_variant_new ("(@ahx)", g_variant_new_array (G_VARIANT_TYPE_HANDLE,
                                                  (GVariant *[]) { test_hand_over (&b) }, 1),
                                               (gint64) 20 * 1000));
  ack = test_get (DP_CHANNEL (place));
  reply = test_get (DP_CHANNEL (place));
  g_variant_get (reply, "(i@mv@(is))", &index, &got, &error_reply);
  test_assert_error_reply (error_reply, -1);
  g_assert_cmpuint (g_variant_n_children (got), ==, 0);
  g_assert_cmpint (index, ==, -1);
  g_assert_cmpint (test_wait (place), ==, 0);
}

/* sync_handle: the chosen case's handler runs with its message. */
typedef struct {
  guint calls[N_CHANNELS];
  GVariant *last_message;
  gint last_error_code;
  DpChannel *last_channel;
} HandleData;

typedef struct {
  HandleData *data;
  guint index;
} HandleCase;

static void
handler (DpChannel    *channel,
         GVariant     *message,
         const GError *error,
         gpointer      user_data)
{
  HandleCase *handle_case = user_data;
  HandleData *data = handle_case->data;

  data->calls[handle_case->index]++;
  g_clear_pointer (&data->last_message, g_variant_unref);
  if (message != NULL)
    data->last_message = g_variant_ref (message);
  data->last_error_code = error != NULL ? error->code : -1;
  data->last_channel = channel;
}

static void
test_sync_handle (void)
{
  g_autoptr(Channels) ch = channels_new ();
  HandleData data = { { 0 }, NULL, -1, NULL };
  HandleCase handle_cases[N_CHANNELS];
  DpSyncCase cases[N_CHANNELS];
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) sent = g_variant_ref_sink (g_variant_new_string ("for case 5"));

  for (guint i = 0; i < N_CHANNELS; i++)
    {
      handle_cases[i].data = &data;
      handle_cases[i].index = i;
      cases[i].channel = DP_CHANNEL (ch->recv[i]);
      cases[i].handler = handler;
      cases[i].user_data = &handle_cases[i];
    }

  /* Nothing ready: FALSE, no handler, no error. */
  g_assert_false (dp_channel_sync_handle (cases, N_CHANNELS, 10 * 1000, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < N_CHANNELS; i++)
    g_assert_cmpuint (data.calls[i], ==, 0);

  test_put (DP_CHANNEL (ch->send[5]), sent);
  g_assert_true (dp_channel_sync_handle (cases, N_CHANNELS, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (data.calls[5], ==, 1);
  g_assert_true (data.last_message == sent);
  g_assert_true (data.last_channel == DP_CHANNEL (ch->recv[5]));
  g_assert_cmpint (data.last_error_code, ==, -1);

  /* A closed channel's handler gets the error. */
  dp_channel_close (DP_CHANNEL (ch->send[9]));
  g_assert_true (dp_channel_sync_handle (cases, N_CHANNELS, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (data.calls[9], ==, 1);
  g_assert_null (data.last_message);
  g_assert_cmpint (data.last_error_code, ==, DP_ERROR_CLOSED);

  /* Every ready case gets its turn. */
  dp_channel_close (DP_CHANNEL (ch->recv[9]));
  for (guint i = 0; i < N_CHANNELS; i++)
    if (i != 9)
      test_put (DP_CHANNEL (ch->send[i]), g_variant_new_uint32 (i));
  for (guint n = 0; n < 2 * N_CHANNELS; n++)
    {
      /* Channel 9 is closed at both ends: always ready, with its error. */
      g_assert_true (dp_channel_sync_handle (cases, N_CHANNELS, -1, &error));
      g_assert_no_error (error);
    }
  for (guint i = 0; i < N_CHANNELS; i++)
    g_assert_cmpuint (data.calls[i], >=, 1);

  g_clear_pointer (&data.last_message, g_variant_unref);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sync/fairness/prefilled", test_fairness_prefilled);
  g_test_add_func ("/sync/fairness/busy-channel", test_fairness_busy_channel);
  g_test_add_func ("/sync/timeout", test_timeout);
  g_test_add_func ("/sync/no-channels", test_no_channels);
  g_test_add_func ("/sync/closed-is-ready", test_closed_is_ready);
  g_test_add_func ("/sync/wakes", test_wakes);
  g_test_add_func ("/sync/place-timeout", test_place_timeout);
  g_test_add_func ("/sync/handle", test_sync_handle);

  return g_test_run ();
}
