/* dp-local-launcher.c: nodes started on this machine, without ssh
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-local"

#include "config.h"

#include "dp-local-launcher.h"

/* DpLocalLauncher: the command line that starts a node here is the
 * `dplaces` binary followed by the node arguments:
 *
 *   LAUNCH-PATH node --listen-port 6344 …
 *
 * LAUNCH-PATH is the launch-path key, or dp_distributed_launch_path() (the
 * seeds' distributed-launch-path: $DPLACES_LAUNCH_PATH, the build tree's
 * tools/dplaces, or the installed binary). Standard input is left alone:
 * whoever spawns the command writes the node's cookie to it. Any other
 * command (wrap_argv, for supervise-process-at) runs as it is.
 *
 * The host must name this machine: localhost, a loopback address
 * (127.0.0.0/8, ::1) or g_get_host_name(). Anything else is an error that
 * points at the ssh launcher, rather than a node silently started here
 * while the keyfile says it runs elsewhere. */

struct _DpLocalLauncher
{
  GObject parent_instance;

  char *launch_path;
};

enum {
  PROP_0,
  PROP_LAUNCH_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void dp_local_launcher_launcher_init (DpLauncherInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (DpLocalLauncher, dp_local_launcher, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (DP_TYPE_LAUNCHER,
                                                               dp_local_launcher_launcher_init))

/* Whether @host names this machine. */
static gboolean
host_is_local (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0
      || g_ascii_strcasecmp (host, "localhost.") == 0
      || g_ascii_strcasecmp (host, g_get_host_name ()) == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static gboolean
check_host (const char  *host,
            const char  *what,
            GError     **error)
{
  if (!host_is_local (host))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_REFUSED,
                   "The local launcher cannot start %s on “%s”: it starts %s on this "
                   "machine only (localhost, 127.0.0.1, ::1 or “%s”); use launcher=ssh "
                   "to start one on another host",
                   what, host, what, g_get_host_name ());
      return FALSE;
    }
  return TRUE;
}

static GStrv
dp_local_launcher_build_argv (DpLauncher          *launcher,
                              const char          *host,
                              const char * const  *node_argv,
                              GError             **error)
{
  DpLocalLauncher *self = DP_LOCAL_LAUNCHER (launcher);
  g_autoptr(GStrvBuilder) builder = NULL;
  g_autofree char *launch_path = NULL;

  if (!check_host (host, "a node", error))
    return NULL;

  if (self->launch_path != NULL && self->launch_path[0] != '\0')
    launch_path = g_strdup (self->launch_path);
  else
    launch_path = dp_distributed_launch_path ();

  builder = g_strv_builder_new ();
  g_strv_builder_add (builder, launch_path);
  g_strv_builder_addv (builder, (const char **) node_argv);

  return g_strv_builder_end (builder);
}

/* Any command runs here as it is. */
static GStrv
dp_local_launcher_wrap_argv (DpLauncher          *launcher,
                             const char          *host,
                             const char * const  *argv,
                             GError             **error)
{
  if (!check_host (host, "a process", error))
    return NULL;

  return g_strdupv ((char **) argv);
}

static void
dp_local_launcher_launcher_init (DpLauncherInterface *iface)
{
  iface->build_argv = dp_local_launcher_build_argv;
  iface->wrap_argv = dp_local_launcher_wrap_argv;
}

static void
dp_local_launcher_finalize (GObject *object)
{
  DpLocalLauncher *self = DP_LOCAL_LAUNCHER (object);

  g_free (self->launch_path);

  G_OBJECT_CLASS (dp_local_launcher_parent_class)->finalize (object);
}

static void
dp_local_launcher_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  DpLocalLauncher *self = DP_LOCAL_LAUNCHER (object);

  switch (prop_id)
    {
    case PROP_LAUNCH_PATH:
      g_value_set_string (value, self->launch_path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_local_launcher_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  DpLocalLauncher *self = DP_LOCAL_LAUNCHER (object);

  switch (prop_id)
    {
    case PROP_LAUNCH_PATH:
      g_free (self->launch_path);
      self->launch_path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_local_launcher_class_init (DpLocalLauncherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dp_local_launcher_finalize;
  object_class->get_property = dp_local_launcher_get_property;
  object_class->set_property = dp_local_launcher_set_property;

  properties[PROP_LAUNCH_PATH] =
    g_param_spec_string ("launch-path", "Launch path",
                         "The dplaces binary that runs the node (the seeds' "
                         "distributed-launch-path); empty for $DPLACES_LAUNCH_PATH or the one "
                         "next to this libdplaces",
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_local_launcher_class_finalize (DpLocalLauncherClass *klass)
{
}

static void
dp_local_launcher_init (DpLocalLauncher *self)
{
}

void
dp_local_launcher_register (GTypeModule *module)
{
  dp_local_launcher_register_type (module);
}
