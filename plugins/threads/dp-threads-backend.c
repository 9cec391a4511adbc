/* dp-threads-backend.c: places as threads of this process
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-threads"

#include "config.h"

#include <limits.h>
#include <pthread.h>

#include "dp-threads-backend.h"

/* DpThreadsBackend: each place is a thread with its own GMainContext as
 * thread default. Messages pass by reference: a put is a queue push, a get
 * a queue pop. Fast, but not isolated: a place that crashes takes the node
 * with it (the processes backend is the isolated one). */

struct _DpThreadsBackend
{
  GObject parent_instance;

  guint stack_size;
};

enum {
  PROP_0,
  PROP_STACK_SIZE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void dp_threads_backend_place_backend_init (DpPlaceBackendInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (DpThreadsBackend, dp_threads_backend, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (DP_TYPE_PLACE_BACKEND,
                                                               dp_threads_backend_place_backend_init))

/* What a place thread runs. The thread owns it. */
typedef struct {
  DpPlace *place;
  DpPlaceChannel *channel;    /* the place's end */
  DpPlaceFunc function;
  GMainContext *context;
} ThreadPlace;

static GPrivate current_thread_place;

static void
thread_place_finish (ThreadPlace *tp,
                     gint         status,
                     const char  *reason)
{
  /* Report first, so the creator's get learns the status rather than a
   * bare "closed" when our end goes away just after. */
  dp_place_report_exit (tp->place, status, reason);
  g_main_context_pop_thread_default (tp->context);
  dp_place_leave (tp->place);
  g_private_set (&current_thread_place, NULL);

  g_main_context_unref (tp->context);
  g_object_unref (tp->channel);
  g_object_unref (tp->place);
  g_free (tp);
}

static gpointer
thread_place_main (gpointer data)
{
  ThreadPlace *tp = data;
  char thread_name[16];   /* the kernel's limit, with the NUL */

  /* In gdb and top, a place's thread shows which place it is. */
  g_snprintf (thread_name, sizeof thread_name, "p:%s", dp_place_get_name (tp->place));
  pthread_setname_np (pthread_self (), thread_name);

  dp_place_enter (tp->place);
  g_private_set (&current_thread_place, tp);
  g_main_context_push_thread_default (tp->context);

  tp->function (DP_CHANNEL (tp->channel));

  thread_place_finish (tp, 0, NULL);
  return NULL;
}

static gboolean
dp_threads_backend_launch (DpPlaceBackend  *backend,
                           DpPlace         *place,
                           GError         **error)
{
  DpThreadsBackend *self = DP_THREADS_BACKEND (backend);
  DpPlaceChannel *creator_end, *place_end;
  DpPlaceFunc function;
  ThreadPlace *tp;
  pthread_attr_t attr;
  pthread_t thread;
  int res;

  function = dp_place_resolve_function (place, error);
  if (function == NULL)
    return FALSE;

  dp_place_channel_new_pair (&creator_end, &place_end);
  dp_place_set_endpoint (place, creator_end);
  g_object_unref (creator_end);

  tp = g_new0 (ThreadPlace, 1);
  tp->place = g_object_ref (place);
  tp->channel = place_end;
  tp->function = function;
  tp->context = g_main_context_new ();

  /* pthreads rather than GThread: GThread cannot set a stack size. */
  pthread_attr_init (&attr);
  pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
  if (self->stack_size > 0)
    pthread_attr_setstacksize (&attr, MAX (self->stack_size, (guint) PTHREAD_STACK_MIN));
  res = pthread_create (&thread, &attr, thread_place_main, tp);
  pthread_attr_destroy (&attr);

  if (res != 0)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "Cannot start a thread for place %s: %s",
                   dp_place_get_name (place), g_strerror (res));
      g_main_context_unref (tp->context);
      g_object_unref (tp->channel);
      g_object_unref (tp->place);
      g_free (tp);
      return FALSE;
    }

  return TRUE;
}

static void
dp_threads_backend_kill (DpPlaceBackend *backend,
                         DpPlace        *place)
{
  /* A thread cannot be stopped from outside. The place is marked killed
   * (its blocked gets have been woken and fail with DP_ERROR_KILLED); it is
   * reported dead now and its thread ends when its code returns. */
  dp_place_report_exit (place, 1, "killed");
}

static void
dp_threads_backend_exit_current (DpPlaceBackend *backend,
                                 DpPlace        *place,
                                 gint            status)
{
  ThreadPlace *tp = g_private_get (&current_thread_place);

  if (tp == NULL || tp->place != place)
    g_error ("dp_place_exit() called from a thread that is not the place's own");

  thread_place_finish (tp, status, NULL);
  pthread_exit (NULL);
}

static void
dp_threads_backend_place_backend_init (DpPlaceBackendInterface *iface)
{
  iface->launch = dp_threads_backend_launch;
  iface->kill = dp_threads_backend_kill;
  iface->exit_current = dp_threads_backend_exit_current;
}

static void
dp_threads_backend_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  DpThreadsBackend *self = DP_THREADS_BACKEND (object);

  switch (prop_id)
    {
    case PROP_STACK_SIZE:
      g_value_set_uint (value, self->stack_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_threads_backend_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  DpThreadsBackend *self = DP_THREADS_BACKEND (object);

  switch (prop_id)
    {
    case PROP_STACK_SIZE:
      self->stack_size = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_threads_backend_class_init (DpThreadsBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = dp_threads_backend_get_property;
  object_class->set_property = dp_threads_backend_set_property;

  properties[PROP_STACK_SIZE] =
    g_param_spec_uint ("stack-size", "Stack size",
                       "Stack size of each place's thread in bytes; 0 for the system default",
                       0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_threads_backend_class_finalize (DpThreadsBackendClass *klass)
{
}

static void
dp_threads_backend_init (DpThreadsBackend *self)
{
}

void
dp_threads_backend_register (GTypeModule *module)
{
  dp_threads_backend_register_type (module);
}
