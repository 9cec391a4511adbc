/* test-processes.c: the processes backend — a place that crashes is
 * reported dead with its signal, its peer's get fails saying so, and the
 * rest of the node keeps running; shared vectors are shared memory among
 * places of one node, under both backends.
 *
 * (Every message kind through the processes backend: test-channel's
 * /channel/round-trip/processes/ cases.)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "test-common.h"

/* abort() in a place: dead with SIGABRT, the peer's get fails naming it,
 * and another place, started before and after, keeps answering. */
static void
test_abort_is_reported (void)
{
  g_autoptr(DpPlace) survivor = test_place_with_backend ("echo_place", "processes");
  g_autoptr(DpPlace) crasher = test_place_with_backend ("abort_place", "processes");
  g_autoptr(DpPlace) later = NULL;
  g_autoptr(GVariant) echoed = NULL;
  g_autoptr(GVariant) nothing = NULL;
  g_autoptr(GError) error = NULL;

  test_put (DP_CHANNEL (crasher), g_variant_new_string ("die"));
  nothing = dp_channel_get_timeout (DP_CHANNEL (crasher), TEST_WAIT_USEC, &error);
  g_assert_null (nothing);
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
  g_assert_nonnull (strstr (error->message, "SIGABRT"));

  g_assert_cmpint (test_wait (crasher), ==, 128 + 6);
  g_assert_nonnull (strstr (dp_place_get_exit_reason (crasher), "SIGABRT"));

  /* Nothing is lost to a dead place silently: a put fails. */
  g_clear_error (&error);
  g_assert_false (dp_channel_put (DP_CHANNEL (crasher), g_variant_new_string ("x"), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);

  /* The node and its other places live on. */
  test_put (DP_CHANNEL (survivor), g_variant_new_string ("still here"));
  echoed = test_get (DP_CHANNEL (survivor));
  g_assert_cmpstr (g_variant_get_string (echoed, NULL), ==, "still here");

  later = test_place_with_backend ("echo_place", "processes");
  test_put (DP_CHANNEL (later), g_variant_new_int32 (7));
  g_clear_pointer (&echoed, g_variant_unref);
  echoed = test_get (DP_CHANNEL (later));
  g_assert_cmpint (g_variant_get_int32 (echoed), ==, 7);

  dp_channel_close (DP_CHANNEL (survivor));
  dp_channel_close (DP_CHANNEL (later));
  g_assert_cmpint (test_wait (survivor), ==, 0);
  g_assert_cmpint (test_wait (later), ==, 0);
}

/* dp_place_kill() on a child process: status 1, its channel dead. */
static void
test_kill (void)
{
  g_autoptr(DpPlace) place = test_place_with_backend ("block_place", "processes");
  g_autoptr(GVariant) blocking = NULL;
  g_autoptr(GVariant) nothing = NULL;
  g_autoptr(GError) error = NULL;

  /* It says it blocks, then blocks in a get. */
  blocking = test_get (DP_CHANNEL (place));
  g_assert_cmpstr (g_variant_get_string (blocking, NULL), ==, "blocking");
  dp_place_kill (place);
  g_assert_cmpint (test_wait (place), ==, 1);
  nothing = dp_channel_get_timeout (DP_CHANNEL (place), TEST_WAIT_USEC, &error);
  g_assert_null (nothing);
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
}

/* A place writes a shared vector, another reads it, and so do we: one
 * memory, whichever backend the two places run on. */
static void
test_shared_vector (gconstpointer data)
{
  const char *const *backends = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DpSharedVector) vector = dp_make_shared_fxvector (1000, -1, &error);
  g_autoptr(DpPlace) writer = test_place_with_backend ("vector_writer_place", backends[0]);
  g_autoptr(DpPlace) reader = test_place_with_backend ("vector_reader_place", backends[1]);
  g_autoptr(GVariant) written = NULL;
  g_autoptr(GVariant) sum = NULL;
  gint64 *elements;
  gint64 expected = 0;

  g_assert_no_error (error);
  test_put (DP_CHANNEL (writer), g_variant_new ("(@hx)", dp_shared_vector_to_variant (vector),
                                                (gint64) 1000000));
  written = test_get (DP_CHANNEL (writer));
  g_assert_cmpstr (g_variant_get_string (written, NULL), ==, "written");

  /* The writer's stores are ours to see. */
  elements = dp_shared_vector_get_fixnums (vector);
  for (gsize i = 0; i < 1000; i++)
    {
      g_assert_cmpint (elements[i], ==, 1000000 + (gint64) i);
      expected += elements[i];
    }

  /* And the reader's, in another place. */
  test_put (DP_CHANNEL (reader), dp_shared_vector_to_variant (vector));
  sum = test_get (DP_CHANNEL (reader));
  g_assert_cmpint (g_variant_get_int64 (sum), ==, expected);

  g_assert_cmpint (test_wait (writer), ==, 0);
  g_assert_cmpint (test_wait (reader), ==, 0);
}

/* The vector's memory goes when the last holder lets go, across processes
 * too: a message that left the process does not pin it here. */
static void
test_shared_vector_freed (void)
{
  g_autoptr(GError) error = NULL;
  DpSharedVector *vector = dp_make_shared_fxvector (16, 0, &error);
  g_autoptr(DpPlace) reader = test_place_with_backend ("vector_reader_place", "processes");
  g_autoptr(GVariant) sum = NULL;
  gpointer weak = vector;

  g_assert_no_error (error);
  g_object_add_weak_pointer (G_OBJECT (vector), &weak);
  test_put (DP_CHANNEL (reader), dp_shared_vector_to_variant (vector));
  sum = test_get (DP_CHANNEL (reader));
  g_assert_cmpint (g_variant_get_int64 (sum), ==, 0);
  g_assert_cmpint (test_wait (reader), ==, 0);

  g_object_unref (vector);
  g_assert_null (weak);
}

/* A place's own function in the program cannot run in a child process:
 * a clear error, at once. */
static void
test_program_function_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr(DpPlace) place = g_object_new (DP_TYPE_PLACE, "module", self, "function", "main",
                                           "backend", "processes", NULL);

  g_assert_false (dp_place_start (place, &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "module"));
}

int
main (int    argc,
      char **argv)
{
  static const char *const threads_threads[] = { "threads", "threads" };
  static const char *const processes_processes[] = { "processes", "processes" };
  static const char *const threads_processes[] = { "threads", "processes" };

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/processes/abort-is-reported", test_abort_is_reported);
  g_test_add_func ("/processes/kill", test_kill);
  g_test_add_data_func ("/processes/shared-vector/threads", threads_threads, test_shared_vector);
  g_test_add_data_func ("/processes/shared-vector/processes", processes_processes, test_shared_vector);
  g_test_add_data_func ("/processes/shared-vector/mixed", threads_processes, test_shared_vector);
  g_test_add_func ("/processes/shared-vector/freed", test_shared_vector_freed);
  g_test_add_func ("/processes/program-function-refused", test_program_function_refused);

  return g_test_run ();
}
