/* dp-http-status.h: a running system's status, as the control plane
 * shows it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

void        dp_http_status_query_async    (DpSystem            *system,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
JsonNode   *dp_http_status_query_finish   (GAsyncResult        *result,
                                           GError             **error);

gint64      dp_http_json_int_member       (JsonObject          *object,
                                           const char          *member);
JsonObject *dp_http_object_from_vardict   (GVariant            *dict);
JsonNode   *dp_http_events_to_json        (DpSystem            *system,
                                           GVariant            *events);
void        dp_http_name_event            (DpSystem            *system,
                                           JsonObject          *event);

char       *dp_http_metrics_from_status   (JsonObject          *status);

G_END_DECLS
