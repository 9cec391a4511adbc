/* dp-inspect.h: `dplaces inspect`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int dp_inspect_command (int    argc,
                        char **argv);

G_END_DECLS
