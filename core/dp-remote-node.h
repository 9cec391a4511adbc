/* dp-remote-node.h: another node, as seen from here
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"

#include "dp-launcher.h"
#include "dp-remote-connection.h"
#include "dp-restart-strategy.h"
#include "dp-spawned-process.h"

G_BEGIN_DECLS

#define DP_TYPE_REMOTE_NODE (dp_remote_node_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpRemoteNode, dp_remote_node, DP, REMOTE_NODE, GObject)

/**
 * DpPlaceExec:
 * @DP_PLACE_EXEC_DYNAMIC_PLACE: the function is a [callback@Dp.PlaceFunc]
 *   (the seeds' `'dynamic-place`)
 * @DP_PLACE_EXEC_PLACE: the function is a [callback@Dp.PlaceThunk] that
 *   makes the place (`'place`, `#:thunk #t`)
 * @DP_PLACE_EXEC_THREAD: the function runs in a thread of the node, as
 *   `supervise-thread-at` does; a place of the threads backend here
 *
 * How [method@Dp.RemoteNode.launch_place] starts a place.
 */
typedef enum {
  DP_PLACE_EXEC_DYNAMIC_PLACE,
  DP_PLACE_EXEC_PLACE,
  DP_PLACE_EXEC_THREAD,
} DpPlaceExec;

/**
 * DpNodeOptions:
 * @listen_port: the port the node listens on (the seeds' `#:listen-port`,
 *   default %DP_DEFAULT_ROUTER_PORT); 0 lets the system pick
 * @launcher: (nullable): the launcher plugin's name: `local` or `ssh`;
 *   %NULL picks `local` for this machine and `ssh` otherwise
 * @launcher_object: (nullable): a configured launcher, instead of @launcher
 * @launch_path: (nullable): the `dplaces` binary on that machine (the
 *   seeds' `#:racket-path` and `#:distributed-launch-path` in one)
 * @ssh_bin_path: (nullable): the ssh binary (`#:ssh-bin-path`)
 * @initial_message: (nullable): a message put to the first place at once
 *   (`#:initial-message`)
 * @named: (nullable): the first place's name (`#:named`)
 * @thunk: the function makes the place itself (`#:thunk`)
 * @backend: (nullable): the place backend on the node; %NULL for threads
 * @use_current_ports: forward the node's output without the `PLACE
 *   host:port` prefix (`create-place-node`)
 * @solo: do not join the new node to the other nodes (`#:solo`)
 * @restart_on_exit: (nullable): a [iface@Dp.RestartStrategy] for the first
 *   place of [func@Dp.spawn_node_with_place_at] and
 *   [func@Dp.spawn_node_supervise_place_at] (their `#:restart-on-exit`)
 * @node_restart_on_exit: (nullable): a [iface@Dp.RestartStrategy] for the
 *   node itself (`remote-node%`'s `restart-on-exit`): spawned again, with
 *   its places, when it dies
 *
 * The seeds' keyword arguments for spawning nodes. Start from
 * [func@Dp.node_options_init].
 */
typedef struct {
  guint listen_port;
  const char *launcher;
  DpLauncher *launcher_object;
  const char *launch_path;
  const char *ssh_bin_path;
  GVariant *initial_message;
  const char *named;
  gboolean thunk;
  const char *backend;
  gboolean use_current_ports;
  gboolean solo;
  GObject *restart_on_exit;
  GObject *node_restart_on_exit;

  /*< private >*/
  gpointer padding[7];
} DpNodeOptions;

DP_AVAILABLE_IN_ALL
void                dp_node_options_init               (DpNodeOptions      *options);

DP_AVAILABLE_IN_ALL
DpRemoteNode       *dp_remote_node_new                 (const char         *host,
                                                        guint               listen_port);
DP_AVAILABLE_IN_ALL
const char         *dp_remote_node_get_host            (DpRemoteNode       *self);
DP_AVAILABLE_IN_ALL
guint               dp_remote_node_get_listen_port     (DpRemoteNode       *self);
DP_AVAILABLE_IN_ALL
void                dp_remote_node_set_launcher        (DpRemoteNode       *self,
                                                        DpLauncher         *launcher);
DP_AVAILABLE_IN_ALL
gboolean            dp_remote_node_spawn               (DpRemoteNode       *self,
                                                        GError            **error);
DP_AVAILABLE_IN_ALL
gboolean            dp_remote_node_connect             (DpRemoteNode       *self,
                                                        GError            **error);
DP_AVAILABLE_IN_ALL
gboolean            dp_remote_node_is_alive            (DpRemoteNode       *self);
DP_AVAILABLE_IN_ALL
DpSpawnedProcess   *dp_remote_node_get_process         (DpRemoteNode       *self);

DP_AVAILABLE_IN_ALL
DpRemoteConnection *dp_remote_node_launch_place        (DpRemoteNode       *self,
                                                        DpPlaceExec         exec,
                                                        const char         *module,
                                                        const char         *function,
                                                        const char         *named,
                                                        const char         *backend,
                                                        GError            **error);
DP_AVAILABLE_IN_ALL
DpRemoteConnection *dp_remote_node_launch_place_full   (DpRemoteNode       *self,
                                                        DpPlaceExec         exec,
                                                        const char         *module,
                                                        const char         *function,
                                                        const char         *named,
                                                        const char         *backend,
                                                        DpRestartStrategy  *restart_on_exit,
                                                        GError            **error);
