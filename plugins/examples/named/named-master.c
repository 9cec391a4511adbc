/* named-master.c: the driver place of data/examples/named.ini — master.rkt's
 * calls, made from a place on the root node
 *
 * The keyfile declares the node and the two servers as [place] groups;
 * its [rpc] group hands this place a directory of them: a connection to
 * the private bank (master.rkt's bank-place) and the address of the named
 * tuple server, to which it opens two connections (c and d). When it
 * ends, the system does (exit-with-clients=true): with status 0, or 1 if
 * something failed here.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "named-calls.h"

G_MODULE_EXPORT void named_master_main (DpChannel *ch);

#define DIRECTORY_WAIT_USEC (30 * G_USEC_PER_SEC)

G_MODULE_EXPORT void
named_master_main (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) directory = NULL;
  g_autoptr(DpChannel) bank_place = NULL;
  g_autoptr(DpChannel) c = NULL;
  g_autoptr(DpChannel) d = NULL;

  directory = dp_rpc_directory_receive (ch, DIRECTORY_WAIT_USEC, &error);
  if (directory != NULL)
    bank_place = dp_rpc_directory_get_channel (directory, BANK_NAME, &error);
  if (bank_place != NULL)
    c = dp_rpc_directory_connect (directory, TUPLE_SERVER_NAME, &error);
  if (c != NULL)
    d = dp_rpc_directory_connect (directory, TUPLE_SERVER_NAME, &error);

  if (d == NULL ||
      !named_example_tuple_calls (c, d, &error) ||
      !named_example_bank_calls (bank_place, &error))
    {
      g_printerr ("named: %s\n", error->message);
      dp_place_exit (1);
    }
}
