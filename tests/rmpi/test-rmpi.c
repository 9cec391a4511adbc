/* test-rmpi.c: RMPI — ranks as places on real nodes on the loopback
 * interface
 *
 *   /rmpi/op/…                 the reductions, in this process
 *   /rmpi/config/errors        configs rmpi-launch refuses, and why
 *   /rmpi/collectives/N        N = 1 … 8 ranks, two per node (so both
 *                              channels between nodes and channels inside
 *                              one): every collective equals the serial
 *                              computation (rmpi-test-places.c)
 *   /rmpi/collectives/…        the same one rank per node, all on one
 *                              node, and with the pipelined broadcast
 *   /rmpi/p2p/order            20 000 numbered messages from every rank to
 *                              every other, interleaved: all in order
 *   /rmpi/death/exit           a rank's place ends (keeping its
 *                              communicator): the others' collectives fail
 *                              with an error rather than wait, and the job
 *                              fails
 *   /rmpi/death/abort          a rank's node dies of SIGABRT: the same
 *   /rmpi/launch/result        dp_rmpi_launch() with the seeds' config
 *                              builders returns rank 0's result
 *   /rmpi/keyfile/run          `dplaces run` of an [rmpi] group
 *   /rmpi/keyfile/nodes        … on the keyfile's own [node] groups
 *   /rmpi/keyfile/ssh          … started over ssh (a private sshd; root)
 *   /rmpi/keyfile/bad          … and a wrong one: FILE:LINE, exit 2
 *   /rmpi/examples/…           the k-means program (checked against its
 *                              serial computation) and keyfile (the same
 *                              output), NAS IS class S on 3 and 4 ranks
 *
 * Nodes listen on ports the system picks; nothing sleeps to wait. Each
 * test runs in a subprocess of its own, whose nodes end with it. The
 * cookie is the test's own.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <unistd.h>

#include <dplaces/dp-rmpi.h>

#define TEST_MODULE "rmpi-test-places"
#define TEST_COOKIE "dplaces-rmpi-tests-0123456789abcdef"

#include "sshd-harness.h"
#include "test-common.h"
#include "test-nodes.h"
#include "test-run.h"
#include "test-sandbox.h"

/* How long a rank's report may take. */
#define WAIT_USEC (40 * G_USEC_PER_SEC)
#define SUBPROCESS_USEC (test_timeout_multiplier () * 100 * G_USEC_PER_SEC)

/* ── the reductions ────────────────────────────────────────────────── */

static GVariant *
apply (DpRmpiOpKind  kind,
       GVariant     *a,
       GVariant     *b)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) x = g_variant_ref_sink (a);
  g_autoptr(GVariant) y = g_variant_ref_sink (b);
  GVariant *r = dp_rmpi_op_apply (dp_rmpi_op_builtin (kind), x, y, &error);

  g_assert_no_error (error);
  g_assert_nonnull (r);
  g_assert_false (g_variant_is_floating (r));
  return r;
}

static void
assert_variant (GVariant   *value,
                const char *text)
{
  g_autoptr(GVariant) owned = value;
  g_autofree char *printed = g_variant_print (owned, TRUE);

  g_assert_cmpstr (printed, ==, text);
}

static void
apply_fails (DpRmpiOpKind  kind,
             const char   *a,
             const char   *b,
             const char   *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) x = g_variant_parse (NULL, a, NULL, NULL, NULL);
  g_autoptr(GVariant) y = g_variant_parse (NULL, b, NULL, NULL, NULL);
  g_autoptr(GVariant) r = dp_rmpi_op_apply (dp_rmpi_op_builtin (kind), x, y, &error);

  g_assert_null (r);
  g_assert_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
  if (strstr (error->message, needle) == NULL)
    g_error ("“%s” does not say “%s”", error->message, needle);
}

