/* named-calls.c: the calls of the named example's master.rkt
 *
 *   (after-seconds 4
 *     (displayln (bank-new-account bank-place 'user0))
 *     (displayln (bank-add bank-place 'user0 10))
 *     (displayln (bank-removeM bank-place 'user0 5)))
 *
 *   (after-seconds 2
 *     (define c (connect-to-named-place remote-node 'tuple-server))
 *     (define d (connect-to-named-place remote-node 'tuple-server))
 *     (tuple-server-hello c)
 *     (tuple-server-hello d)
 *     (displayln (tuple-server-set c "user0" 100))
 *     (displayln (tuple-server-set d "user2" 200))
 *     (displayln (tuple-server-get c "user0"))
 *     (displayln (tuple-server-get d "user2"))
 *     (displayln (tuple-server-get d "user0"))
 *     (displayln (tuple-server-get c "user2")))
 *
 * Results are printed as displayln does, one per line: 100 200 100 200
 * 100 200, then ('created', 'user0') ('ok', 10) ('ok', 5).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "named-calls.h"

/* displayln of a result; consumes it. */
static gboolean
show (GVariant *result)
{
  if (result == NULL)
    return FALSE;
  dp_displayln_f (result);
  g_variant_unref (result);
  return TRUE;
}

gboolean
named_example_tuple_calls (DpChannel  *c,
                           DpChannel  *d,
                           GError    **error)
{
  return tuple_server_hello (c, error) &&
         tuple_server_hello (d, error) &&
         show (tuple_server_set (c, "user0", g_variant_new_int64 (100), error)) &&
         show (tuple_server_set (d, "user2", g_variant_new_int64 (200), error)) &&
         show (tuple_server_get (c, "user0", error)) &&
         show (tuple_server_get (d, "user2", error)) &&
         show (tuple_server_get (d, "user0", error)) &&
         show (tuple_server_get (c, "user2", error));
}

gboolean
named_example_bank_calls (DpChannel  *bank_place,
                          GError    **error)
{
  return show (bank_new_account (bank_place, "user0", error)) &&
         show (bank_add (bank_place, "user0", 10, error)) &&
         show (bank_removeM (bank_place, "user0", 5, error));
}
