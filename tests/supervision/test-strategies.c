/* test-strategies.c: every restart strategy's timing and counting, with
 * an injected clock
 *
 * A strategy is a function of the DpRestartInfo it is given — when the
 * child started, when it ended — and of what it counted so far: these
 * tests hand it made-up times, so a 5-second restarter is checked over
 * minutes of made-up time in microseconds of real time, without a sleep.
 *
 *   /strategy/restarter/…     restart-every: the Racket example's timeline,
 *                             the retry reset, no limit, on-final-fail once
 *   /strategy/never           never restarts, never gives up
 *   /strategy/always/…        at once; the storm guard's back-off and reset
 *   /strategy/backoff/…       exponential, capped, jittered within bounds,
 *                             reproducible with a seed, retry and reset
 *   /strategy/intensity/…     Erlang's intensity: escalates on the
 *                             (max+1)-th restart within the period
 *   /strategy/function/…      a DpRestartFunc from a module; a missing one
 *   /strategy/keyfile/…       restart= and the strategy's keys in a group
 *                             (construct-only ones too), on-final-fail
 *                             keys, errors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>

#include <dplaces/dplaces.h>

#define SEC(s) ((gint64) ((s) * G_USEC_PER_SEC))

/* The child started at @started s and ended at @ended s. */
static DpRestartInfo
child (gdouble started,
       gdouble ended)
{
  DpRestartInfo info = { 0 };

  info.name = "place test";
  info.started = SEC (started);
  info.ended = SEC (ended);
  info.exit_status = 0;
  info.exit_reason = "exited with status 0";
  return info;
}

/* Asks @strategy about a child that ran from @started to @ended; checks
 * the decision and, for a restart, the delay (in seconds, to the µs). */
static void
assert_decides (gpointer           strategy,
                gdouble            started,
                gdouble            ended,
                DpRestartDecision  expected,
                gdouble            expected_delay)
{
  DpRestartInfo info = child (started, ended);
  gint64 delay = -1;
  DpRestartDecision decision = dp_restart_strategy_decide (DP_RESTART_STRATEGY (strategy), &info, &delay);

  g_assert_cmpstr (dp_restart_decision_to_string (decision), ==,
                   dp_restart_decision_to_string (expected));
  if (expected == DP_RESTART_DECISION_RESTART)
    g_assert_cmpint (delay, ==, SEC (expected_delay));
  else
    g_assert_cmpint (delay, ==, 0);
}

static DpRestartStrategy *
new_strategy (const char *name)
{
  g_autoptr(GError) error = NULL;
  DpRestartStrategy *strategy = dp_restart_strategy_new (name, &error);

  g_assert_no_error (error);
  g_assert_nonnull (strategy);
  return strategy;
}

static void
count_cb (gpointer data)
{
  (*(guint *) data)++;
}

/* ── restarter (restart-every) ─────────────────────────────────────── */

/* The Racket example: a place that lives 1 s under restart-every 5
 * #:retry 3 starts at 0, 1, 7 and 13 s and is given up at 14 s. */
static void
test_restarter_racket_example (void)
{
  guint final_fails = 0;
  g_autoptr(DpRestarter) restarter = dp_restart_every (5, 3, count_cb, &final_fails, NULL);
  DpRestartInfo info = child (13, 14);

  g_assert_true (DP_IS_AFTER_SECONDS (restarter));
  g_assert_true (DP_IS_RESTART_STRATEGY (restarter));
  g_assert_cmpfloat (dp_after_seconds_get_seconds (DP_AFTER_SECONDS (restarter)), ==, 5);
  g_assert_cmpint (dp_restarter_get_retry (restarter), ==, 3);

  assert_decides (restarter, 0, 1, DP_RESTART_DECISION_RESTART, 0);   /* at once */
  assert_decides (restarter, 1, 2, DP_RESTART_DECISION_RESTART, 5);   /* at 7 s */
  assert_decides (restarter, 7, 8, DP_RESTART_DECISION_RESTART, 5);   /* at 13 s */
  g_assert_cmpuint (dp_restarter_get_retries (restarter), ==, 3);
  assert_decides (restarter, 13, 14, DP_RESTART_DECISION_GIVE_UP, 0);
  assert_decides (restarter, 13, 14, DP_RESTART_DECISION_GIVE_UP, 0);

  /* on-final-fail is what "gave-up" runs: once per emission. */
  g_assert_cmpuint (final_fails, ==, 0);
  dp_restart_strategy_gave_up (DP_RESTART_STRATEGY (restarter), &info, DP_RESTART_DECISION_GIVE_UP);
  g_assert_cmpuint (final_fails, ==, 1);

  dp_restart_strategy_reset (DP_RESTART_STRATEGY (restarter));
  g_assert_cmpuint (dp_restarter_get_retries (restarter), ==, 0);
  assert_decides (restarter, 100, 101, DP_RESTART_DECISION_RESTART, 0);
}