static void
test_op_builtins (void)
{
  gint64 big[] = { G_MAXINT64, 3, -4 };
  gint64 one[] = { 1, 1, 1 };

  assert_variant (apply (DP_RMPI_OP_SUM, g_variant_new_int64 (40), g_variant_new_int64 (2)), "int64 42");
  assert_variant (apply (DP_RMPI_OP_SUM, g_variant_new_double (0.5), g_variant_new_double (0.25)), "0.75");
  assert_variant (apply (DP_RMPI_OP_PROD, g_variant_new_byte (16), g_variant_new_byte (17)), "byte 0x10");
  assert_variant (apply (DP_RMPI_OP_MIN, g_variant_new_int16 (-3), g_variant_new_int16 (2)), "int16 -3");
  assert_variant (apply (DP_RMPI_OP_MAX, g_variant_new_uint32 (7), g_variant_new_uint32 (9)), "uint32 9");
  assert_variant (apply (DP_RMPI_OP_LAND, g_variant_new_int32 (5), g_variant_new_int32 (0)), "0");
  assert_variant (apply (DP_RMPI_OP_LOR, g_variant_new_double (0), g_variant_new_double (-2)), "1.0");
  assert_variant (apply (DP_RMPI_OP_LXOR, g_variant_new_boolean (TRUE), g_variant_new_boolean (TRUE)), "false");
  assert_variant (apply (DP_RMPI_OP_BAND, g_variant_new_uint64 (12), g_variant_new_uint64 (10)), "uint64 8");
  assert_variant (apply (DP_RMPI_OP_BOR, g_variant_new_uint16 (12), g_variant_new_uint16 (3)), "uint16 15");
  assert_variant (apply (DP_RMPI_OP_BXOR, g_variant_new_int32 (6), g_variant_new_int32 (3)), "5");
  assert_variant (apply (DP_RMPI_OP_MIN, g_variant_new_boolean (TRUE), g_variant_new_boolean (FALSE)), "false");
  /* Integers wrap around. */
  assert_variant (apply (DP_RMPI_OP_SUM,
                         g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, big, 3, sizeof (gint64)),
                         g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, one, 3, sizeof (gint64))),
                  "[int64 -9223372036854775808, 4, -3]");
  assert_variant (apply (DP_RMPI_OP_MAX, g_variant_new_parsed ("[1.5, -2.0]"),
                         g_variant_new_parsed ("[0.5, 3.0]")), "[1.5, 3.0]");
  assert_variant (apply (DP_RMPI_OP_LOR, g_variant_new_parsed ("[true, false, false]"),
                         g_variant_new_parsed ("[false, false, true]")), "[true, false, true]");
  /* Element by element, as fancy-reducer does on vectors. */
  assert_variant (apply (DP_RMPI_OP_SUM, g_variant_new_parsed ("(int64 1, 2.5, [byte 1, 2])"),
                         g_variant_new_parsed ("(int64 2, 0.5, [byte 3, 4])")),
                  "(int64 3, 3.0, [byte 0x04, 0x06])");
  assert_variant (apply (DP_RMPI_OP_SUM, g_variant_new_parsed ("[<1>, <2.0>]"),
                         g_variant_new_parsed ("[<3>, <0.5>]")), "[<4>, <2.5>]");
  assert_variant (apply (DP_RMPI_OP_SUM, g_variant_new_parsed ("[[1, 2], [3]]"),
                         g_variant_new_parsed ("[[10, 20], [30]]")), "[[11, 22], [33]]");

  apply_fails (DP_RMPI_OP_SUM, "1", "2.0", "different types");
  apply_fails (DP_RMPI_OP_SUM, "[1, 2]", "[1]", "different lengths");
  apply_fails (DP_RMPI_OP_BAND, "1.0", "2.0", "bitwise band to doubles");
  apply_fails (DP_RMPI_OP_SUM, "true", "false", "booleans");
  apply_fails (DP_RMPI_OP_SUM, "'a'", "'b'", "Cannot reduce values of type “s”");
  apply_fails (DP_RMPI_OP_SUM, "{'a': 1}", "{'a': 2}", "Cannot reduce");
}

