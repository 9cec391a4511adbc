/* dp-supervise-process.c: an external command supervised on some host
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-process"

#include "config.h"

#include "dp-launcher.h"
#include "dp-plugin-registry.h"
#include "dp-supervise-process.h"

/* The launcher for @host when nobody says: local for this machine, ssh
 * otherwise — as for nodes. */
static const char *
launcher_for_host (const char *host)
{
  if (g_ascii_strcasecmp (host, "localhost") == 0 || g_str_equal (host, "127.0.0.1") ||
      g_str_equal (host, "::1") || g_ascii_strcasecmp (host, g_get_host_name ()) == 0)
    return "local";
  return "ssh";
}

/**
 * dp_supervise_process_at:
 * @hostname: where to run the command: this machine (`localhost`, a
 *   loopback address or its own name) or another, reached over ssh
 * @argv: (array zero-terminated=1): the command and its arguments (the
 *   seeds' `commandline-argument ...`)
 * @error: return location for a #GError
 *
 * Starts an external process at @hostname under supervision (the seeds'
 * `supervise-process-at`): the `local` launcher runs @argv here, the `ssh`
 * launcher on @hostname (see [method@Dp.Launcher.wrap_argv]). Its output
 * is forwarded to ours line by line, each line prefixed with
 * `PROCESS hostname`; wait for it or kill it through the result, and give
 * the result to a message router like any [iface@Dp.EventContainer].
 *
 * The seeds' `#:listen-port` has no counterpart: a process is not a node
 * and listens on nothing (Racket ignores it too). It is not restarted when
 * it dies: see [func@Dp.supervise_process_at_full].
 *
 * Returns: (transfer full): the running process, or %NULL with @error set
 */
DpSpawnedProcess *
dp_supervise_process_at (const char          *hostname,
                         const char * const  *argv,
                         GError             **error)
{
  return dp_supervise_process_at_full (hostname, argv, NULL, error);
}

/**
 * dp_supervise_process_at_full:
 * @hostname: where to run the command, as for [func@Dp.supervise_process_at]
 * @argv: (array zero-terminated=1): the command and its arguments
 * @restart_on_exit: (nullable): a restart strategy (the seeds'
 *   `#:restart-on-exit`, which Racket accepts and ignores): run the
 *   command again, at @hostname, each time it ends, as the strategy says
 * @error: return location for a #GError
 *
 * The seeds' `supervise-process-at` with `#:restart-on-exit`. Each run's
 * output is forwarded, prefixed `PROCESS hostname`; the result stands for
 * the command across its runs (see [ctor@Dp.SpawnedProcess.new_full]):
 * [method@Dp.SpawnedProcess.wait] returns once the strategy gives up,
 * [method@Dp.SpawnedProcess.stop] ends it.
 *
 * Returns: (transfer full): the running process, or %NULL with @error set
 */
DpSpawnedProcess *
dp_supervise_process_at_full (const char          *hostname,
                              const char * const  *argv,
                              DpRestartStrategy   *restart_on_exit,
                              GError             **error)
{
  g_autoptr(DpLauncher) launcher = NULL;
  g_auto(GStrv) command = NULL;
  g_autofree char *prefix = NULL;

  g_return_val_if_fail (hostname != NULL, NULL);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);

  launcher = dp_plugin_registry_create (dp_plugin_registry_get_default (),
                                        DP_LAUNCHER_EXTENSION_POINT_NAME,
                                        launcher_for_host (hostname), error);
  if (launcher == NULL)
    return NULL;

  command = dp_launcher_wrap_argv (launcher, hostname, argv, error);
  if (command == NULL)
    return NULL;

  prefix = g_strdup_printf ("PROCESS %s", hostname);
  g_debug ("supervising %s at %s", argv[0], hostname);
  return dp_spawned_process_new_full ((const char * const *) command, prefix, NULL, restart_on_exit,
                                      error);
}
