/* test-places.c: place functions the tests run (built as test-places.so)
 *
 * Each exported function is a DpPlaceFunc a test starts with
 * dp_dynamic_place ("test-places", "NAME", …). Places talk to the test only
 * through channels, except where a test must observe what a place saw after
 * its channels died (a killed place): those post what they saw on the
 * "board", which the test reads with test_board_take(), looked up in this
 * same module through the plugin registry.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>

#include <dplaces/dplaces.h>

/* The board: key → queue of GVariants, posted by places, taken by tests
 * in the order they were posted. */

static GMutex board_lock;
static GCond board_cond;
static GHashTable *board;

G_MODULE_EXPORT void test_board_post (const char *key,
                                      GVariant   *value);
G_MODULE_EXPORT GVariant *test_board_take (const char *key,
                                           gint64      timeout_usec);

static void
free_queue (gpointer data)
{
  g_queue_free_full (data, (GDestroyNotify) g_variant_unref);
}

G_MODULE_EXPORT void
test_board_post (const char *key,
                 GVariant   *value)
{
  GQueue *queue;

  g_mutex_lock (&board_lock);
  if (board == NULL)
    board = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_queue);
  queue = g_hash_table_lookup (board, key);
  if (queue == NULL)
    {
      queue = g_queue_new ();
      g_hash_table_insert (board, g_strdup (key), queue);
    }
  g_queue_push_tail (queue, g_variant_ref_sink (value));
  g_cond_broadcast (&board_cond);
  g_mutex_unlock (&board_lock);
}

/* Waits until something is posted under @key (or @timeout_usec passes) and
 * takes the oldest. */
G_MODULE_EXPORT GVariant *
test_board_take (const char *key,
                 gint64      timeout_usec)
{
  gint64 end_time = g_get_monotonic_time () + timeout_usec;
  GVariant *value = NULL;

  g_mutex_lock (&board_lock);
  for (;;)
    {
      GQueue *queue = board != NULL ? g_hash_table_lookup (board, key) : NULL;

      if (queue != NULL && (value = g_queue_pop_head (queue)) != NULL)
        break;
      if (!g_cond_wait_until (&board_cond, &board_lock, end_time))
        break;
    }
  g_mutex_unlock (&board_lock);

  return value;
}

/* Posts the error (or its absence) a place got, as (code, message). */
static void
post_error (const char   *key,
            const GError *error)
{
  if (error == NULL)
    test_board_post (key, g_variant_new ("(is)", -1, "no error"));
  else if (error->domain != DP_ERROR)
    test_board_post (key, g_variant_new ("(is)", -2, error->message));
  else
    test_board_post (key, g_variant_new ("(is)", error->code, error->message));
}

/* (code, message) for a reply on a channel: code -1 when no error. */
static GVariant *
error_variant (const GError *error)
{
  if (error == NULL)
    return g_variant_new ("(is)", -1, "no error");
  if (error->domain != DP_ERROR)
    return g_variant_new ("(is)", -2, error->message);
  return g_variant_new ("(is)", error->code, error->message);
}

/* Declarations, for -Wmissing-prototypes. */
G_MODULE_EXPORT void echo_place (DpChannel *ch);
G_MODULE_EXPORT void return_place (DpChannel *ch);
G_MODULE_EXPORT void exit_with_place (DpChannel *ch);
G_MODULE_EXPORT void exit_with_locals_place (DpChannel *ch);
G_MODULE_EXPORT void block_place (DpChannel *ch);
G_MODULE_EXPORT void put_after_kill_place (DpChannel *ch);
G_MODULE_EXPORT void producer_place (DpChannel *ch);
G_MODULE_EXPORT void consumer_place (DpChannel *ch);
G_MODULE_EXPORT void buyer_place (DpChannel *ch);
G_MODULE_EXPORT void seller_place (DpChannel *ch);
G_MODULE_EXPORT void hold_channel_place (DpChannel *ch);
G_MODULE_EXPORT void wait_on_channel_place (DpChannel *ch);
G_MODULE_EXPORT void drain_place (DpChannel *ch);
G_MODULE_EXPORT void sync_place (DpChannel *ch);
G_MODULE_EXPORT void sender_place (DpChannel *ch);
G_MODULE_EXPORT void flood_place (DpChannel *ch);
G_MODULE_EXPORT DpPlace *echo_thunk (void);
G_MODULE_EXPORT int test_places_not_a_place;

int test_places_not_a_place = 42;

