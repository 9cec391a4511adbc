/* dp-log.h: how the dplaces host logs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

void dp_log_init         (void);
void dp_log_apply_config (DpConfig *config);

G_END_DECLS