DP_AVAILABLE_IN_ALL
DpRemoteConnection *dp_remote_node_remote_connect      (DpRemoteNode       *self,
                                                        const char         *name,
                                                        GError            **error);
DP_AVAILABLE_IN_ALL
DpRemoteConnection *dp_remote_node_connect_channel     (DpRemoteNode       *self,
                                                        GVariant           *src_id,
                                                        const char         *name,
                                                        GError            **error);
DP_AVAILABLE_IN_ALL
gboolean            dp_remote_node_sync                (DpRemoteNode       *self,
                                                        GError            **error);
DP_AVAILABLE_IN_ALL
GVariant           *dp_remote_node_query_status        (DpRemoteNode       *self,
                                                        gint64              timeout_usec,
                                                        GError            **error);
DP_AVAILABLE_IN_ALL
guint               dp_remote_node_get_restarts        (DpRemoteNode       *self);
DP_AVAILABLE_IN_ALL
void                dp_remote_node_send_exit           (DpRemoteNode       *self);
DP_AVAILABLE_IN_ALL
DpRemoteConnection *dp_remote_node_get_first_place     (DpRemoteNode       *self);
DP_AVAILABLE_IN_ALL
DpChannel          *dp_remote_node_get_first_place_channel (DpRemoteNode   *self);
DP_AVAILABLE_IN_ALL
char               *dp_remote_node_get_log_prefix      (DpRemoteNode       *self);

/* The seeds' functions. */
DP_AVAILABLE_IN_ALL
DpRemoteNode       *dp_spawn_remote_node               (const char          *hostname,
                                                        const DpNodeOptions *options,
                                                        GError             **error);
DP_AVAILABLE_IN_ALL
DpRemoteNode       *dp_create_place_node               (const char          *hostname,
                                                        const DpNodeOptions *options,
                                                        GError             **error);
DP_AVAILABLE_IN_ALL
DpRemoteNode       *dp_spawn_node_with_place_at        (const char          *hostname,
                                                        const char          *module,
                                                        const char          *function,
                                                        const DpNodeOptions *options,
                                                        GError             **error);
DP_AVAILABLE_IN_ALL
gboolean            dp_spawn_node_supervise_place_at   (const char          *hostname,
                                                        const char          *module,
                                                        const char          *function,
                                                        const DpNodeOptions *options,
                                                        DpRemoteNode       **out_node,
                                                        DpRemoteConnection **out_place,
                                                        GError             **error);
DP_AVAILABLE_IN_ALL
DpRemoteConnection *dp_supervise_place_at              (DpRemoteNode        *node,
                                                        const char          *module,
                                                        const char          *function,
                                                        const char          *named,
                                                        gboolean             thunk,
                                                        GError             **error);
DP_AVAILABLE_IN_ALL
DpRemoteConnection *dp_supervise_place_at_full         (DpRemoteNode        *node,
                                                        const char          *module,
                                                        const char          *function,
                                                        const char          *named,
                                                        gboolean             thunk,
                                                        DpRestartStrategy   *restart_on_exit,
                                                        GError             **error);
DP_AVAILABLE_IN_ALL
DpRemoteConnection *dp_dynamic_place_at                (DpRemoteNode        *node,
                                                        const char          *module,
                                                        const char          *function,
                                                        GError             **error);
DP_AVAILABLE_IN_ALL
DpRemoteConnection *dp_supervise_thread_at             (DpRemoteNode        *node,
                                                        const char          *module,
                                                        const char          *function,
                                                        GError             **error);
DP_AVAILABLE_IN_ALL
DpRemoteConnection *dp_supervise_thread_at_full        (DpRemoteNode        *node,
                                                        const char          *module,
                                                        const char          *function,
                                                        DpRestartStrategy   *restart_on_exit,
                                                        GError             **error);
DP_AVAILABLE_IN_ALL
DpRemoteConnection *dp_connect_to_named_place          (DpRemoteNode        *node,
                                                        const char          *name,
                                                        GError             **error);
DP_AVAILABLE_IN_ALL
void                dp_node_send_exit                  (DpRemoteNode        *node);
DP_AVAILABLE_IN_ALL
DpRemoteConnection *dp_node_get_first_place            (DpRemoteNode        *node);
DP_AVAILABLE_IN_ALL
void                dp_spawn_node_at_async             (const char          *hostname,
                                                        const DpNodeOptions *options,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
DP_AVAILABLE_IN_ALL
DpRemoteNode       *dp_spawn_node_at_finish            (GAsyncResult        *result,
                                                        GError             **error);
DP_AVAILABLE_IN_ALL
GPtrArray          *dp_spawn_nodes_join                (const char * const  *hostnames,
                                                        const DpNodeOptions *options,
                                                        GError             **error);
DP_AVAILABLE_IN_ALL
gboolean            dp_node_address_parse              (const char          *address,
                                                        guint                default_port,
                                                        char               **out_host,
                                                        guint               *out_port,
                                                        GError             **error);
DP_AVAILABLE_IN_ALL
GPtrArray          *dp_spawn_nodes_at                  (const char * const  *addresses,
                                                        const DpNodeOptions *options,
                                                        GError             **error);
DP_AVAILABLE_IN_ALL
char               *dp_ssh_bin_path                    (void);
DP_AVAILABLE_IN_ALL
char               *dp_racket_path                     (void);
DP_AVAILABLE_IN_ALL
char               *dp_build_distributed_launch_path   (const char          *prefix);

G_END_DECLS
