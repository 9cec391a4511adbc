/* test-timers.c: the message router — DpAfterSeconds fire once, in the
 * order of their delays, DpEverySeconds repeat until stopped,
 * dp_node_exit() ends dp_message_router() / dp_node_sync_events() with its
 * status (the first one given wins), from the loop or from another thread.
 * Periods are 10–120 ms; the tests check order and counts, never times.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "test-common.h"

typedef struct {
  DpNode *node;
  GPtrArray *events;     /* char*, what fired, in order */
  guint ticks;
  guint exit_at;         /* exit after this many ticks, 0: never */
  gint exit_status;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->node = dp_node_new (0);
  fixture->events = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->node);
  g_clear_pointer (&fixture->events, g_ptr_array_unref);
}

typedef struct {
  Fixture *fixture;
  const char *name;
  gboolean exit;
} Mark;

static void
mark_fired (gpointer data)
{
  Mark *mark = data;

  g_ptr_array_add (mark->fixture->events, g_strdup (mark->name));
  if (mark->exit)
    dp_node_exit (mark->fixture->node, (gint) mark->fixture->events->len);
}

static Mark *
mark_new (Fixture    *fixture,
          const char *name,
          gboolean    exit)
{
  Mark *mark = g_new0 (Mark, 1);

  mark->fixture = fixture;
  mark->name = name;
  mark->exit = exit;
  return mark;
}

static char *
events_string (Fixture *fixture)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < fixture->events->len; i++)
    g_string_append_printf (text, "%s%s", i > 0 ? " " : "",
                            (const char *) g_ptr_array_index (fixture->events, i));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* After-seconds fire once each, in the order of their delays, whatever the
 * order they were added in; the last one's exit ends the router. */
static void
test_after_seconds_order (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(DpAfterSeconds) late = dp_after_seconds_new (0.12, mark_fired,
                                                         mark_new (fixture, "late", TRUE), g_free);
  g_autoptr(DpAfterSeconds) early = dp_after_seconds_new (0.04, mark_fired,
                                                          mark_new (fixture, "early", FALSE), g_free);
  g_autoptr(DpAfterSeconds) middle = dp_after_seconds_new (0.08, mark_fired,
                                                           mark_new (fixture, "middle", FALSE), g_free);
  g_autoptr(DpAfterSeconds) now = dp_after_seconds_new (0, mark_fired,
                                                        mark_new (fixture, "now", FALSE), g_free);
  g_autofree char *order = NULL;
  gint status;

  g_assert_cmpfloat (dp_after_seconds_get_seconds (middle), ==, 0.08);
  status = dp_message_router (fixture->node, DP_EVENT_CONTAINER (late), DP_EVENT_CONTAINER (middle),
                              DP_EVENT_CONTAINER (early), DP_EVENT_CONTAINER (now), NULL);

  order = events_string (fixture);
  g_assert_cmpstr (order, ==, "now early middle late");
  /* The status dp_node_exit() was given: the number of events then. */
  g_assert_cmpint (status, ==, 4);
  g_assert_false (dp_node_is_running (fixture->node));
}

static void
mark_fired_slowly (gpointer data)
{
  mark_fired (data);
  /* The loop is busy past every other deadline: it wakes late. */
  g_usleep (G_USEC_PER_SEC / 4);
}

/* A loop that wakes late finds several after-seconds due at once: they
 * still fire in the order of their delays. GLib dispatched them in the
 * order they were attached (here the reverse), and on a loaded machine
 * the order test above failed so (seen under ASan). */
static void
test_after_seconds_due_together (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(DpAfterSeconds) late = dp_after_seconds_new (0.12, mark_fired,
                                                         mark_new (fixture, "late", TRUE), g_free);
  g_autoptr(DpAfterSeconds) middle = dp_after_seconds_new (0.08, mark_fired,
                                                           mark_new (fixture, "middle", FALSE), g_free);
  g_autoptr(DpAfterSeconds) early = dp_after_seconds_new (0.04, mark_fired,
                                                          mark_new (fixture, "early", FALSE), g_free);
  g_autoptr(DpAfterSeconds) now = dp_after_seconds_new (0, mark_fired_slowly,
                                                        mark_new (fixture, "now", FALSE), g_free);
  g_autofree char *order = NULL;

  g_assert_cmpint (dp_message_router (fixture->node, DP_EVENT_CONTAINER (late), DP_EVENT_CONTAINER (middle),
                                      DP_EVENT_CONTAINER (early), DP_EVENT_CONTAINER (now), NULL), ==, 4);
  order = events_string (fixture);
  g_assert_cmpstr (order, ==, "now early middle late");
}

