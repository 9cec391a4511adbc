/* dp-supervisor-private.h: one supervised child, its strategy and timers
 *
 * A supervisor watches one child — a place, a remote place, a node, an
 * external process — through its owner: the owner says when the child
 * runs (dp_supervisor_started()) and when it ended (dp_supervisor_exited(),
 * from any thread). The supervisor asks its restart strategy, waits the
 * delay on its main context, and calls the owner's start function there;
 * a start that fails is reported as an exit like any other. When the
 * strategy stops or gives up, the supervisor emits the strategy's
 * "gave-up" (for a give-up or an escalation) and calls the owner's done
 * function, once. Nothing is ever restarted from inside the call that
 * reported the exit: always from a source on the context, later.
 *
 * Storms: whatever a strategy says, two starts of one child are at least
 * DP_SUPERVISOR_MIN_INTERVAL_US apart (the `always` strategy backs off on
 * its own as well).
 *
 * The supervisor holds a reference on its owner while it supervises, so a
 * supervised child lives on when its creator drops it; dp_supervisor_stop()
 * ends that, quietly.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dp-restart-strategy.h"

G_BEGIN_DECLS

#define DP_SUPERVISOR_MIN_INTERVAL_US (100 * 1000)

#define DP_TYPE_SUPERVISOR (dp_supervisor_get_type ())
G_DECLARE_FINAL_TYPE (DpSupervisor, dp_supervisor, DP, SUPERVISOR, GObject)

/* On the supervisor's context: start the child again. Report the outcome
 * with dp_supervisor_started() or dp_supervisor_exited(), now or later. */
typedef void (*DpSupervisorStartFunc) (DpSupervisor *supervisor,
                                       GObject      *owner,
                                       gpointer      data);

/* On the supervisor's context, once: supervision is over. @decision is
 * STOP, GIVE_UP or ESCALATE; @info the last end of the child. */
typedef void (*DpSupervisorDoneFunc)  (DpSupervisor        *supervisor,
                                       GObject             *owner,
                                       DpRestartDecision    decision,
                                       const DpRestartInfo *info,
                                       gpointer             data);

DpSupervisor      *dp_supervisor_new          (DpRestartStrategy     *strategy,
                                               const char            *name,
                                               GMainContext          *context,
                                               GObject               *owner,
                                               DpSupervisorStartFunc  start,
                                               DpSupervisorDoneFunc   done,
                                               gpointer               data,
                                               GDestroyNotify         destroy);
void               dp_supervisor_started      (DpSupervisor          *self);
void               dp_supervisor_exited       (DpSupervisor          *self,
                                               gint                   status,
                                               const char            *reason);
void               dp_supervisor_give_up      (DpSupervisor          *self,
                                               const char            *reason);
void               dp_supervisor_stop         (DpSupervisor          *self);
gboolean           dp_supervisor_is_finished  (DpSupervisor          *self);
guint              dp_supervisor_get_restarts (DpSupervisor          *self);
gdouble            dp_supervisor_get_delay    (DpSupervisor          *self);
DpRestartStrategy *dp_supervisor_get_strategy (DpSupervisor          *self);
const char        *dp_supervisor_get_name     (DpSupervisor          *self);

G_END_DECLS