/* The retries are forgotten once a child stays alive 2 × seconds. */
static void
test_restarter_reset (void)
{
  g_autoptr(DpRestarter) restarter = dp_restart_every (1, 2, NULL, NULL, NULL);

  assert_decides (restarter, 0, 0.5, DP_RESTART_DECISION_RESTART, 0);
  assert_decides (restarter, 0.5, 0.6, DP_RESTART_DECISION_RESTART, 1);
  g_assert_cmpuint (dp_restarter_get_retries (restarter), ==, 2);
  /* Up 1.9 s: not long enough, and the retries are used up. */
  assert_decides (restarter, 1.6, 3.5, DP_RESTART_DECISION_GIVE_UP, 0);

  dp_restart_strategy_reset (DP_RESTART_STRATEGY (restarter));
  assert_decides (restarter, 0, 0.5, DP_RESTART_DECISION_RESTART, 0);
  assert_decides (restarter, 0.5, 0.6, DP_RESTART_DECISION_RESTART, 1);
  /* Up exactly 2 s: a fresh start — and more than 1 s after the last
   * restart, so at once. */
  assert_decides (restarter, 1.6, 3.6, DP_RESTART_DECISION_RESTART, 0);
  g_assert_cmpuint (dp_restarter_get_retries (restarter), ==, 1);
}

/* An explicit retry-reset, and no retry limit. */
static void
test_restarter_no_limit (void)
{
  g_autoptr(DpRestarter) restarter = g_object_new (DP_TYPE_RESTARTER, "seconds", 0.5,
                                                   "retry", -1, "retry-reset", 10.0, NULL);
  gdouble t = 0;

  /* Deaths 0.1 s after each start: the first restart at once, then one
   * every 0.5 s, for ever. */
  assert_decides (restarter, t, t + 0.1, DP_RESTART_DECISION_RESTART, 0);
  t += 0.1;
  for (guint i = 0; i < 1000; i++)
    {
      assert_decides (restarter, t, t + 0.1, DP_RESTART_DECISION_RESTART, 0.5);
      t += 0.6;
    }
  g_assert_cmpuint (dp_restarter_get_retries (restarter), ==, 1001);
  /* Up 10 s: the count starts again. */
  assert_decides (restarter, t, t + 10, DP_RESTART_DECISION_RESTART, 0);
  g_assert_cmpuint (dp_restarter_get_retries (restarter), ==, 1);
}

/* ── never, always ─────────────────────────────────────────────────── */

static void
test_never (void)
{
  g_autoptr(DpRestartStrategy) never = new_strategy ("never");

  assert_decides (never, 0, 0, DP_RESTART_DECISION_STOP, 0);
  assert_decides (never, 0, 1000, DP_RESTART_DECISION_STOP, 0);
}

/* #:restart-on-exit #t: at once; a child that keeps dying at once is
 * restarted after 0, 0.1, 0.2, 0.4 … max-delay (5 s by default). */
static void
test_always_storm_guard (void)
{
  g_autoptr(DpRestartStrategy) always = new_strategy ("always");
  const gdouble expected[] = { 0, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5, 5, 5 };
  gdouble t = 0;

  /* Healthy runs (≥ min-uptime, 1 s) are restarted at once, always. */
  for (guint i = 0; i < 5; i++, t += 2)
    assert_decides (always, t, t + 2, DP_RESTART_DECISION_RESTART, 0);

  /* Instant deaths back off. */
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      assert_decides (always, t, t, DP_RESTART_DECISION_RESTART, expected[i]);
      t += expected[i];
    }

  /* In the first 2 s of a storm the child starts 6 times. */
  {
    gdouble sum = 0;
    guint started = 1;

    for (guint i = 0; i < G_N_ELEMENTS (expected) && sum + expected[i] < 2; i++, started++)
      sum += expected[i];
    g_assert_cmpuint (started, ==, 6);
  }

  /* One healthy run ends the streak. */
  assert_decides (always, t, t + 1.5, DP_RESTART_DECISION_RESTART, 0);
  assert_decides (always, t + 2, t + 2, DP_RESTART_DECISION_RESTART, 0);
  assert_decides (always, t + 2, t + 2, DP_RESTART_DECISION_RESTART, 0.1);

  /* The keys. */
  g_object_set (always, "min-uptime", 0.0, NULL);
  assert_decides (always, t, t, DP_RESTART_DECISION_RESTART, 0);
  g_object_set (always, "min-uptime", 10.0, "max-delay", 0.3, NULL);
  dp_restart_strategy_reset (always);
  assert_decides (always, t, t + 9, DP_RESTART_DECISION_RESTART, 0);
  assert_decides (always, t, t + 9, DP_RESTART_DECISION_RESTART, 0.1);
  assert_decides (always, t, t + 9, DP_RESTART_DECISION_RESTART, 0.2);
  assert_decides (always, t, t + 9, DP_RESTART_DECISION_RESTART, 0.3);
  assert_decides (always, t, t + 9, DP_RESTART_DECISION_RESTART, 0.3);
}

