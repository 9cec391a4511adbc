/* named-calls.h: the calls of the named example's master.rkt, shared by
 * the C program and the keyfile's driver place
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "bank-rpc.h"
#include "tuple-server-rpc.h"

G_BEGIN_DECLS

gboolean named_example_tuple_calls (DpChannel  *c,
                                    DpChannel  *d,
                                    GError    **error);
gboolean named_example_bank_calls  (DpChannel  *bank_place,
                                    GError    **error);

G_END_DECLS