/* Sends back every message it gets, the very same GVariant, until its
 * channel dies. */
G_MODULE_EXPORT void
echo_place (DpChannel *ch)
{
  for (;;)
    {
      g_autoptr(GVariant) message = dp_channel_get (ch, NULL);

      if (message == NULL || !dp_channel_put (ch, message, NULL))
        return;
    }
}

/* Ends at once, with status 0. */
G_MODULE_EXPORT void
return_place (DpChannel *ch)
{
}

/* Gets an int32 and ends with it as its status through dp_place_exit(). */
G_MODULE_EXPORT void
exit_with_place (DpChannel *ch)
{
  g_autoptr(GVariant) message = dp_channel_get (ch, NULL);
  gint status;

  if (message == NULL || !g_variant_is_of_type (message, G_VARIANT_TYPE_INT32))
    return;
  status = g_variant_get_int32 (message);
  g_clear_pointer (&message, g_variant_unref);

  dp_place_exit (status);
}

static void
post_freed (gpointer data)
{
  test_board_post ("exit-with-locals", g_variant_new_boolean (TRUE));
}

/* Gets an int32 and ends with it through dp_place_exit() while a
 * g_autoptr() local is alive; freeing that local posts "exit-with-locals"
 * on the board. */
G_MODULE_EXPORT void
exit_with_locals_place (DpChannel *ch)
{
  g_autoptr(GVariant) message = dp_channel_get (ch, NULL);
  g_autoptr(GBytes) local = g_bytes_new_with_free_func ("", 0, post_freed, NULL);

  if (message != NULL && g_variant_is_of_type (message, G_VARIANT_TYPE_INT32))
    dp_place_exit (g_variant_get_int32 (message));
}

/* Replies 'blocking', then blocks in a get on its channel, which nobody
 * feeds, and posts the error that get ends with under "block_place". */
G_MODULE_EXPORT void
block_place (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) message = NULL;

  dp_channel_put (ch, g_variant_new_string ("blocking"), NULL);
  message = dp_channel_get (ch, &error);

  post_error ("block_place", error);
}

/* Like block_place, then tries a put and a sync after the kill and posts
 * their errors as ("put_after_kill", (put code, sync code)). */
G_MODULE_EXPORT void
put_after_kill_place (DpChannel *ch)
{
  g_autoptr(GError) get_error = NULL;
  g_autoptr(GError) put_error = NULL;
  g_autoptr(GError) sync_error = NULL;
  g_autoptr(GVariant) message = dp_channel_get (ch, &get_error);
  g_autoptr(GVariant) synced = NULL;
  gboolean put_ok;

  put_ok = dp_channel_put (ch, g_variant_new_string ("after kill"), &put_error);
  synced = dp_channel_sync (&ch, 1, -1, NULL, &sync_error);
  test_board_post ("put_after_kill",
                   g_variant_new ("(bii)", put_ok,
                                  put_error != NULL && put_error->domain == DP_ERROR ? put_error->code : -1,
                                  sync_error != NULL && sync_error->domain == DP_ERROR ? sync_error->code : -1));
}

/* Gets (h channel, t count, t window) and puts count uint64s 0, 1, … on
 * the channel. With a window, it waits for an ack on the channel after
 * every window messages (so a slow consumer bounds the queue). Replies on
 * its own channel with ('produced', t n_put, (is) error) and ends, which
 * closes the channel it was given. */
G_MODULE_EXPORT void
producer_place (DpChannel *ch)
{
  g_autoptr(GVariant) setup = dp_channel_get (ch, NULL);
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(DpChannel) out = NULL;
  g_autoptr(GError) error = NULL;
  guint64 count, window, i;

  if (setup == NULL)
    return;
  g_variant_get (setup, "(@htt)", &handle, &count, &window);
  out = dp_channel_from_variant (handle, &error);
  if (out == NULL)
    {
      dp_channel_put (ch, g_variant_new ("(st@(is))", "produced", (guint64) 0, error_variant (error)), NULL);
      return;
    }

  for (i = 0; i < count; i++)
    {
      if (!dp_channel_put (out, g_variant_new_uint64 (i), &error))
        break;
      if (window > 0 && (i + 1) % window == 0 && i + 1 < count)
        {
          g_autoptr(GVariant) ack = dp_channel_get (out, &error);
          if (ack == NULL)
            break;
        }
    }

  dp_channel_put (ch, g_variant_new ("(st@(is))", "produced", i, error_variant (error)), NULL);
}

