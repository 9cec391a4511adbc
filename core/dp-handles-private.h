/* dp-handles-private.h: the process-wide table behind handles in messages
 *
 * A channel or shared vector put inside a message travels as a GVariant
 * handle ("h"): an index into this table. The table keeps the object alive
 * while a message may still name it; the object's owner forgets it when it
 * closes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

gint32    dp_handles_export (GObject *object);
gpointer  dp_handles_lookup (gint32   handle,
                             GType    type);
void      dp_handles_forget (GObject *object);
guint     dp_handles_count  (void);

G_END_DECLS