/* ── backoff ───────────────────────────────────────────────────────── */

static void
test_backoff_exponential (void)
{
  g_autoptr(DpRestartStrategy) backoff = new_strategy ("backoff");
  const gdouble expected[] = { 0.1, 0.2, 0.4, 0.8, 1.0 };

  g_object_set (backoff, "jitter", 0.0, "initial-delay", 0.1, "factor", 2.0, "max-delay", 1.0,
                "retry", 5, "reset-after", 3.0, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    assert_decides (backoff, 0, 0.5, DP_RESTART_DECISION_RESTART, expected[i]);
  assert_decides (backoff, 0, 0.5, DP_RESTART_DECISION_GIVE_UP, 0);

  /* A run of reset-after seconds starts the sequence again. */
  assert_decides (backoff, 0, 3, DP_RESTART_DECISION_RESTART, 0.1);
  assert_decides (backoff, 0, 2.9, DP_RESTART_DECISION_RESTART, 0.2);

  /* The cap holds with no retry limit, however long it goes on. */
  g_object_set (backoff, "retry", -1, NULL);
  for (guint i = 0; i < 200; i++)
    {
      DpRestartInfo info = child (0, 0);
      gint64 delay;

      g_assert_cmpint (dp_restart_strategy_decide (backoff, &info, &delay), ==,
                       DP_RESTART_DECISION_RESTART);
      g_assert_cmpint (delay, <=, SEC (1.0));
    }
}

static GArray *
jittered_delays (guint seed,
                 guint n)
{
  g_autoptr(DpRestartStrategy) backoff = new_strategy ("backoff");
  GArray *delays = g_array_new (FALSE, FALSE, sizeof (gint64));

  g_object_set (backoff, "jitter", 0.5, "initial-delay", 0.1, "factor", 2.0, "max-delay", 2.0,
                "seed", seed, NULL);
  for (guint i = 0; i < n; i++)
    {
      DpRestartInfo info = child (0, 0);
      gdouble base = MIN (2.0, 0.1 * pow (2, i));
      gint64 delay;

      g_assert_cmpint (dp_restart_strategy_decide (backoff, &info, &delay), ==,
                       DP_RESTART_DECISION_RESTART);
      /* ±50 %, and never above the cap. */
      g_assert_cmpint (delay, >=, SEC (base * 0.5) - 1);
      g_assert_cmpint (delay, <=, SEC (MIN (2.0, base * 1.5)) + 1);
      g_array_append_val (delays, delay);
    }
  return delays;
}

static void
test_backoff_jitter (void)
{
  g_autoptr(GArray) a = jittered_delays (42, 100);
  g_autoptr(GArray) b = jittered_delays (42, 100);
  g_autoptr(GArray) c = jittered_delays (7, 100);
  guint same_as_c = 0, at_cap = 0;

  /* The same seed gives the same delays; another seed, others. */
  for (guint i = 0; i < a->len; i++)
    {
      g_assert_cmpint (g_array_index (a, gint64, i), ==, g_array_index (b, gint64, i));
      same_as_c += g_array_index (a, gint64, i) == g_array_index (c, gint64, i);
      at_cap += g_array_index (a, gint64, i) == SEC (2.0);
    }
  g_assert_cmpuint (same_as_c, <, 50);
  /* Jitter spreads even the capped ones: not all sit at the cap. */
  g_assert_cmpuint (at_cap, <, 90);
}

/* ── intensity ─────────────────────────────────────────────────────── */

static void
test_intensity (void)
{
  g_autoptr(DpRestartStrategy) intensity = new_strategy ("intensity");

  g_object_set (intensity, "max-restarts", 3, "period", 5.0, NULL);
  /* Three restarts within 5 s are fine; a fourth death escalates. */
  assert_decides (intensity, 0, 0.1, DP_RESTART_DECISION_RESTART, 0);
  assert_decides (intensity, 0.1, 0.2, DP_RESTART_DECISION_RESTART, 0);
  assert_decides (intensity, 0.2, 0.3, DP_RESTART_DECISION_RESTART, 0);
  assert_decides (intensity, 0.3, 0.4, DP_RESTART_DECISION_ESCALATE, 0);

  /* Restarts spread out slide out of the window. */
  dp_restart_strategy_reset (intensity);
  g_object_set (intensity, "delay", 0.25, NULL);
  for (guint i = 0; i < 20; i++)
    assert_decides (intensity, 2.0 * i, 2.0 * i + 2, DP_RESTART_DECISION_RESTART, 0.25);
  /* The deaths at 36, 38 and 40 s are within 5 s of 40.5 s: a fourth
   * escalates… */
  assert_decides (intensity, 40, 40.5, DP_RESTART_DECISION_ESCALATE, 0);
  /* … while at 41.5 s the window (36.5, 41.5] holds two: one more is
   * allowed, then none. */
  assert_decides (intensity, 41, 41.5, DP_RESTART_DECISION_RESTART, 0.25);
  assert_decides (intensity, 41.5, 42, DP_RESTART_DECISION_ESCALATE, 0);

  /* escalate=false only gives up; max-restarts=0 gives up at once. */
  dp_restart_strategy_reset (intensity);
  g_object_set (intensity, "escalate", FALSE, "max-restarts", 0, NULL);
  assert_decides (intensity, 0, 10, DP_RESTART_DECISION_GIVE_UP, 0);
}

/* ── function ──────────────────────────────────────────────────────── */

static void
test_function (void)
{
  g_autoptr(DpRestartStrategy) function = new_strategy ("function");
  g_autoptr(DpRestartStrategy) missing = new_strategy ("function");
  g_autoptr(DpRestartStrategy) unset = new_strategy ("function");

  g_object_set (function, "restart-module", "supervision-places",
                "restart-function", "twice_strategy", NULL);
  assert_decides (function, 0, 1, DP_RESTART_DECISION_RESTART, 0.05);
  assert_decides (function, 1, 2, DP_RESTART_DECISION_RESTART, 0.05);
  assert_decides (function, 2, 3, DP_RESTART_DECISION_STOP, 0);

  g_object_set (missing, "restart-module", "supervision-places",
                "restart-function", "no_such_strategy", NULL);
  assert_decides (missing, 0, 1, DP_RESTART_DECISION_GIVE_UP, 0);
  assert_decides (unset, 0, 1, DP_RESTART_DECISION_GIVE_UP, 0);
}

static void
test_unknown_strategy (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRestartStrategy) strategy = dp_restart_strategy_new ("no-such-strategy", &error);

  g_assert_null (strategy);
  g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "libdplaces-no-such-strategy.so"));
}

