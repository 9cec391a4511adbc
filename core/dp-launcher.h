/* dp-launcher.h: how nodes are started — the interface launcher plugins
 * implement
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * DP_LAUNCHER_EXTENSION_POINT_NAME:
 *
 * The extension point launcher plugins implement [iface@Dp.Launcher]
 * under.
 */
#define DP_LAUNCHER_EXTENSION_POINT_NAME "dplaces-launcher"

#define DP_TYPE_LAUNCHER (dp_launcher_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (DpLauncher, dp_launcher, DP, LAUNCHER, GObject)

/**
 * DpLauncherInterface:
 * @build_argv: returns the command line that starts, on @host, a node
 *   running `NODE_ARGV` — the `dplaces node …` arguments, the first being
 *   the word `node`. The launcher puts the remote `dplaces` binary (or its
 *   own default) in front, and whatever reaches the host (ssh) in front of
 *   that. The command's standard input must reach the node: the cookie
 *   travels there.
 * @wrap_argv: optional: returns the command line that runs `ARGV` — any
 *   command, its first word the program — on @host, with its standard
 *   input and output reaching ours (the seeds' `supervise-process-at`).
 *   `local` returns `ARGV` itself; `ssh` the same ssh command line as
 *   @build_argv with `ARGV` as the remote command.
 *
 * Starts nodes: `local` runs `dplaces node` on this machine, `ssh` on
 * another. A launcher's writable properties are the keys a `[node NAME]`
 * group may set for it.
 */
struct _DpLauncherInterface
{
  GTypeInterface parent_iface;

  GStrv (*build_argv) (DpLauncher          *self,
                       const char          *host,
                       const char * const  *node_argv,
                       GError             **error);
  GStrv (*wrap_argv)  (DpLauncher          *self,
                       const char          *host,
                       const char * const  *argv,
                       GError             **error);

  /*< private >*/
  gpointer padding[7];
};

DP_AVAILABLE_IN_ALL
GStrv dp_launcher_build_argv (DpLauncher          *self,
                              const char          *host,
                              const char * const  *node_argv,
                              GError             **error);
DP_AVAILABLE_IN_ALL
GStrv dp_launcher_wrap_argv  (DpLauncher          *self,
                              const char          *host,
                              const char * const  *argv,
                              GError             **error);

G_END_DECLS