static void
test_op_lookup (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRmpiOp) gcd = NULL;
  g_autoptr(DpRmpiOp) missing = NULL;
  g_autoptr(GVariant) a = g_variant_ref_sink (g_variant_new_int64 (84));
  g_autoptr(GVariant) b = g_variant_ref_sink (g_variant_new_int64 (-36));
  g_autoptr(GVariant) r = NULL;

  g_assert_true (dp_rmpi_op_lookup ("sum", NULL) == DP_RMPI_SUM);
  g_assert_true (dp_rmpi_op_lookup ("+", NULL) == DP_RMPI_SUM);
  g_assert_true (dp_rmpi_op_lookup ("*", NULL) == DP_RMPI_PROD);
  g_assert_true (dp_rmpi_op_lookup ("and", NULL) == DP_RMPI_LAND);
  g_assert_true (dp_rmpi_op_lookup ("bor", NULL) == DP_RMPI_BOR);
  g_assert_cmpstr (dp_rmpi_op_get_name (DP_RMPI_MAX), ==, "max");

  gcd = dp_rmpi_op_lookup (TEST_MODULE ":rmpi_test_gcd", &error);
  g_assert_no_error (error);
  g_assert_cmpint (dp_rmpi_op_get_kind (gcd), ==, DP_RMPI_OP_USER);
  r = dp_rmpi_op_apply (gcd, a, b, &error);
  g_assert_no_error (error);
  assert_variant (g_steal_pointer (&r), "int64 12");

  missing = dp_rmpi_op_lookup (TEST_MODULE ":no_such_symbol", &error);
  g_assert_null (missing);
  g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (dp_rmpi_op_lookup ("average", &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
}

/* ── configs ───────────────────────────────────────────────────────── */

static void
job_new_fails (GVariant   *defaults,
               GVariant   *config,
               const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRmpiJob) job = dp_rmpi_job_new (defaults, config, &error);

  g_assert_null (job);
  g_assert_nonnull (error);
  test_note ("refused: %s", error->message);
  if (strstr (error->message, needle) == NULL)
    g_error ("“%s” does not say “%s”", error->message, needle);
}

static void
test_config_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRmpiJob) job = NULL;
  g_autoptr(GVariant) defaults = NULL;
  g_autoptr(GVariant) local = NULL;
  const char *hosts[] = { "a.example", "b.example", NULL };
  g_autoptr(GVariant) remote = NULL;

  defaults = g_variant_ref_sink (dp_rmpi_build_default_config ("mpi-module", g_variant_new_string (TEST_MODULE),
                                                               "mpi-func", g_variant_new_string ("f"),
                                                               "mpi-args", g_variant_new ("(u)", 3),
                                                               NULL));
  g_assert_cmpstr (g_variant_get_type_string (defaults), ==, "a{sv}");
  local = g_variant_ref_sink (dp_rmpi_make_localhost_config (3, 6400, "kmeans"));
  {
    g_autofree char *text = g_variant_print (local, FALSE);
    g_assert_cmpstr (text, ==, "[('localhost', 6400, 'kmeans_0', 0, {}), "
                               "('localhost', 6401, 'kmeans_1', 1, {}), ('localhost', 6402, 'kmeans_2', 2, {})]");
  }
  remote = g_variant_ref_sink (dp_rmpi_make_remote_config (hosts, 2, 0, "w"));
  {
    g_autofree char *text = g_variant_print (remote, FALSE);
    g_assert_cmpstr (text, ==, "[('a.example', 0, 'w_0', 0, {}), ('b.example', 0, 'w_1', 1, {})]");
  }

  job = dp_rmpi_job_new (defaults, local, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dp_rmpi_job_get_n_ranks (job), ==, 3);
  g_assert_cmpuint (dp_rmpi_job_get_n_nodes (job), ==, 3);
  g_clear_object (&job);

  /* Same host and port: one node. Same node key: one node. */
  job = dp_rmpi_job_new (defaults,
                         g_variant_new_parsed ("[('localhost', @q 7000, 'a', @u 1), ('localhost', 7000, 'b', 0),"
                                               " ('localhost', 0, 'c', 2)]"), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dp_rmpi_job_get_n_nodes (job), ==, 2);
  g_clear_object (&job);
  job = dp_rmpi_job_new (defaults,
                         g_variant_new_parsed ("[('localhost', @q 0, 'a', @u 0, {'node': <'x'>}),"
                                               " ('localhost', 0, 'b', 1, {'node': <'x'>})]"), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dp_rmpi_job_get_n_nodes (job), ==, 1);
  g_clear_object (&job);

  job_new_fails (NULL, local, "mpi-module");
  job_new_fails (defaults,
                 g_variant_new_parsed ("[('localhost', @q 0, 'a', @u 0), ('localhost', 0, 'b', 0)]"),
                 "once each");
  job_new_fails (defaults, g_variant_new_parsed ("[('localhost', 'a')]"), "a(sqsu)");
  job_new_fails (defaults,
                 g_variant_new_parsed ("[('localhost', @q 0, 'a', @u 0, {'mpi-modul': <'x'>})]"),
                 "unknown option “mpi-modul”");
  job_new_fails (defaults,
                 g_variant_new_parsed ("[('localhost', @q 0, 'a', @u 0, {'mpi-func': <3>})]"),
                 "must be of type s");
  job_new_fails (defaults, g_variant_new_parsed ("@a(sqsu) []"), "no ranks");
}

