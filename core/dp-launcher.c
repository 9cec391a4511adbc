/* dp-launcher.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dp-launcher.h"

/**
 * DpLauncher:
 *
 * How a node process is started, implemented by a plugin under the
 * %DP_LAUNCHER_EXTENSION_POINT_NAME extension point (`local`, `ssh`) —
 * and, when the launcher can, any other command
 * ([method@Dp.Launcher.wrap_argv]).
 */

G_DEFINE_INTERFACE (DpLauncher, dp_launcher, G_TYPE_OBJECT)

static void
dp_launcher_default_init (DpLauncherInterface *iface)
{
}

/**
 * dp_launcher_build_argv:
 * @self: a launcher
 * @host: where the node should run
 * @node_argv: (array zero-terminated=1): the `dplaces` arguments, starting
 *   with `node`
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the command line to run here, or %NULL with
 *   @error set
 */
GStrv
dp_launcher_build_argv (DpLauncher          *self,
                        const char          *host,
                        const char * const  *node_argv,
                        GError             **error)
{
  g_return_val_if_fail (DP_IS_LAUNCHER (self), NULL);
  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (node_argv != NULL && node_argv[0] != NULL, NULL);

  return DP_LAUNCHER_GET_IFACE (self)->build_argv (self, host, node_argv, error);
}

/**
 * dp_launcher_wrap_argv:
 * @self: a launcher
 * @host: where the command should run
 * @argv: (array zero-terminated=1): the command and its arguments
 * @error: return location for a #GError
 *
 * Builds the command line that runs @argv on @host through this launcher,
 * its output coming back to us: what [func@Dp.supervise_process_at] runs.
 * A launcher that cannot run arbitrary commands fails with
 * %G_IO_ERROR_NOT_SUPPORTED.
 *
 * Returns: (transfer full): the command line to run here, or %NULL with
 *   @error set
 */
GStrv
dp_launcher_wrap_argv (DpLauncher          *self,
                       const char          *host,
                       const char * const  *argv,
                       GError             **error)
{
  DpLauncherInterface *iface;

  g_return_val_if_fail (DP_IS_LAUNCHER (self), NULL);
  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);

  iface = DP_LAUNCHER_GET_IFACE (self);
  if (iface->wrap_argv == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "The %s launcher cannot run commands other than nodes",
                   G_OBJECT_TYPE_NAME (self));
      return NULL;
    }
  return iface->wrap_argv (self, host, argv, error);
}
