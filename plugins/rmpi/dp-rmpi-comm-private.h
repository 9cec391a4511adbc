/* dp-rmpi-comm-private.h: the communicator's insides, for the collectives
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dp-rmpi.h"

G_BEGIN_DECLS

/* What the launcher and the ranks say to each other on a rank place's own
 * channel (tagged tuples; see dp-rmpi-job.c). */
#define DP_RMPI_ID_TAG "rmpi-id"            /* (sua(sqsuu)): id, the ranks' addresses */
#define DP_RMPI_ID_TYPE "(sua(sqsuu))"
#define DP_RMPI_ARGS_TAG "args"             /* (sv): the job's arguments */
#define DP_RMPI_ARGS_TYPE "(sv)"
#define DP_RMPI_READY_TAG "rmpi-ready"      /* (su): a rank is running, and named */
#define DP_RMPI_READY_TYPE "(su)"
#define DP_RMPI_GO_TAG "rmpi-go"            /* (s): every rank is: connect */
#define DP_RMPI_DONE_QUERY_TAG "done?"      /* (s): to rank 0, answered at rmpi-finish */
#define DP_RMPI_DONE_TAG "done"             /* (sv): rank 0's answer, with its result */
#define DP_RMPI_DONE_TYPE "(sv)"
#define DP_RMPI_CONNECT_TAG "channel-connect"

typedef struct _DpRmpiWorld DpRmpiWorld;

struct _DpRmpiComm
{
  GObject parent_instance;

  DpRmpiWorld *world;
  char *context;          /* "0" for the world; "0.2" for its third split … */
  guint n_children;       /* splits made from it so far */
  guint id;
  guint cnt;
  guint *world_ranks;     /* comm rank → world rank */
  /* Per peer: the channels this rank receives on (it opened them) and
   * sends on (the peer opened them). [id] of p2p is a pair to itself. */
  DpChannel **p2p_in;
  DpChannel **p2p_out;
  DpChannel **coll_in;
  DpChannel **coll_out;
  GError *failure;        /* set once a collective failed: the channels are closed */
  gboolean one_host;      /* all its ranks' nodes have the same host */
};

gboolean  dp_rmpi_comm_begin (DpRmpiComm  *comm,
                              const char  *what,
                              GError     **error);
gboolean  dp_rmpi_comm_check_rank (DpRmpiComm  *comm,
                                   const char  *what,
                                   guint        rank,
                                   GError     **error);
gboolean  dp_rmpi_comm_fail  (DpRmpiComm  *comm,
                              const char  *what,
                              GError      *cause,
                              GError     **error);
gboolean  dp_rmpi_coll_put   (DpRmpiComm  *comm,
                              const char  *what,
                              guint        peer,
                              GVariant    *value,
                              GError     **error);
GVariant *dp_rmpi_coll_get   (DpRmpiComm  *comm,
                              const char  *what,
                              guint        peer,
                              GError     **error);

G_END_DECLS