/* ── jobs on real nodes ────────────────────────────────────────────── */

static DpRmpiJob *
start_job (const char *function,
           guint       ranks,
           guint       per_node,
           GVariant   *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRmpiJob) job = NULL;
  GVariantBuilder entries;
  gint64 start = g_get_monotonic_time ();

  g_variant_builder_init (&entries, G_VARIANT_TYPE ("a(sqsua{sv})"));
  for (guint i = 0; i < ranks; i++)
    {
      g_autofree char *name = g_strdup_printf ("t_%u", i);
      g_autofree char *node = g_strdup_printf ("n%u", i / per_node);
      GVariantBuilder options;

      g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&options, "{sv}", "node", g_variant_new_string (node));
      g_variant_builder_add (&entries, "(sqsua{sv})", "localhost", 0, name, i, &options);
    }
  job = dp_rmpi_job_new (dp_rmpi_build_default_config ("mpi-module", g_variant_new_string (TEST_MODULE),
                                                       "mpi-func", g_variant_new_string (function),
                                                       "mpi-args", args != NULL ? args : g_variant_new ("()"),
                                                       NULL),
                         g_variant_builder_end (&entries), &error);
  g_assert_no_error (error);
  g_assert_true (dp_rmpi_job_start (job, &error));
  g_assert_no_error (error);
  test_note ("%u ranks of %s on %u nodes, started in %.3f s", ranks, function,
             dp_rmpi_job_get_n_nodes (job), test_seconds_since (start));
  return g_steal_pointer (&job);
}

static GVariant *
get_report (DpRmpiJob *job,
            guint      rank)
{
  g_autoptr(GError) error = NULL;
  GVariant *report = dp_typed_channel_get_timeout (dp_rmpi_job_get_rank_typed_channel (job, rank),
                                                   "report", WAIT_USEC, &error);

  g_assert_no_error (error);
  g_assert_nonnull (report);
  g_assert_cmpstr (g_variant_get_type_string (report), ==, "(suuas)");
  return report;
}

/* Reads every rank's report: no failures. */
static void
assert_reports_clean (DpRmpiJob *job)
{
  guint total = 0;
  gboolean clean = TRUE;

  for (guint r = 0; r < dp_rmpi_job_get_n_ranks (job); r++)
    {
      g_autoptr(GVariant) report = get_report (job, r);
      g_autofree const char **failures = NULL;
      guint32 id, checks;

      g_variant_get (report, "(&suu^a&s)", NULL, &id, &checks, &failures);
      g_assert_cmpuint (id, ==, r);
      total += checks;
      for (guint i = 0; failures[i] != NULL; i++)
        {
          test_note ("%s", failures[i]);
          clean = FALSE;
        }
    }
  test_note ("%u checks passed on %u ranks", total, dp_rmpi_job_get_n_ranks (job));
  g_assert_true (clean);
}

static void
finish_job (DpRmpiJob *job)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) result = dp_rmpi_job_wait (job, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
}

