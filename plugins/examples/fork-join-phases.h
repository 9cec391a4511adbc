/* fork-join-phases.h: fork-join with CGfor and CGBarrier (Sec. 3.4.2.1)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define FORK_JOIN_PHASES_MODULE "fork-join-phases"

G_MODULE_EXPORT void fork_join_phases_place (DpChannel *ch);
G_MODULE_EXPORT void fork_join_phases_main  (DpChannel *ch);

/* The grid's numbers stay below this prime. */
#define PHASES_MODULUS G_GINT64_CONSTANT (1000003)

G_GNUC_INTERNAL
void     phases_fill        (gint64        *grid,
                             guint          n);
G_GNUC_INTERNAL
void     phase_x_row        (const gint64  *from,
                             gint64        *to,
                             guint          n,
                             gsize          row);
G_GNUC_INTERNAL
void     phase_y_column     (const gint64  *from,
                             gint64        *to,
                             guint          n,
                             gsize          column);
G_GNUC_INTERNAL
gint64   phase_z_row        (const gint64  *from,
                             gint64        *to,
                             guint          n,
                             gsize          row);

G_GNUC_INTERNAL
gboolean fork_join_phases_run (guint            np,
                               guint            n,
                               const char      *backend,
                               gint64          *out_checksum,
                               DpSharedVector **out_grid,
                               GError         **error);

G_END_DECLS
