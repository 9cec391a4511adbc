/* fork-join.h: the dissertation's fork-join.rkt library (Figs. 3.2, 3.3)
 *
 *   (fork-join NP cg ([params args] ...) body ...)
 *   (CGfor cg ([i (in-range N)]) ...)
 *   (CGBarrier cg)
 *   (CGpipeline cg prev-value init-value body ...)
 *
 * A small helper compiled into each example module and program that uses
 * it (its functions are internal to each, so two modules loaded into one
 * process never share a copy). The controller calls fork_join(); each
 * place calls cg_receive() to get its communicator group and arguments,
 * runs its body with cg_for_*(), cg_barrier() and cg_pipeline(), and
 * hands its result back with cg_return().
 *
 * Messages a place gets on its own channel are told apart by their tags,
 * through a DpTypedChannel:
 *
 *   ('fork-join', id, np, [place channels], <args>)   controller → place
 *   ('fork-join-result', <result>)                     place → controller
 *   ('cg-barrier', generation, id)                     place → place 0
 *   ('cg-barrier-release', generation)                 place 0 → places
 *   ('cg-pipeline', step, <value>)                     place i → place i+1
 *
 * The place channels sent to every place are the controller's place
 * descriptors: a put on the j-th puts to place j. Places only ever put on
 * them, so the controller keeps reading each place's result from its own
 * descriptor (with the processes backend, a sent channel moves to its
 * receiver only when the receiver first reads from it).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

/* A communicator group: this place's id, how many places there are, and
 * a channel to each of them (the seeds' `(CG id np pls)`). */
typedef struct _CommGroup CommGroup;

G_GNUC_INTERNAL
GPtrArray  *fork_join        (guint        np,
                              const char  *module,
                              const char  *function,
                              GVariant    *args,
                              const char  *backend,
                              GError     **error);

G_GNUC_INTERNAL
CommGroup  *cg_receive       (DpChannel   *channel,
                              GVariant   **out_args,
                              GError     **error);
G_GNUC_INTERNAL
gboolean    cg_return        (CommGroup   *cg,
                              GVariant    *result,
                              GError     **error);
G_GNUC_INTERNAL
void        cg_free          (CommGroup   *cg);

G_GNUC_INTERNAL
guint       cg_get_id        (CommGroup   *cg);
G_GNUC_INTERNAL
guint       cg_get_np        (CommGroup   *cg);

G_GNUC_INTERNAL
gsize       cg_for_start     (CommGroup   *cg,
                              gsize        n);
G_GNUC_INTERNAL
gsize       cg_for_end       (CommGroup   *cg,
                              gsize        n);

/* CG_FOR (cg, i, n) { ... }: (CGfor cg ([i (in-range n)]) ...) — the body
 * runs for this place's contiguous piece of [0, n). */
#define CG_FOR(cg, var, n)                                               \
  for (gsize var = cg_for_start ((cg), (n)), var##_end = cg_for_end ((cg), (n)); \
       var < var##_end; var++)

G_GNUC_INTERNAL
gboolean    cg_barrier       (CommGroup   *cg,
                              GError     **error);

/**
 * CGPipelineFunc:
 * @prev_value: (transfer none): the previous place's result, or the
 *   initial value in place 0
 * @user_data: data given to cg_pipeline()
 *
 * Returns: (transfer floating): this place's result
 */
typedef GVariant * (*CGPipelineFunc) (GVariant *prev_value,
                                      gpointer  user_data);

G_GNUC_INTERNAL
GVariant   *cg_pipeline      (CommGroup      *cg,
                              GVariant       *init_value,
                              CGPipelineFunc  body,
                              gpointer        user_data,
                              GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CommGroup, cg_free)

G_END_DECLS