static void
run_collectives (guint ranks,
                 guint per_node)
{
  g_autoptr(DpRmpiJob) job = NULL;
  gint64 start;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  job = start_job ("rmpi_test_collectives", ranks, per_node, NULL);
  start = g_get_monotonic_time ();
  assert_reports_clean (job);
  finish_job (job);
  test_note ("the collectives took %.3f s", (g_get_monotonic_time () - start) / 1e6);
}

static void
test_collectives (gconstpointer data)
{
  run_collectives (GPOINTER_TO_UINT (data), 2);
}

static void
test_collectives_one_per_node (gconstpointer data)
{
  run_collectives (GPOINTER_TO_UINT (data), 1);
}

static void
test_collectives_one_node (gconstpointer data)
{
  run_collectives (GPOINTER_TO_UINT (data), GPOINTER_TO_UINT (data));
}

/* The pipelined broadcast, forced (this machine may have too few
 * processors for the ranks to choose it). */
static void
test_collectives_pipeline (gconstpointer data)
{
  if (g_test_subprocess ())
    g_setenv ("DP_RMPI_BCAST", "pipeline", TRUE);
  run_collectives (GPOINTER_TO_UINT (data), 2);
}

static void
test_p2p_order (void)
{
  g_autoptr(DpRmpiJob) job = NULL;
  gint64 start;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  job = start_job ("rmpi_test_p2p", 4, 2, g_variant_new ("(u)", 20000));
  start = g_get_monotonic_time ();
  assert_reports_clean (job);
  test_note ("4 × 3 × 20000 messages in %.3f s", test_seconds_since (start));
  finish_job (job);
}

static void
run_death (const char *how,
           guint       per_node)
{
  g_autoptr(DpRmpiJob) job = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) result = NULL;
  guint victim = 2, ranks = 5;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  job = start_job ("rmpi_test_death", ranks, per_node, g_variant_new ("(us)", victim, how));
  for (guint r = 0; r < ranks; r++)
    {
      g_autoptr(GVariant) report = NULL;
      g_autofree const char **errors = NULL;
      guint32 id, ms;

      /* With abort, the victim's node takes its other ranks along. */
      if (r == victim || (per_node > 1 && r / per_node == victim / per_node && g_str_equal (how, "abort")))
        continue;
      report = get_report (job, r);
      g_variant_get (report, "(&suu^a&s)", NULL, &id, &ms, &errors);
      /* A collective has no timeout: a rank that did not see the death
       * would wait for ever, and its report not come (get_report()
       * fails). How soon it came is no business of the test's; that a
       * channel to a rank gave out is. */
      test_note ("rank %u failed after %u ms: %s", id, ms, errors[0]);
      g_assert_nonnull (strstr (errors[0], "rmpi-"));
      g_assert_true (strstr (errors[0], ": nothing from rank ") != NULL ||
                     strstr (errors[0], ": cannot send to rank ") != NULL);
    }

  /* The job blames the rank that died, not those that failed with it. */
  result = dp_rmpi_job_wait (job, &error);
  g_assert_null (result);
  g_assert_nonnull (error);
  test_note ("the job: %s", error->message);
  g_assert_nonnull (strstr (error->message, "rank 2 "));
}

static void
test_death_exit (void)
{
  run_death ("exit", 2);
}

static void
test_death_abort (void)
{
  run_death ("abort", 1);
}

static void
test_launch_result (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) result = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  result = dp_rmpi_launch (dp_rmpi_build_default_config ("mpi-module", g_variant_new_string (TEST_MODULE),
                                                         "mpi-func", g_variant_new_string ("rmpi_test_result"),
                                                         "mpi-args", g_variant_new ("(su)", "hello", 7),
                                                         NULL),
                           dp_rmpi_make_localhost_config (4, 0, "res"), &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  assert_variant (g_steal_pointer (&result), "(\"('hello', 7)\", uint64 14)");
}

/* ── keyfiles ──────────────────────────────────────────────────────── */

