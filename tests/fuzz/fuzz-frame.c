/* fuzz-frame.c: the frame decoder, from a hostile peer's bytes
 *
 * Input: one byte of options, then the byte stream a peer writes.
 *   bit 0: the connection is the side that opened it (else the side that
 *          accepted, as a node serving other nodes)
 *   bits 1-3: how many shared-memory files come with the first byte (at
 *          most FUZZ_MAX_FDS), for frames that carry shared vectors
 * The stream goes through a real DpSocketConnection (fuzz-connection.h):
 * header checks, big and small frames, DATA / CLOSE / TAKE, control
 * frames, handle entries.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fuzz-common.h"
#include "fuzz-connection.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  guint n_fds;

  fuzz_init ();
  if (size < 1)
    return 0;

  n_fds = (data[0] >> 1) & 7;
  if (n_fds > FUZZ_MAX_FDS)
    return -1;

  fuzz_connection_run (data + 1, size - 1, data[0] & 1, n_fds);
  return 0;
}
