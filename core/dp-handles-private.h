/* dp-handles-private.h: the process-wide table behind handles in messages
 *
 * A channel or shared vector put inside a message travels as a GVariant
 * handle ("h"): an index into this table. Two lifetimes:
 *
 *  - pinned (channels): the table holds the object until it is forgotten,
 *    when the channel closes;
 *  - pending (shared vectors): every export holds the object once more
 *    until a receiver claims it from a message; after that, the handle
 *    still resolves as long as anyone else holds the object.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

gint32    dp_handles_export_pinned  (GObject *object);
gint32    dp_handles_export_pending (GObject *object);
gpointer  dp_handles_lookup         (gint32   handle,
                                     GType    type);
gpointer  dp_handles_claim          (gint32   handle,
                                     GType    type);
GObject  *dp_handles_peek           (gint32   handle);
void      dp_handles_forget         (GObject *object);
void      dp_handles_unpin          (GObject *object);
gboolean  dp_handles_holds          (GObject *object);
guint     dp_handles_count          (void);

G_END_DECLS