static void
test_keyfile_run (void)
{
  g_autoptr(TestRun) run = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  run = test_run_keyfile ("rmpi.ini",
                          "[rmpi]\n"
                          "hosts=localhost;localhost\n"
                          "ranks-per-host=3\n"
                          "module=" TEST_MODULE "\n"
                          "function=rmpi_test_result\n"
                          "args=('from a keyfile', uint32 6)\n");
  test_run_assert_status (run, 0);
  /* 0 + 1 + 4 + 9 + 16 + 25 */
  g_assert_cmpstr (run->out, ==, "(\"('from a keyfile', 6)\", 55)\n");
}

/* The keyfile's own nodes, with nodes=. */
static void
test_keyfile_nodes (void)
{
  g_autoptr(TestRun) run = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  run = test_run_keyfile ("nodes.ini",
                          "[node a]\n"
                          "host=localhost\n"
                          "listen-port=0\n"
                          "\n"
                          "[node b]\n"
                          "host=localhost\n"
                          "listen-port=0\n"
                          "\n"
                          "[rmpi]\n"
                          "nodes=b;a\n"
                          "ranks-per-host=2\n"
                          "name=w\n"
                          "module=" TEST_MODULE "\n"
                          "function=rmpi_test_result\n"
                          "args=('on the keyfile\\'s nodes',)\n");
  test_run_assert_status (run, 0);
  /* 0 + 1 + 4 + 9 */
  g_assert_cmpstr (run->out, ==, "(\"(\\\"on the keyfile's nodes\\\",)\", 14)\n");
}

/* Ranks on nodes started over ssh (the keyfile's [node] groups, through a
 * private sshd): the channels between them are the nodes' own. */
static void
test_keyfile_ssh (void)
{
  g_autoptr(SshdHarness) harness = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) options = g_string_new (NULL);
  g_autoptr(GString) body = g_string_new (NULL);
  g_autoptr(TestRun) run = NULL;

  /* Skipped here, in the parent, so that the skip is reported. */
  if (!g_test_subprocess () &&
      (getuid () != 0 || !g_file_test ("/usr/sbin/sshd", G_FILE_TEST_IS_EXECUTABLE)))
    {
      g_test_skip ("needs root and /usr/sbin/sshd (Debian: openssh-server) for a private sshd");
      return;
    }
  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  harness = sshd_harness_start (&error);
  g_assert_no_error (error);
  for (guint i = 0; harness->ssh_options[i] != NULL; i++)
    g_string_append_printf (options, "%s%s", harness->ssh_options[i],
                            harness->ssh_options[i + 1] == NULL ? "" : i % 2 == 0 ? " " : ";");
  for (guint n = 0; n < 2; n++)
    g_string_append_printf (body, "[node n%u]\nhost=127.0.0.1\nlisten-port=0\nlauncher=ssh\nport=%u\n"
                            "user=%s\nidentity-file=%s\noptions=%s\nremote-path=%s\n\n", n,
                            harness->port, harness->user, harness->identity_file, options->str,
                            test_dplaces_bin ());
  g_string_append (body, "[rmpi]\nnodes=n0;n1\nranks-per-host=2\nmodule=" TEST_MODULE "\n"
                   "function=rmpi_test_result\nargs=('over ssh',)\n");
  run = test_run_keyfile ("ssh.ini", body->str);
  test_run_assert_status (run, 0);
  g_assert_cmpstr (run->out, ==, "(\"('over ssh',)\", 14)\n");
}

static void
test_keyfile_bad (void)
{
  g_autoptr(TestRun) run = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  run = test_run_keyfile ("bad.ini",
                          "[rmpi]\n"
                          "hosts=localhost\n"
                          "function=rmpi_test_result\n");
  test_run_assert_status (run, 2);
  g_assert_nonnull (strstr (run->err, "bad.ini:"));
  g_assert_nonnull (strstr (run->err, "[rmpi]"));
  g_assert_nonnull (strstr (run->err, "module"));
  g_clear_pointer (&run, test_run_free);

  run = test_run_keyfile ("bad-args.ini",
                          "[rmpi]\n"
                          "module=" TEST_MODULE "\n"
                          "function=rmpi_test_result\n"
                          "args=(1, \n");
  test_run_assert_status (run, 2);
  g_assert_nonnull (strstr (run->err, "args"));
}

/* ── the examples ──────────────────────────────────────────────────── */