/* Gets (h channel, t window) and reads uint64s from the channel until it
 * dies, checking that they come as 0, 1, 2, …, acking every window
 * messages. Replies with ('consumed', t n_got, t n_in_order, (is) error):
 * n_in_order is how many of the first messages were the expected ones. */
G_MODULE_EXPORT void
consumer_place (DpChannel *ch)
{
  g_autoptr(GVariant) setup = dp_channel_get (ch, NULL);
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(DpChannel) in = NULL;
  g_autoptr(GError) error = NULL;
  guint64 window, n_got = 0, n_in_order = 0;
  gboolean in_order = TRUE;

  if (setup == NULL)
    return;
  g_variant_get (setup, "(@ht)", &handle, &window);
  in = dp_channel_from_variant (handle, &error);

  while (in != NULL)
    {
      g_autoptr(GVariant) message = dp_channel_get (in, &error);

      if (message == NULL)
        break;
      if (in_order && g_variant_is_of_type (message, G_VARIANT_TYPE_UINT64) &&
          g_variant_get_uint64 (message) == n_got)
        n_in_order++;
      else
        in_order = FALSE;
      n_got++;
      if (window > 0 && n_got % window == 0)
        dp_channel_put (in, g_variant_new_uint64 (n_got), NULL);
    }

  dp_channel_put (ch, g_variant_new ("(stt@(is))", "consumed", n_got, n_in_order,
                                     error_variant (error)), NULL);
}

/* The dissertation's buyer and seller (section on place-channel): each is
 * given one end of a channel and haggles with the other directly, then
 * reports only the result on its own channel.
 *
 * The seller asks (first-ask) and lowers its ask by ask-step after each
 * offer; the buyer accepts an ask at or below its current offer, else
 * offers that and raises its offer by offer-step. Messages on the trade channel: ('ask', t price) from the
 * seller, ('offer', t price) or ('accept', t price) from the buyer, and
 * ('sold', t price) from the seller to close the deal. */

G_MODULE_EXPORT void
buyer_place (DpChannel *ch)
{
  g_autoptr(GVariant) setup = dp_channel_get (ch, NULL);
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(DpChannel) trade = NULL;
  g_autoptr(GError) error = NULL;
  guint64 offer, step, rounds = 0;

  if (setup == NULL)
    return;
  g_variant_get (setup, "(@htt)", &handle, &offer, &step);
  trade = dp_channel_from_variant (handle, &error);

  while (trade != NULL)
    {
      g_autoptr(GVariant) message = dp_channel_get (trade, &error);
      const char *tag;
      guint64 price;

      if (message == NULL)
        break;
      g_variant_get (message, "(&st)", &tag, &price);
      rounds++;
      if (g_str_equal (tag, "ask"))
        {
          if (price <= offer)
            dp_channel_put (trade, g_variant_new ("(st)", "accept", price), NULL);
          else
            {
              dp_channel_put (trade, g_variant_new ("(st)", "offer", offer), NULL);
              offer += step;
            }
        }
      else if (g_str_equal (tag, "sold"))
        {
          dp_channel_put (ch, g_variant_new ("(stt)", "bought", price, rounds), NULL);
          return;
        }
    }

  dp_channel_put (ch, g_variant_new ("(s@(is))", "failed", error_variant (error)), NULL);
}

G_MODULE_EXPORT void
seller_place (DpChannel *ch)
{
  g_autoptr(GVariant) setup = dp_channel_get (ch, NULL);
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(DpChannel) trade = NULL;
  g_autoptr(GError) error = NULL;
  guint64 ask, step, rounds = 0;

  if (setup == NULL)
    return;
  g_variant_get (setup, "(@htt)", &handle, &ask, &step);
  trade = dp_channel_from_variant (handle, &error);

  if (trade != NULL)
    dp_channel_put (trade, g_variant_new ("(st)", "ask", ask), &error);

  while (trade != NULL && error == NULL)
    {
      g_autoptr(GVariant) message = dp_channel_get (trade, &error);
      const char *tag;
      guint64 price;

      if (message == NULL)
        break;
      g_variant_get (message, "(&st)", &tag, &price);
      rounds++;
      if (g_str_equal (tag, "accept"))
        {
          dp_channel_put (trade, g_variant_new ("(st)", "sold", price), NULL);
          dp_channel_put (ch, g_variant_new ("(stt)", "sold", price, rounds), NULL);
          /* Wait for the buyer to hang up: it must get 'sold' first. */
          g_clear_pointer (&message, g_variant_unref);
          message = dp_channel_get (trade, NULL);
          return;
        }
      ask = ask > step ? ask - step : 0;
      dp_channel_put (trade, g_variant_new ("(st)", "ask", ask), NULL);
    }

  dp_channel_put (ch, g_variant_new ("(s@(is))", "failed", error_variant (error)), NULL);
}

