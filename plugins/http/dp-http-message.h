/* dp-http-message.h: what POST /api/places/NAME/messages turns into a
 * message
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How deeply the JSON body may nest: json-glib parses recursively, and a
 * body of a few hundred thousand '[' overflowed the node's stack. A
 * GVariant nests at most 128 deep anyway. */
#define DP_HTTP_MESSAGE_MAX_DEPTH 64

/* The longest reply timeout a request may ask for, in seconds: the
 * longest the keyfile's reply-timeout may say. */
#define DP_HTTP_MESSAGE_MAX_TIMEOUT 3600.0

GVariant *dp_http_message_from_json     (const char  *json,
                                         gsize        length,
                                         const char  *type,
                                         GError     **error);

gboolean  dp_http_message_parse_timeout (const char  *text,
                                         gdouble      fallback,
                                         gint64      *out_usec,
                                         GError     **error);

G_END_DECLS
