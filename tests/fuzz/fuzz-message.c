/* fuzz-message.c: messages from untrusted bytes, with their handles
 *
 * Input: a message as it travels in a DATA frame, in a form that keeps the
 * fuzzer's effort on the message rather than on framing:
 *
 *   n (1 byte) | type string | NUL | serialized value | n handle entries
 *
 * The harness wraps it in a DATA frame for channel 1 (header, type
 * string, padding, value, entries; with one shared-memory file per
 * vector entry) and sends it to a real DpSocketConnection
 * (fuzz-connection.h): type check, normal form, handle entries turned
 * into channels and shared vectors. What arrives is read as a place reads
 * it: displayed, its channels and vectors taken out and used.
 *
 * The message must arrive exactly when GLib itself calls it valid: a
 * definite type, in fewer than 256 bytes; a value in normal form
 * (g_variant_is_normal_form(), against which the connection's faster
 * check is measured), and every handle in it naming an entry that works.
 * With no entries, that means no handles at all.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <dplaces/dplaces.h>

#include "dp-wire-private.h"

#include "fuzz-common.h"
#include "fuzz-connection.h"

/* Whether the decoder must deliver the message: checked independently,
 * with GLib's own functions. %-1 when it depends on the handle entries. */
static int
expect_delivery (const char   *type,
                 gsize         type_length,
                 const guint8 *value,
                 gsize         value_size,
                 guint         n_entries)
{
  g_autoptr(GVariant) message = fuzz_message_new (type, type_length, value, value_size);

  if (message == NULL)
    return 0;
  if (n_entries == 0)
    return !dp_message_has_handles (message);
  return -1;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *type = NULL;
  g_autoptr(GByteArray) frame = NULL;
  const guint8 *nul, *value, *entries;
  DpFrameHeader header = { 0 };
  guint8 header_bytes[DP_FRAME_HEADER_SIZE];
  static const guint8 padding[8] = { 0 };
  gsize type_length, value_size, entries_size;
  guint n_entries, n_vectors = 0;
  int expected;
  guint delivered;

  fuzz_init ();
  if (size < 2)
    return -1;

  n_entries = data[0];
  nul = memchr (data + 1, '\0', size - 1);
  if (nul == NULL)
    return -1;
  type_length = nul - (data + 1);
  entries_size = (gsize) n_entries * sizeof (DpHandleEntry);
  if (type_length == 0 || type_length > G_MAXUINT16 ||
      size - type_length - 2 < entries_size)
    return -1;
  type = g_strndup ((const char *) data + 1, type_length);
  value = nul + 1;
  value_size = size - type_length - 2 - entries_size;
  entries = value + value_size;

  for (guint i = 0; i < n_entries; i++)
    {
      DpHandleEntry entry;

      memcpy (&entry, entries + i * sizeof entry, sizeof entry);
      n_vectors += GUINT32_FROM_LE (entry.kind) == DP_HANDLE_ENTRY_VECTOR;
    }
  if (n_vectors > FUZZ_MAX_FDS)
    return -1;

  header.length = dp_align8 (type_length) + value_size + entries_size;
  header.kind = DP_FRAME_DATA;
  header.flags = n_vectors > 0 ? DP_FRAME_FLAG_FDS : 0;
  header.type_length = type_length;
  header.channel = FUZZ_CHANNEL_FIRST;
  header.aux = n_entries;
  dp_frame_header_encode (&header, header_bytes);

  frame = g_byte_array_sized_new (DP_FRAME_HEADER_SIZE + header.length);
  g_byte_array_append (frame, header_bytes, sizeof header_bytes);
  g_byte_array_append (frame, (const guint8 *) type, type_length);
  g_byte_array_append (frame, padding, dp_align8 (type_length) - type_length);
  g_byte_array_append (frame, value, value_size);
  g_byte_array_append (frame, entries, entries_size);

  expected = expect_delivery (type, type_length, value, value_size, n_entries);
  delivered = fuzz_connection_run (frame->data, frame->len, FALSE, n_vectors);
  if (expected >= 0 && delivered != (guint) expected)
    fuzz_fail ("a message of type “%s” (%" G_GSIZE_FORMAT " bytes, %u handle entries) "
               "was %s", type, value_size, n_entries,
               delivered ? "delivered, but is not valid" : "refused, but is valid");
  if (expected < 0 && delivered > 1)
    fuzz_fail ("one message was delivered %u times", delivered);

  return 0;
}
