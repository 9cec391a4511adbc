/* fuzz-common.h: what the harnesses share
 *
 * Each harness defines LLVMFuzzerTestOneInput(). Built with -Dfuzzing=true
 * and clang, libFuzzer drives it; otherwise standalone-main.c feeds it the
 * files of its committed corpus, as a meson test.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

G_BEGIN_DECLS

int   LLVMFuzzerTestOneInput (const uint8_t *data,
                              size_t         size);

/* Once per process: criticals abort (a g_return_if_fail() reached from
 * untrusted bytes is a bug), and the warnings that every rejected input
 * logs ("Closing connection: …") stay quiet unless FUZZ_VERBOSE is set. */
void  fuzz_init              (void);

/* Whether FUZZ_VERBOSE is set: the harnesses then say what they got. */
gboolean fuzz_verbose        (void);

/* The message @type and @value make when GLib itself calls it one a peer
 * may send: a definite type of fewer than 256 bytes, and a value in normal
 * form (what a connection delivers; handles aside). %NULL otherwise. */
GVariant *fuzz_message_new   (const char   *type,
                              gsize         type_length,
                              const guint8 *value,
                              gsize         value_size);

/* Dies loudly, for a check the harness makes on the library's behalf: a
 * leaked handle, a connection never finalized, a message not in normal
 * form. libFuzzer saves the input. */
G_NORETURN void fuzz_fail    (const char *format,
                              ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