static void
tick (gpointer data)
{
  Fixture *fixture = data;

  fixture->ticks++;
  if (fixture->exit_at > 0 && fixture->ticks == fixture->exit_at)
    dp_node_exit (fixture->node, fixture->exit_status);
}

/* Every-seconds repeats; an exit from its body stops the loop there. */
static void
test_every_seconds_repeats (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(DpEverySeconds) every = dp_every_seconds_new (0.01, tick, fixture, NULL);

  g_assert_cmpfloat (dp_every_seconds_get_seconds (every), ==, 0.01);
  fixture->exit_at = 5;
  fixture->exit_status = 42;
  dp_node_add (fixture->node, DP_EVENT_CONTAINER (every));

  g_assert_cmpint (dp_node_sync_events (fixture->node), ==, 42);
  g_assert_cmpuint (fixture->ticks, ==, 5);
}

/* A stopped every-seconds fires no more, while another keeps going. */
typedef struct {
  DpNode *node;
  DpEverySeconds *stopped;
  guint stopped_ticks;
  guint stopped_ticks_at_stop;
  guint other_ticks;
  guint other_ticks_at_stop;
} StopData;

static void
stopped_tick (gpointer data)
{
  StopData *stop = data;

  stop->stopped_ticks++;
  if (stop->stopped_ticks == 3)
    {
      dp_every_seconds_stop (stop->stopped);
      stop->stopped_ticks_at_stop = stop->stopped_ticks;
      stop->other_ticks_at_stop = stop->other_ticks;
    }
}

static void
other_tick (gpointer data)
{
  StopData *stop = data;

  stop->other_ticks++;
  if (stop->stopped_ticks_at_stop > 0 && stop->other_ticks == stop->other_ticks_at_stop + 5)
    dp_node_exit (stop->node, 0);
}

static void
test_every_seconds_stop (Fixture       *fixture,
                         gconstpointer  data)
{
  StopData stop = { fixture->node, NULL, 0, 0, 0, 0 };
  g_autoptr(DpEverySeconds) stopped = dp_every_seconds_new (0.01, stopped_tick, &stop, NULL);
  g_autoptr(DpEverySeconds) other = dp_every_seconds_new (0.01, other_tick, &stop, NULL);

  stop.stopped = stopped;
  g_assert_cmpint (dp_message_router (fixture->node, DP_EVENT_CONTAINER (stopped),
                                      DP_EVENT_CONTAINER (other), NULL), ==, 0);
  g_assert_cmpuint (stop.stopped_ticks, ==, 3);
  g_assert_cmpuint (stop.other_ticks, ==, stop.other_ticks_at_stop + 5);
}

/* The first exit status wins; an exit before the loop runs ends it at
 * once. */
static void
test_exit_first_wins (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(DpAfterSeconds) never = dp_after_seconds_new (3600, mark_fired,
                                                          mark_new (fixture, "never", FALSE), g_free);

  dp_node_exit (fixture->node, 5);
  dp_node_exit (fixture->node, 6);
  g_assert_cmpint (dp_message_router (fixture->node, DP_EVENT_CONTAINER (never), NULL), ==, 5);
  g_assert_cmpuint (fixture->events->len, ==, 0);
}

/* dp_node_exit() from another thread — here a place's thread would do the
 * same — stops the loop. */
static gpointer
exit_thread (gpointer data)
{
  dp_node_exit (data, 3);
  return NULL;
}

static void
start_exit_thread (gpointer data)
{
  Fixture *fixture = data;

  g_ptr_array_add (fixture->events, g_strdup ("started"));
  g_thread_unref (g_thread_new ("exit", exit_thread, fixture->node));
}

