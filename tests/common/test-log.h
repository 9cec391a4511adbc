/* test-log.h: the log lines of the dplaces domain that reach this process
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void      test_log_capture (gboolean            pass_on);
char     *test_log_wait    (GLogLevelFlags      levels,
                            const char * const *needles);
gboolean  test_log_seen    (GLogLevelFlags      levels,
                            const char         *needle);

G_END_DECLS
