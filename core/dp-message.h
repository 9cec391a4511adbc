/* dp-message.h: helpers for place messages (GVariants)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"
#include <stdio.h>

#include <glib.h>

G_BEGIN_DECLS

DP_AVAILABLE_IN_ALL
GVariant   *dp_message_parse      (const char  *text,
                                   GError     **error);
DP_AVAILABLE_IN_ALL
char       *dp_message_to_display (GVariant    *message);
DP_AVAILABLE_IN_ALL
const char *dp_message_get_tag    (GVariant    *message);
DP_AVAILABLE_IN_ALL
GVariant   *dp_message_new_tagged (const char  *tag,
                                   GVariant    *payload);

DP_AVAILABLE_IN_ALL
void        dp_write_flush        (GVariant    *datum,
                                   FILE        *port);
DP_AVAILABLE_IN_ALL
void        dp_displayln_f        (GVariant    *item);
DP_AVAILABLE_IN_ALL
void        dp_printf_f           (const char  *format,
                                   ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
