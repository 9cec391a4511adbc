/* dplaces-rmpi-bench.c: the places `dplaces bench rmpi` runs
 *
 * A plain place module (dplaces-rmpi-bench.so) linking libdplaces-rmpi:
 * the benchmark's controller runs in the `dplaces` process, its ranks on
 * the nodes the controller's job spawns.
 *
 *   controller  ('start', ranks, ranks per node) → ('started', problem)
 *               ('run', what, iterations, size) → ('result', a, b): the
 *               slowest rank's µs per operation
 *               ('stop',) → ('stopped', problem)
 *   rank        ('cmd', what, iterations, size) from the controller:
 *               allreduce (one double, sum), barrier, bcast (SIZE bytes
 *               from rank 0, then a barrier: a is that, b a barrier
 *               alone), stop
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-bench"

#include <string.h>

#include <dplaces/dp-rmpi.h>

#define BENCH_RMPI_MODULE "dplaces-rmpi-bench"
#define WARM_UP 20

G_MODULE_EXPORT void dp_rmpi_bench_controller (DpChannel *channel);
G_MODULE_EXPORT void dp_rmpi_bench_rank (DpChannel *channel);

static gboolean
time_allreduce (DpRmpiComm  *comm,
                guint        iterations,
                gdouble     *out_usec,
                GError     **error)
{
  gint64 start = 0;

  for (guint i = 0; i < WARM_UP + iterations; i++)
    {
      g_autoptr(GVariant) sum = NULL;

      if (i == WARM_UP)
        {
          if (!dp_rmpi_barrier (comm, error))
            return FALSE;
          start = g_get_monotonic_time ();
        }
      sum = dp_rmpi_allreduce (comm, DP_RMPI_SUM,
                               g_variant_new_double ((gdouble) (i + dp_rmpi_id (comm))), error);
      if (sum == NULL)
        return FALSE;
    }
  *out_usec = (gdouble) (g_get_monotonic_time () - start) / MAX (iterations, 1);
  return TRUE;
}

static gboolean
time_barrier (DpRmpiComm  *comm,
              guint        iterations,
              gdouble     *out_usec,
              GError     **error)
{
  gint64 start = 0;

  for (guint i = 0; i < WARM_UP + iterations; i++)
    {
      if (i == WARM_UP)
        start = g_get_monotonic_time ();
      if (!dp_rmpi_barrier (comm, error))
        return FALSE;
    }
  *out_usec = (gdouble) (g_get_monotonic_time () - start) / MAX (iterations, 1);
  return TRUE;
}

static gboolean
time_bcast (DpRmpiComm  *comm,
            guint        iterations,
            gsize        size,
            gdouble     *out_usec,
            GError     **error)
{
  g_autoptr(GVariant) message = NULL;
  gint64 start = 0;

  if (dp_rmpi_id (comm) == 0)
    {
      guint8 *bytes = g_malloc (MAX (size, 1));

      for (gsize i = 0; i < size; i++)
        bytes[i] = i * 7;
      message = g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, bytes, size,
                                                             TRUE, g_free, bytes));
    }

  for (guint i = 0; i < WARM_UP / 4 + iterations; i++)
    {
      g_autoptr(GVariant) got = NULL;

      if (i == WARM_UP / 4)
        {
          if (!dp_rmpi_barrier (comm, error))
            return FALSE;
          start = g_get_monotonic_time ();
        }
      got = dp_rmpi_broadcast (comm, 0, message != NULL ? g_variant_ref (message) : NULL, error);
      if (got == NULL || !dp_rmpi_barrier (comm, error))
        return FALSE;
      if (g_variant_get_size (got) != size)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "broadcast %" G_GSIZE_FORMAT " bytes, got %"
                       G_GSIZE_FORMAT, size, g_variant_get_size (got));
          return FALSE;
        }
    }
  *out_usec = (gdouble) (g_get_monotonic_time () - start) / MAX (iterations, 1);
  return TRUE;
}

/* A rank: runs what the controller asks, reports its times. */
void
dp_rmpi_bench_rank (DpChannel *channel)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRmpiComm) comm = NULL;
  g_autoptr(DpTypedChannel) tc = NULL;

  if (!dp_rmpi_init (channel, &comm, NULL, &tc, &error))
    {
      g_warning ("%s", error->message);
      dp_place_exit (1);
    }

  for (;;)
    {
      g_autoptr(GVariant) command = dp_typed_channel_get (tc, "cmd", &error);
      const char *what;
      guint32 iterations, size;
      gdouble a = 0, b = 0;
      gboolean ok;

      if (command == NULL || !g_variant_is_of_type (command, G_VARIANT_TYPE ("(ssuu)")))
        break;
      g_variant_get (command, "(&s&suu)", NULL, &what, &iterations, &size);
      if (g_str_equal (what, "stop"))
        {
          if (!dp_rmpi_finish (comm, tc, &error))
            break;
          return;
        }
      else if (g_str_equal (what, "allreduce"))
        ok = time_allreduce (comm, iterations, &a, &error);
      else if (g_str_equal (what, "barrier"))
        ok = time_barrier (comm, iterations, &a, &error);
      else if (g_str_equal (what, "bcast"))
        ok = time_bcast (comm, iterations, size, &a, &error) &&
             time_barrier (comm, iterations, &b, &error);
      else
        {
          g_set_error (&error, DP_ERROR, DP_ERROR_INVALID_MESSAGE, "unknown benchmark %s", what);
          ok = FALSE;
        }
      if (!ok)
        break;
      if (!dp_channel_put (channel, g_variant_new ("(sudd)", "result", dp_rmpi_id (comm), a, b),
                           &error))
        break;
    }

  if (error != NULL)
    {
      g_warning ("rank %u: %s", dp_rmpi_id (comm), error->message);
      dp_channel_put (channel, g_variant_new ("(ss)", "failed", error->message), NULL);
    }
  dp_place_exit (1);
}

