/* test-examples-places.c: places for the examples' tests
 *
 * fork_join_dies_at_barrier: in a fork-join, the last place ends with
 * status 3 while the others wait for it at a CGBarrier — fork_join() must
 * report the death and kill the waiting places rather than hang.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fork-join.h"

G_MODULE_EXPORT void fork_join_dies_at_barrier (DpChannel *ch);

G_MODULE_EXPORT void
fork_join_dies_at_barrier (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CommGroup) cg = cg_receive (ch, NULL, &error);

  if (cg == NULL || cg_get_id (cg) == cg_get_np (cg) - 1)
    {
      /* dp_place_exit() does not return: free first. */
      g_clear_pointer (&cg, cg_free);
      g_clear_error (&error);
      dp_place_exit (3);
    }

  /* Never released, since the last place never comes: the get in the
   * barrier fails once fork_join() kills this place. */
  if (cg_barrier (cg, &error))
    cg_return (cg, g_variant_new_boolean (TRUE), NULL);
}