/* Runs an example program with the test's cookie as the user's default:
 * it must succeed. */
static TestRun *
run_program (const char         *variable,
             const char * const *args)
{
  const char *env[] = { "XDG_CONFIG_HOME", test_sandbox_config_home (), NULL };
  TestRun *run = test_run_program (variable, args, env, TEST_RUN_MS);

  test_run_assert_status (run, 0);
  return run;
}

static void
test_example_kmeans (void)
{
  g_autoptr(TestRun) program = NULL;
  g_autoptr(TestRun) keyfile = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *result = NULL;
  const char *program_out;
  const char *end;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  /* The program: 4 ranks, checked against the serial computation. */
  program = run_program ("RMPI_KMEANS_PROGRAM", NULL);
  program_out = program->out;
  g_assert_nonnull (strstr (program_out, "converged after"));
  g_assert_nonnull (strstr (program_out, "serial computation in this process: the same"));

  /* The keyfile: the same job on 2 × 2 ranks, the same result. */
  contents = test_read_example ("kmeans.ini");
  keyfile = test_run_keyfile ("kmeans.ini", contents);
  test_run_assert_status (keyfile, 0);
  /* The program's result ends where its timing line starts. */
  end = strstr (program_out, "\n(");
  g_assert_nonnull (end);
  result = g_strndup (program_out, end + 1 - program_out);
  g_assert_cmpstr (keyfile->out, ==, result);
}

static void
test_example_nas_is (void)
{
  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  for (guint ranks = 3; ranks <= 4; ranks++)
    {
      g_autoptr(TestRun) run = NULL;
      g_autofree char *count = g_strdup_printf ("%u", ranks);
      g_autofree char *passed = g_strdup_printf ("Passed verification: %u of %u", 50 + ranks, 50 + ranks);
      const char *args[] = { count, NULL };
      const char *out;

      run = run_program ("RMPI_NAS_IS_PROGRAM", args);
      out = run->out;
      g_assert_nonnull (strstr (out, "Verification    =               SUCCESSFUL"));
      g_assert_nonnull (strstr (out, passed));
    }
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* The test's own cookie; the user's is never read. */
  test_sandbox_init ("dplaces-rmpi", TEST_COOKIE);

  g_test_add_func ("/rmpi/op/builtins", test_op_builtins);
  g_test_add_func ("/rmpi/op/lookup", test_op_lookup);
  g_test_add_func ("/rmpi/config/errors", test_config_errors);
  for (guint n = 1; n <= 8; n++)
    {
      g_autofree char *path = g_strdup_printf ("/rmpi/collectives/%u", n);
      g_test_add_data_func (path, GUINT_TO_POINTER (n), test_collectives);
    }
  g_test_add_data_func ("/rmpi/collectives/one-per-node-3", GUINT_TO_POINTER (3), test_collectives_one_per_node);
  g_test_add_data_func ("/rmpi/collectives/one-per-node-6", GUINT_TO_POINTER (6), test_collectives_one_per_node);
  g_test_add_data_func ("/rmpi/collectives/one-node-5", GUINT_TO_POINTER (5), test_collectives_one_node);
  g_test_add_data_func ("/rmpi/collectives/pipeline-6", GUINT_TO_POINTER (6), test_collectives_pipeline);
  g_test_add_func ("/rmpi/p2p/order", test_p2p_order);
  g_test_add_func ("/rmpi/death/exit", test_death_exit);
  g_test_add_func ("/rmpi/death/abort", test_death_abort);
  g_test_add_func ("/rmpi/launch/result", test_launch_result);
  g_test_add_func ("/rmpi/keyfile/run", test_keyfile_run);
  g_test_add_func ("/rmpi/keyfile/nodes", test_keyfile_nodes);
  g_test_add_func ("/rmpi/keyfile/ssh", test_keyfile_ssh);
  g_test_add_func ("/rmpi/keyfile/bad", test_keyfile_bad);
  g_test_add_func ("/rmpi/examples/kmeans", test_example_kmeans);
  g_test_add_func ("/rmpi/examples/nas-is", test_example_nas_is);

  status = g_test_run ();
  test_sandbox_finish ();
  return status;
}