/* ── keyfiles ──────────────────────────────────────────────────────── */

static void
test_keyfile_strategy_keys (void)
{
  const char *text =
    "[place a]\n"
    "module=supervision-places\n"
    "function=count_place\n"
    "restart=restarter\n"
    "seconds=5\n"
    "retry=3\n"
    "on-final-fail-log=gave up\n"
    "on-final-fail-exit=4\n"
    "\n"
    "[place b]\n"
    "module=supervision-places\n"
    "function=count_place\n"
    "backend=processes\n"
    "launch-path=/nowhere/dplaces\n"
    "restart=backoff\n"
    "jitter=0\n"
    "max-delay=2.5\n"
    "on-final-fail-put=a\n"
    "on-final-fail-message=('b', 'lost')\n"
    "\n"
    "[place c]\n"
    "module=supervision-places\n"
    "function=count_place\n"
    "\n"
    "[node n]\n"
    "spawn=false\n"
    "restart=intensity\n"
    "max-restarts=7\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(DpConfig) config = dp_config_new_from_data (text, -1, "supervision.ini", &error);
  g_autoptr(GObject) a = NULL;
  g_autoptr(GObject) b = NULL;
  g_autoptr(GObject) c = NULL;
  g_autoptr(GObject) n = NULL;
  g_autoptr(GObject) backend = NULL;
  gdouble max_delay, jitter;
  guint max_restarts;

  g_assert_no_error (error);
  g_assert_nonnull (config);

  /* seconds is a construct-only property of DpAfterSeconds: set at
   * construction. */
  a = dp_config_create_plugin (config, "place a", "restart", &error);
  g_assert_no_error (error);
  g_assert_true (DP_IS_RESTARTER (a));
  g_assert_cmpfloat (dp_after_seconds_get_seconds (DP_AFTER_SECONDS (a)), ==, 5);
  g_assert_cmpint (dp_restarter_get_retry (DP_RESTARTER (a)), ==, 3);

  /* Two plugin keys in one group, each plugin with its own keys. */
  b = dp_config_create_plugin (config, "place b", "restart", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (b), ==, "DpBackoffStrategy");
  g_object_get (b, "max-delay", &max_delay, "jitter", &jitter, NULL);
  g_assert_cmpfloat (max_delay, ==, 2.5);
  g_assert_cmpfloat (jitter, ==, 0);
  backend = dp_config_create_plugin (config, "place b", "backend", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (backend), ==, "DpProcessesBackend");
  {
    g_autofree char *launch_path = NULL;

    g_object_get (backend, "launch-path", &launch_path, NULL);
    g_assert_cmpstr (launch_path, ==, "/nowhere/dplaces");
  }

  /* No restart=: no strategy, and no error. */
  c = dp_config_create_plugin (config, "place c", "restart", &error);
  g_assert_no_error (error);
  g_assert_null (c);

  n = dp_config_create_plugin (config, "node n", "restart", &error);
  g_assert_no_error (error);
  g_object_get (n, "max-restarts", &max_restarts, NULL);
  g_assert_cmpuint (max_restarts, ==, 7);
}

