/* example-options.h: the options the examples' keyfile places take
 *
 * A keyfile example's place gets its options as a dictionary, written in
 * GVariant text in the keyfile:
 *
 *   message={'backend': <'processes'>, 'size': <64>}
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL
gboolean example_options_check  (GVariant           *options,
                                 const char * const *known_keys,
                                 GError            **error);
G_GNUC_INTERNAL
gboolean example_options_uint   (GVariant           *options,
                                 const char         *key,
                                 guint               fallback,
                                 guint              *out_value,
                                 GError            **error);
G_GNUC_INTERNAL
gboolean example_options_string (GVariant           *options,
                                 const char         *key,
                                 const char         *fallback,
                                 char              **out_value,
                                 GError            **error);

G_END_DECLS