static GVariant *
run_everywhere (DpRmpiJob   *job,
                GVariant    *command,
                GError     **error)
{
  guint n = dp_rmpi_job_get_n_ranks (job);
  g_autoptr(GVariant) owned = g_variant_ref_sink (command);
  gdouble a = 0, b = 0;

  for (guint i = 0; i < n; i++)
    if (!dp_channel_put (dp_rmpi_job_get_rank_channel (job, i), owned, error))
      return NULL;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GVariant) result = NULL;
      gdouble x, y;

      result = dp_typed_channel_get (dp_rmpi_job_get_rank_typed_channel (job, i), "result", error);
      if (result == NULL)
        return NULL;
      g_variant_get (result, "(&sudd)", NULL, NULL, &x, &y);
      a = MAX (a, x);
      b = MAX (b, y);
    }
  return g_variant_new ("(sdd)", "result", a, b);
}

/* The controller: a job of ranks on local nodes, benchmarks on demand. */
void
dp_rmpi_bench_controller (DpChannel *channel)
{
  g_autoptr(DpRmpiJob) job = NULL;

  for (;;)
    {
      g_autoptr(GVariant) request = dp_channel_get (channel, NULL);
      g_autoptr(GError) error = NULL;
      const char *what;

      if (request == NULL || dp_message_get_tag (request) == NULL)
        break;
      what = dp_message_get_tag (request);

      if (g_str_equal (what, "start") && g_variant_is_of_type (request, G_VARIANT_TYPE ("(suu)")) &&
          job == NULL)
        {
          guint32 ranks, per_node;
          GVariantBuilder entries;

          g_variant_get (request, "(&suu)", NULL, &ranks, &per_node);
          g_variant_builder_init (&entries, G_VARIANT_TYPE ("a(sqsua{sv})"));
          for (guint i = 0; i < ranks; i++)
            {
              g_autofree char *name = g_strdup_printf ("bench_%u", i);
              g_autofree char *node = g_strdup_printf ("%u", i / MAX (per_node, 1));
              GVariantBuilder options;

              g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
              g_variant_builder_add (&options, "{sv}", "node", g_variant_new_string (node));
              g_variant_builder_add (&entries, "(sqsua{sv})", "localhost", 0, name, i, &options);
            }
          job = dp_rmpi_job_new (dp_rmpi_build_default_config (
                                   "mpi-module", g_variant_new_string (BENCH_RMPI_MODULE),
                                   "mpi-func", g_variant_new_string ("dp_rmpi_bench_rank"),
                                   NULL),
                                 g_variant_builder_end (&entries), &error);
          if (job != NULL && !dp_rmpi_job_start (job, &error))
            g_clear_object (&job);
          dp_channel_put (channel, g_variant_new ("(ss)", "started",
                                                  error != NULL ? error->message : ""), NULL);
        }
      else if (g_str_equal (what, "run") && g_variant_is_of_type (request, G_VARIANT_TYPE ("(ssuu)")) &&
               job != NULL)
        {
          const char *name;
          guint32 iterations, size;
          GVariant *reply;

          g_variant_get (request, "(&s&suu)", NULL, &name, &iterations, &size);
          reply = run_everywhere (job, g_variant_new ("(ssuu)", "cmd", name, iterations, size),
                                  &error);
          if (reply == NULL)
            reply = g_variant_new ("(sdd)", error->message, -1.0, -1.0);
          dp_channel_put (channel, reply, NULL);
        }
      else if (g_str_equal (what, "stop") && job != NULL)
        {
          g_autoptr(GVariant) result = NULL;

          for (guint i = 0; i < dp_rmpi_job_get_n_ranks (job); i++)
            dp_channel_put (dp_rmpi_job_get_rank_channel (job, i),
                            g_variant_new ("(ssuu)", "cmd", "stop", 0, 0), NULL);
          result = dp_rmpi_job_wait (job, &error);
          g_clear_object (&job);
          dp_channel_put (channel, g_variant_new ("(ss)", "stopped",
                                                  error != NULL ? error->message : ""), NULL);
          return;
        }
      else
        {
          dp_channel_put (channel, g_variant_new ("(ss)", "error", "bad request"), NULL);
          break;
        }
    }

  if (job != NULL)
    dp_rmpi_job_stop (job);
}
