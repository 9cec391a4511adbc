/* test-monitor.c: DpMonitor's list of the frameworks' jobs
 *
 *   /monitor/jobs/list      jobs listed per framework, in order, numbered
 *                           per framework; a dropped job is not listed
 *   /monitor/jobs/threads   jobs made and dropped in threads while
 *                           another lists them: only live jobs, no crash
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <dplaces/dplaces.h>

static gboolean
listed (const char *framework,
        gpointer    job)
{
  g_autoptr(GPtrArray) jobs = dp_monitor_list_jobs (dp_monitor_get_default (), framework);

  return g_ptr_array_find (jobs, job, NULL);
}

static void
test_jobs_list (void)
{
  DpMonitor *monitor = dp_monitor_get_default ();
  GObject *a = g_object_new (G_TYPE_OBJECT, NULL);
  GObject *b = g_object_new (G_TYPE_OBJECT, NULL);
  GObject *c = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GObject) d = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GPtrArray) jobs = NULL;

  g_assert_cmpuint (dp_monitor_add_job (monitor, "test-a", a), ==, 1);
  g_assert_cmpuint (dp_monitor_add_job (monitor, "test-b", b), ==, 1);
  g_assert_cmpuint (dp_monitor_add_job (monitor, "test-a", c), ==, 2);

  jobs = dp_monitor_list_jobs (monitor, "test-a");
  g_assert_cmpuint (jobs->len, ==, 2);
  g_assert_true (g_ptr_array_index (jobs, 0) == a);
  g_assert_true (g_ptr_array_index (jobs, 1) == c);
  g_clear_pointer (&jobs, g_ptr_array_unref);
  g_assert_true (listed ("test-b", b));
  g_assert_false (listed ("test-b", a));

  /* The monitor does not hold them: a dropped job is not listed. */
  g_object_unref (a);
  jobs = dp_monitor_list_jobs (monitor, "test-a");
  g_assert_cmpuint (jobs->len, ==, 1);
  g_assert_true (g_ptr_array_index (jobs, 0) == c);
  g_clear_pointer (&jobs, g_ptr_array_unref);
  g_object_unref (b);
  g_object_unref (c);
  jobs = dp_monitor_list_jobs (monitor, "test-a");
  g_assert_cmpuint (jobs->len, ==, 0);
  g_clear_pointer (&jobs, g_ptr_array_unref);
  jobs = dp_monitor_list_jobs (monitor, "test-b");
  g_assert_cmpuint (jobs->len, ==, 0);
  g_clear_pointer (&jobs, g_ptr_array_unref);

  /* Numbers go on. */
  g_assert_cmpuint (dp_monitor_add_job (monitor, "test-a", d), ==, 3);
  g_assert_true (listed ("test-a", d));
  g_assert_false (listed ("no-such-framework", d));
}

#define THREADS 4
#define JOBS_PER_THREAD 2000

static gint listing = 1;

static gpointer
make_and_drop_jobs (gpointer data)
{
  for (guint i = 0; i < JOBS_PER_THREAD; i++)
    {
      g_autoptr(GObject) job = g_object_new (G_TYPE_OBJECT, NULL);

      dp_monitor_add_job (dp_monitor_get_default (), "test-threads", job);
      g_assert_true (listed ("test-threads", job));
    }
  return NULL;
}

static void
test_jobs_threads (void)
{
  GThread *threads[THREADS];
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(GObject) last = g_object_new (G_TYPE_OBJECT, NULL);
  guint lists = 0;

  for (guint i = 0; i < THREADS; i++)
    threads[i] = g_thread_new ("jobs", make_and_drop_jobs, NULL);

  /* Whatever is listed is alive while the list holds it. */
  while (g_atomic_int_get (&listing))
    {
      g_autoptr(GPtrArray) seen = dp_monitor_list_jobs (dp_monitor_get_default (), "test-threads");

      for (guint i = 0; i < seen->len; i++)
        g_assert_true (G_IS_OBJECT (g_ptr_array_index (seen, i)));
      if (++lists == 1000)
        g_atomic_int_set (&listing, 0);
    }

  for (guint i = 0; i < THREADS; i++)
    g_thread_join (threads[i]);
  jobs = dp_monitor_list_jobs (dp_monitor_get_default (), "test-threads");
  g_assert_cmpuint (jobs->len, ==, 0);
  g_assert_cmpuint (dp_monitor_add_job (dp_monitor_get_default (), "test-threads", last), ==,
                    THREADS * JOBS_PER_THREAD + 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/monitor/jobs/list", test_jobs_list);
  g_test_add_func ("/monitor/jobs/threads", test_jobs_threads);

  return g_test_run ();
}
