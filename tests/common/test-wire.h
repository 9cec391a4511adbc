/* test-wire.h: the wire protocol by hand, for tests that play a peer
 * (a hostile one, or one that goes away halfway)
 *
 * Frames as schemas/wire.md defines them: a 16-byte little-endian header,
 * then the type string padded to 8 bytes, then the GVariant.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TEST_FRAME_HEADER_SIZE 16
#define TEST_FRAME_HELLO 1
#define TEST_FRAME_AUTH 2
#define TEST_FRAME_DATA 10

GSocketConnection *test_raw_connect        (guint          port);
void               test_raw_send           (GSocket       *socket,
                                            gconstpointer  data,
                                            gsize          size);
void               test_raw_receive_exact  (GSocket       *socket,
                                            guint8        *buffer,
                                            gsize          size);
gboolean           test_raw_read_to_eof    (GSocket       *socket,
                                            gsize         *out_bytes,
                                            char         **why);
void               test_raw_encode_header  (guint8         out[TEST_FRAME_HEADER_SIZE],
                                            guint32        length,
                                            guint8         kind,
                                            guint16        type_length,
                                            guint32        channel,
                                            guint32        aux);
void               test_raw_send_value     (GSocket       *socket,
                                            guint8         kind,
                                            GVariant      *value);
GVariant          *test_raw_receive_value  (GSocket       *socket,
                                            guint8         kind,
                                            const char    *type);
void               test_raw_send_hello     (GSocket       *socket,
                                            guint8         nonce[32]);
void               test_raw_handshake      (GSocket       *socket,
                                            const char    *cookie,
                                            const char    *node_cookie);

G_END_DECLS
