/* dp-ndp-protocol-private.h: the messages between an NDP group's
 * coordinator and its worker places
 *
 * Every message is a tuple tagged with a string. A worker's place channel
 * carries, from the coordinator, `init` once, then `work` when it is
 * idle, replies to its requests while it works, and `stop`; from the
 * worker, `ready`, its requests while it works, and one `done` or
 * `failed` per `work`. So a worker's channel is a strict request–reply
 * conversation: a reply is always the next message a waiting worker gets.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dp-ndp.h"

G_BEGIN_DECLS

/* coordinator → worker */
#define DP_NDP_INIT         "ndp-init"          /* (id, n_workers, name) */
#define DP_NDP_INIT_TYPE    "(suus)"
#define DP_NDP_WORK         "ndp-work"          /* (procedure, data) */
#define DP_NDP_WORK_TYPE    "(ssv)"
#define DP_NDP_NODE         "ndp-node"          /* get-node's answer: a node or 0 */
#define DP_NDP_NODE_TYPE    "(su)"
#define DP_NDP_OK           "ndp-ok"            /* send-work's answer */
#define DP_NDP_STOP         "ndp-stop"

/* worker → coordinator */
#define DP_NDP_READY        "ndp-ready"         /* (id) */
#define DP_NDP_READY_TYPE   "(su)"
#define DP_NDP_GET_NODE     "ndp-get-node"
#define DP_NDP_SEND_WORK    "ndp-send-work"     /* (node, procedure, data) */
#define DP_NDP_SEND_WORK_TYPE "(susv)"
#define DP_NDP_GET_RESULT   "ndp-get-result"    /* (node); no answer until there is one */
#define DP_NDP_RETURN_NODE  "ndp-return-node"   /* (node); no answer */
#define DP_NDP_NODE_ARG_TYPE "(su)"

/* both ways: a work's outcome (a worker's answer to work, the
 * coordinator's to get-result), or an error answering a request */
#define DP_NDP_DONE         "ndp-done"          /* (value) */
#define DP_NDP_DONE_TYPE    "(sv)"
#define DP_NDP_FAILED       "ndp-failed"        /* (domain, code, message) */
#define DP_NDP_FAILED_TYPE  "(ssis)"

#define DP_NDP_SIMPLE_TYPE  "(s)"

GVariant *dp_ndp_failed_new          (const GError  *error);
GVariant *dp_ndp_outcome_take_value  (GVariant      *outcome,
                                      GError       **error);

G_END_DECLS