/* Gets (h), takes the channel, replies 'holding', then blocks on its own
 * channel until it dies or is killed. */
G_MODULE_EXPORT void
hold_channel_place (DpChannel *ch)
{
  g_autoptr(GVariant) setup = dp_channel_get (ch, NULL);
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(DpChannel) held = NULL;
  g_autoptr(GVariant) never = NULL;

  if (setup == NULL)
    return;
  g_variant_get (setup, "(@h)", &handle);
  held = dp_channel_from_variant (handle, NULL);
  dp_channel_put (ch, g_variant_new_string ("holding"), NULL);
  never = dp_channel_get (ch, NULL);
}

/* Gets (h), takes the channel, replies 'waiting', gets one message from
 * the channel, and replies ('message', v) or ('error', (is)). */
G_MODULE_EXPORT void
wait_on_channel_place (DpChannel *ch)
{
  g_autoptr(GVariant) setup = dp_channel_get (ch, NULL);
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(DpChannel) other = NULL;
  g_autoptr(GVariant) message = NULL;
  g_autoptr(GError) error = NULL;

  if (setup == NULL)
    return;
  g_variant_get (setup, "(@h)", &handle);
  other = dp_channel_from_variant (handle, &error);
  dp_channel_put (ch, g_variant_new_string ("waiting"), NULL);
  if (other != NULL)
    message = dp_channel_get (other, &error);

  if (message != NULL)
    dp_channel_put (ch, g_variant_new ("(sv)", "message", message), NULL);
  else
    dp_channel_put (ch, g_variant_new ("(sv)", "error", error_variant (error)), NULL);
}

/* Gets (h report), then reads its own channel until it fails, and puts
 * (av messages, (is) error) on the report channel. */
G_MODULE_EXPORT void
drain_place (DpChannel *ch)
{
  g_autoptr(GVariant) setup = dp_channel_get (ch, NULL);
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(DpChannel) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariantBuilder) got = g_variant_builder_new (G_VARIANT_TYPE ("av"));

  if (setup == NULL)
    return;
  g_variant_get (setup, "(@h)", &handle);
  report = dp_channel_from_variant (handle, NULL);
  dp_channel_put (report, g_variant_new_string ("ready"), NULL);

  for (;;)
    {
      g_autoptr(GVariant) message = dp_channel_get (ch, &error);

      if (message == NULL)
        break;
      g_variant_builder_add (got, "v", message);
    }

  dp_channel_put (report, g_variant_new ("(av@(is))", got, error_variant (error)), NULL);
}

/* Gets (ah channels, x timeout_usec), replies 'syncing', syncs over the
 * channels once, drops them, and replies (i index, mv message, (is) error);
 * posts the same under "sync_place" (for when it is killed and cannot
 * reply). */
G_MODULE_EXPORT void
sync_place (DpChannel *ch)
{
  g_autoptr(GVariant) setup = dp_channel_get (ch, NULL);
  g_autoptr(GVariant) handles = NULL;
  g_autoptr(GPtrArray) channels = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GVariant) message = NULL;
  g_autoptr(GError) error = NULL;
  gint64 timeout;
  guint index = G_MAXUINT;
  GVariant *result;

  if (setup == NULL)
    return;
  g_variant_get (setup, "(@ahx)", &handles, &timeout);
  for (gsize i = 0; i < g_variant_n_children (handles); i++)
    {
      g_autoptr(GVariant) handle = g_variant_get_child_value (handles, i);
      g_ptr_array_add (channels, dp_channel_from_variant (handle, NULL));
    }
  dp_channel_put (ch, g_variant_new_string ("syncing"), NULL);

  message = dp_channel_sync ((DpChannel **) channels->pdata, channels->len, timeout,
                             &index, &error);
  /* Let go of the channels before telling: a test may check what that
   * does to their other ends. */
  g_clear_pointer (&channels, g_ptr_array_unref);

  result = g_variant_ref_sink (g_variant_new ("(i@mv@(is))", index == G_MAXUINT ? -1 : (gint) index,
                                              g_variant_new_maybe (G_VARIANT_TYPE_VARIANT,
                                                                   message != NULL
                                                                   ? g_variant_new_variant (message)
                                                                   : NULL),
                                              error_variant (error)));
  test_board_post ("sync_place", result);
  dp_channel_put (ch, result, NULL);
  g_variant_unref (result);
}

