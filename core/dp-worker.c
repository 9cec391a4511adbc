/* dp-worker.c: the library's background main context
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dp-worker-private.h"

static GMainContext *worker_context;

static gpointer
worker_main (gpointer data)
{
  GMainLoop *loop = data;

  g_main_context_push_thread_default (worker_context);
  g_main_loop_run (loop);
  return NULL;
}

GMainContext *
dp_worker_context (void)
{
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      worker_context = g_main_context_new ();
      g_thread_unref (g_thread_new ("dp-worker", worker_main,
                                    g_main_loop_new (worker_context, FALSE)));
      g_once_init_leave (&initialized, 1);
    }

  return worker_context;
}

/* Runs @func in the worker thread, where the worker context is the thread
 * default: start asynchronous GIO calls there. */
void
dp_worker_invoke (GSourceFunc    func,
                  gpointer       data,
                  GDestroyNotify destroy)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, destroy);
  g_source_set_static_name (source, "dp-worker-invoke");
  g_source_attach (source, dp_worker_context ());
  g_source_unref (source);
}
