/* dp-ndp-group-private.h: a worker's view of its group
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dp-ndp.h"

G_BEGIN_DECLS

DpNdpGroup *dp_ndp_group_new_for_worker    (DpChannel   *channel,
                                            guint        id,
                                            guint        n_workers,
                                            const char  *name);
GVariant   *dp_ndp_group_call              (DpNdpGroup  *self,
                                            const char  *procedure,
                                            GVariant    *data,
                                            GError     **error);
gboolean    dp_ndp_group_was_stopped       (DpNdpGroup  *self);

G_END_DECLS