/* Gets (h channel, av messages), puts each message on the channel, replies
 * ('sent', u n) and ends (which closes the channel it was given). */
G_MODULE_EXPORT void
sender_place (DpChannel *ch)
{
  g_autoptr(GVariant) setup = dp_channel_get (ch, NULL);
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GVariant) messages = NULL;
  g_autoptr(DpChannel) out = NULL;
  guint n = 0;

  if (setup == NULL)
    return;
  g_variant_get (setup, "(@h@av)", &handle, &messages);
  out = dp_channel_from_variant (handle, NULL);
  for (gsize i = 0; out != NULL && i < g_variant_n_children (messages); i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (messages, i);
      g_autoptr(GVariant) message = g_variant_get_variant (boxed);

      if (!dp_channel_put (out, message, NULL))
        break;
      n++;
    }

  dp_channel_put (ch, g_variant_new ("(su)", "sent", n), NULL);
}

/* Gets a channel (h) and puts 64 KiB messages on it until a put fails,
 * then posts that put's error under "flood_place". */
G_MODULE_EXPORT void
flood_place (DpChannel *ch)
{
  static const guint8 bytes[64 * 1024];
  g_autoptr(GVariant) handle = dp_channel_get (ch, NULL);
  g_autoptr(DpChannel) out = NULL;
  g_autoptr(GError) error = NULL;

  if (handle == NULL || (out = dp_channel_from_variant (handle, &error)) == NULL)
    {
      post_error ("flood_place", error);
      return;
    }
  while (dp_channel_put (out, g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, bytes, sizeof bytes,
                                                       TRUE, NULL, NULL),
                         &error))
    ;
  post_error ("flood_place", error);
}

/* Thunk mode: creates an echo place itself and returns it. */
G_MODULE_EXPORT DpPlace *
echo_thunk (void)
{
  return dp_dynamic_place ("test-places", "echo_place", NULL);
}

/* Gets one message, then abort()s: a crash the processes backend must
 * survive. */
G_MODULE_EXPORT void abort_place (DpChannel *ch);

G_MODULE_EXPORT void
abort_place (DpChannel *ch)
{
  g_autoptr(GVariant) message = dp_channel_get (ch, NULL);

  abort ();
}

/* Gets (vector, value) and fills the shared int64 vector: element i
 * becomes value + i. Answers 'written'. */
G_MODULE_EXPORT void vector_writer_place (DpChannel *ch);

G_MODULE_EXPORT void
vector_writer_place (DpChannel *ch)
{
  g_autoptr(GVariant) message = dp_channel_get (ch, NULL);
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(DpSharedVector) vector = NULL;
  gint64 *data;
  gint64 value;

  if (message == NULL)
    return;
  g_variant_get (message, "(@hx)", &handle, &value);
  vector = dp_shared_vector_from_variant (handle, NULL);
  if (vector == NULL || (data = dp_shared_vector_get_fixnums (vector)) == NULL)
    {
      dp_channel_put (ch, g_variant_new_string ("not a vector of integers"), NULL);
      return;
    }
  for (gsize i = 0; i < dp_shared_vector_get_length (vector); i++)
    data[i] = value + (gint64) i;
  dp_channel_put (ch, g_variant_new_string ("written"), NULL);
}

/* Gets a shared int64 vector and answers the sum of its elements. */
G_MODULE_EXPORT void vector_reader_place (DpChannel *ch);

G_MODULE_EXPORT void
vector_reader_place (DpChannel *ch)
{
  g_autoptr(GVariant) handle = dp_channel_get (ch, NULL);
  g_autoptr(DpSharedVector) vector = NULL;
  const gint64 *data;
  gint64 sum = 0;

  if (handle == NULL)
    return;
  vector = dp_shared_vector_from_variant (handle, NULL);
  if (vector == NULL || (data = dp_shared_vector_get_fixnums (vector)) == NULL)
    {
      dp_channel_put (ch, g_variant_new_int64 (-1), NULL);
      return;
    }
  for (gsize i = 0; i < dp_shared_vector_get_length (vector); i++)
    sum += data[i];
  dp_channel_put (ch, g_variant_new_int64 (sum), NULL);
}