static void
test_exit_from_thread (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(DpAfterSeconds) start = dp_after_seconds_new (0, start_exit_thread, fixture, NULL);
  g_autoptr(DpEverySeconds) keep_busy = dp_every_seconds_new (0.01, tick, fixture, NULL);

  g_assert_cmpint (dp_message_router (fixture->node, DP_EVENT_CONTAINER (start),
                                      DP_EVENT_CONTAINER (keep_busy), NULL), ==, 3);
  g_assert_cmpuint (fixture->events->len, ==, 1);
}

/* A container added while the loop runs registers at once. */
static void
add_more (gpointer data)
{
  Fixture *fixture = data;
  g_autoptr(DpAfterSeconds) later = dp_after_seconds_new (0.01, mark_fired,
                                                          mark_new (fixture, "added", TRUE), g_free);

  g_ptr_array_add (fixture->events, g_strdup ("first"));
  dp_node_add (fixture->node, DP_EVENT_CONTAINER (later));
}

static void
test_add_while_running (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(DpAfterSeconds) first = dp_after_seconds_new (0, add_more, fixture, NULL);
  g_autofree char *order = NULL;

  g_assert_cmpint (dp_message_router (fixture->node, DP_EVENT_CONTAINER (first), NULL), ==, 2);
  order = events_string (fixture);
  g_assert_cmpstr (order, ==, "first added");
}

/* A subclass of DpAfterSeconds overrides fire (as restart strategies do). */
typedef struct {
  DpAfterSeconds parent_instance;
  DpNode *node;
  guint fired;
} TestAfter;

typedef struct {
  DpAfterSecondsClass parent_class;
} TestAfterClass;

static GType test_after_get_type (void);
G_DEFINE_TYPE (TestAfter, test_after, DP_TYPE_AFTER_SECONDS)

static void
test_after_fire (DpAfterSeconds *self)
{
  TestAfter *after = (TestAfter *) self;

  after->fired++;
  dp_node_exit (after->node, 11);
}

static void
test_after_class_init (TestAfterClass *klass)
{
  DP_AFTER_SECONDS_CLASS (klass)->fire = test_after_fire;
}

static void
test_after_init (TestAfter *self)
{
}

static void
test_after_seconds_subclass (Fixture       *fixture,
                             gconstpointer  data)
{
  TestAfter *after = g_object_new (test_after_get_type (), "seconds", 0.01, NULL);

  after->node = fixture->node;
  g_assert_cmpint (dp_message_router (fixture->node, DP_EVENT_CONTAINER (after), NULL), ==, 11);
  g_assert_cmpuint (after->fired, ==, 1);
  g_object_unref (after);
}

/* Places started from the loop are the node's; named ones are found by
 * name. */
static void
test_node_places (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(DpPlace) echo = test_place ("echo_place");
  g_autoptr(DpPlace) other = test_place ("return_place");
  g_autoptr(DpPlace) found = NULL;
  g_autoptr(GPtrArray) places = NULL;

  dp_node_add_place (fixture->node, echo, "echo");
  dp_node_add_place (fixture->node, other, NULL);
  found = dp_node_lookup_place (fixture->node, "echo");
  g_assert_true (found == echo);
  g_assert_null (dp_node_lookup_place (fixture->node, "nobody"));
  places = dp_node_list_places (fixture->node);
  g_assert_cmpuint (places->len, ==, 2);
  g_assert_cmpuint (dp_node_get_listen_port (fixture->node), ==, 0);
  g_assert_true (dp_port_no_p (DP_DEFAULT_ROUTER_PORT));
  g_assert_false (dp_port_no_p (65536));
  g_assert_false (dp_port_no_p (-1));

  dp_channel_close (DP_CHANNEL (echo));
  g_assert_cmpint (test_wait (echo), ==, 0);
  g_assert_cmpint (test_wait (other), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/timers/after-seconds/order", test_after_seconds_order);
  ADD ("/timers/after-seconds/due-together", test_after_seconds_due_together);
  ADD ("/timers/after-seconds/subclass", test_after_seconds_subclass);
  ADD ("/timers/every-seconds/repeats", test_every_seconds_repeats);
  ADD ("/timers/every-seconds/stop", test_every_seconds_stop);
  ADD ("/timers/exit/first-wins", test_exit_first_wins);
  ADD ("/timers/exit/from-thread", test_exit_from_thread);
  ADD ("/timers/node/add-while-running", test_add_while_running);
  ADD ("/timers/node/places", test_node_places);
#undef ADD

  return g_test_run ();
}