static void
assert_config_fails (const char *text,
                     const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpConfig) config = dp_config_new_from_data (text, -1, "bad.ini", &error);

  g_assert_null (config);
  g_assert_error (error, DP_ERROR, DP_ERROR_CONFIG);
  g_test_message ("%s", error->message);
  if (strstr (error->message, needle) == NULL)
    g_error ("expected “%s” in: %s", needle, error->message);
}

static void
test_keyfile_errors (void)
{
  /* A strategy's key without restart=, and a wrong value. */
  assert_config_fails ("[place a]\nmodule=m\nfunction=f\nseconds=5\n",
                       "bad.ini:4: [place a] seconds: unknown key");
  assert_config_fails ("[place a]\nmodule=m\nfunction=f\nrestart=restarter\nretry=many\n",
                       "bad.ini:5: [place a] retry: expected an integer");
  /* Keys of both plugins are listed when neither takes a key. */
  assert_config_fails ("[place a]\nmodule=m\nfunction=f\nrestart=backoff\nbogus=1\n",
                       "or a key of plugin DpThreadsBackend (see dplaces inspect), "
                       "or a key of plugin DpBackoffStrategy");
  /* An unknown strategy. */
  assert_config_fails ("[place a]\nmodule=m\nfunction=f\nrestart=sometimes\n",
                       "bad.ini:4: [place a] restart: No restart strategy plugin “sometimes”");
  /* on-final-fail needs a strategy; its put needs a place. */
  assert_config_fails ("[place a]\nmodule=m\nfunction=f\non-final-fail-exit=3\n",
                       "bad.ini:4: [place a] on-final-fail-exit: needs restart= in the same group");
  assert_config_fails ("[place a]\nmodule=m\nfunction=f\nrestart=always\non-final-fail-put=nobody\n",
                       "bad.ini:5: [place a] on-final-fail-put: expected the NAME of a [place NAME] "
                       "group, but there is no [place nobody]");
  assert_config_fails ("[node n]\nrestart=never\non-final-fail-exit=300\n",
                       "bad.ini:3: [node n] on-final-fail-exit: expected an integer from 0 to 255");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/strategy/restarter/racket-example", test_restarter_racket_example);
  g_test_add_func ("/strategy/restarter/reset", test_restarter_reset);
  g_test_add_func ("/strategy/restarter/no-limit", test_restarter_no_limit);
  g_test_add_func ("/strategy/never", test_never);
  g_test_add_func ("/strategy/always/storm-guard", test_always_storm_guard);
  g_test_add_func ("/strategy/backoff/exponential", test_backoff_exponential);
  g_test_add_func ("/strategy/backoff/jitter", test_backoff_jitter);
  g_test_add_func ("/strategy/intensity", test_intensity);
  g_test_add_func ("/strategy/function", test_function);
  g_test_add_func ("/strategy/unknown", test_unknown_strategy);
  g_test_add_func ("/strategy/keyfile/keys", test_keyfile_strategy_keys);
  g_test_add_func ("/strategy/keyfile/errors", test_keyfile_errors);

  return g_test_run ();
}
