/* parallel-build.c: the dissertation's parallel build (Fig. 3.1)
 *
 *   (define (main)
 *     (define ps ; list of place descriptors
 *       (for/list ([i (processor-count)])
 *         (place ch
 *           (let worker ()
 *             (place-channel-put ch 'get-job)
 *             (match (place-channel-get ch)
 *               ['done (void)]
 *               [job
 *                (compile job)
 *                (define msg (list 'job-finished job))
 *                (place-channel-put ch msg)
 *                (worker)])))))
 *     (define job-queue (build-job-queue))
 *     (define (make-message-handler p ps)
 *       (define (message-handler m)
 *         (match m
 *           ['get-job
 *            (match (get-job job-queue)
 *              [#false
 *               (place-channel-put p 'done)
 *               (message-loop (remove p ps))]
 *              [job
 *               (place-channel-put p job)
 *               (message-loop ps)])]
 *           [(list 'job-finished job)
 *            (job-finished job-queue job)
 *            (message-loop ps)]))
 *       (handle-evt p message-handler))
 *     (define (message-loop ps)
 *       (define (make-event p)
 *         (make-message-handler p ps))
 *       (unless (null? ps)
 *         (apply sync (map make-event ps))))
 *     (message-loop ps))
 *
 * A controller and one worker place per processor. A worker asks for a
 * job with ('get-job',), gets ('job', name, source) or ('done',), compiles
 * the job and reports ('job-finished', name, value, checksum). The
 * controller answers whichever worker asks first — dp_channel_sync_handle()
 * over the active workers is the seeds' sync over handle-evts — and drops
 * a worker from the active set once it has told it 'done'.
 *
 * The jobs are source files of a tiny expression language, generated
 * from their number; "compiling" one turns it into stack-machine code and
 * runs that, so every job has a value and an object checksum to check.
 *
 * As a keyfile place (data/examples/parallel-build.ini),
 * parallel_build_main takes {'jobs': <N>, 'workers': <NP>,
 * 'backend': <'threads'|'processes'>} and replies with a summary.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "example-options.h"
#include "parallel-build.h"

/* The compiler. */

enum {
  OP_PUSH = 1,      /* 8 bytes, little-endian */
  OP_LOAD,          /* 1 byte: the variable's slot */
  OP_STORE,         /* 1 byte */
  OP_ADD,
  OP_SUB,
  OP_MUL,
  OP_NEG,
  OP_RET,
};

#define MAX_VARIABLES 256
#define MAX_DEPTH 200

typedef enum {
  TOKEN_END,
  TOKEN_NUMBER,
  TOKEN_NAME,
  TOKEN_PUNCT,
} TokenKind;

typedef struct {
  const char *source;
  const char *p;           /* the next token */
  guint line;
  TokenKind kind;
  guint64 number;
  char name[32];
  char punct;
  GByteArray *code;
  GPtrArray *variables;    /* char*: slot i's name */
  guint depth;
  GError **error;
} Compiler;

G_GNUC_PRINTF (2, 3)
static gboolean
compile_fail (Compiler   *c,
              const char *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (*c->error != NULL)
    return FALSE;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (c->error, DP_ERROR, DP_ERROR_FAILED, "line %u: %s", c->line, message);
  return FALSE;
}

/* Reads the next token into c. */
static gboolean
next_token (Compiler *c)
{
  while (g_ascii_isspace (*c->p))
    if (*c->p++ == '\n')
      c->line++;

  if (*c->p == '\0')
    {
      c->kind = TOKEN_END;
      return TRUE;
    }

  if (g_ascii_isdigit (*c->p))
    {
      c->kind = TOKEN_NUMBER;
      c->number = 0;
      while (g_ascii_isdigit (*c->p))
        {
          if (c->number > (G_MAXINT64 - 9) / 10)
            return compile_fail (c, "number too big");
          c->number = c->number * 10 + (guint64) (*c->p++ - '0');
        }
      return TRUE;
    }

  if (g_ascii_isalpha (*c->p) || *c->p == '_')
    {
      gsize length = 0;

      c->kind = TOKEN_NAME;
      while (g_ascii_isalnum (*c->p) || *c->p == '_')
        {
          if (length + 1 >= sizeof c->name)
            return compile_fail (c, "name too long");
          c->name[length++] = *c->p++;
        }
      c->name[length] = '\0';
      return TRUE;
    }

  if (strchr ("+-*()=;", *c->p) != NULL)
    {
      c->kind = TOKEN_PUNCT;
      c->punct = *c->p++;
      return TRUE;
    }

  return compile_fail (c, "unexpected character “%c”", *c->p);
}

static gboolean
at_punct (Compiler *c,
          char      punct)
{
  return c->kind == TOKEN_PUNCT && c->punct == punct;
}

static gboolean
expect_punct (Compiler *c,
              char      punct)
{
  if (!at_punct (c, punct))
    return compile_fail (c, "expected “%c”", punct);
  return next_token (c);
}

static void
emit (Compiler *c,
      guint8    op)
{
  g_byte_array_append (c->code, &op, 1);
}

static void
emit_push (Compiler *c,
           guint64   value)
{
  guint64 le = GUINT64_TO_LE (value);

  emit (c, OP_PUSH);
  g_byte_array_append (c->code, (const guint8 *) &le, sizeof le);
}

static void
emit_slot (Compiler *c,
           guint8    op,
           guint     slot)
{
  guint8 byte = (guint8) slot;

  emit (c, op);
  g_byte_array_append (c->code, &byte, 1);
}

static gint
find_variable (Compiler   *c,
               const char *name)
{
  for (guint i = 0; i < c->variables->len; i++)
    if (g_str_equal (g_ptr_array_index (c->variables, i), name))
      return (gint) i;
  return -1;
}

static gboolean compile_expression (Compiler *c);

/* factor := NUMBER | NAME | '-' factor | '(' expression ')' */
static gboolean
compile_factor (Compiler *c)
{
  gboolean ok;

  if (++c->depth > MAX_DEPTH)
    return compile_fail (c, "expression nested too deeply");

  if (c->kind == TOKEN_NUMBER)
    {
      emit_push (c, c->number);
      ok = next_token (c);
    }
  else if (c->kind == TOKEN_NAME)
    {
      gint slot = find_variable (c, c->name);

      if (slot < 0)
        return compile_fail (c, "“%s” is not defined", c->name);
      emit_slot (c, OP_LOAD, (guint) slot);
      ok = next_token (c);
    }
  else if (at_punct (c, '-'))
    {
      ok = next_token (c) && compile_factor (c);
      emit (c, OP_NEG);
    }
  else if (at_punct (c, '('))
    ok = next_token (c) && compile_expression (c) && expect_punct (c, ')');
  else
    ok = compile_fail (c, "expected a number, a name, “-” or “(”");

  c->depth--;
  return ok;
}

/* term := factor ('*' factor)* */
static gboolean
compile_term (Compiler *c)
{
  if (!compile_factor (c))
    return FALSE;
  while (at_punct (c, '*'))
    {
      if (!next_token (c) || !compile_factor (c))
        return FALSE;
      emit (c, OP_MUL);
    }
  return TRUE;
}

/* expression := term (('+' | '-') term)* */
static gboolean
compile_expression (Compiler *c)
{
  if (!compile_term (c))
    return FALSE;
  while (at_punct (c, '+') || at_punct (c, '-'))
    {
      guint8 op = at_punct (c, '+') ? OP_ADD : OP_SUB;

      if (!next_token (c) || !compile_term (c))
        return FALSE;
      emit (c, op);
    }
  return TRUE;
}

/**
 * calc_compile:
 * @source: a program: `NAME = expression;` lines, then an expression
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the compiled code, or %NULL with @error set
 *   naming the line
 */
GBytes *
calc_compile (const char  *source,
              GError     **error)
{
  g_autoptr(GByteArray) code = g_byte_array_new ();
  g_autoptr(GPtrArray) variables = g_ptr_array_new_with_free_func (g_free);
  Compiler c = { source, source, 1 };

  c.code = code;
  c.variables = variables;
  c.error = error;

  if (!next_token (&c))
    return NULL;

  for (;;)
    {
      /* NAME '=' starts an assignment; anything else is the result. */
      if (c.kind == TOKEN_NAME)
        {
          const char *after_name = c.p;
          char name[sizeof c.name];
          gint slot;

          while (g_ascii_isspace (*after_name))
            after_name++;
          if (*after_name == '=')
            {
              g_strlcpy (name, c.name, sizeof name);
              if (!next_token (&c) || !expect_punct (&c, '=') ||
                  !compile_expression (&c) || !expect_punct (&c, ';'))
                return NULL;
              slot = find_variable (&c, name);
              if (slot < 0)
                {
                  if (variables->len == MAX_VARIABLES)
                    {
                      compile_fail (&c, "more than %u variables", MAX_VARIABLES);
                      return NULL;
                    }
                  slot = (gint) variables->len;
                  g_ptr_array_add (variables, g_strdup (name));
                }
              emit_slot (&c, OP_STORE, (guint) slot);
              continue;
            }
        }
      break;
    }

  if (!compile_expression (&c))
    return NULL;
  if (c.kind != TOKEN_END)
    {
      compile_fail (&c, "expected the end of the program");
      return NULL;
    }
  emit (&c, OP_RET);

  return g_byte_array_free_to_bytes (g_steal_pointer (&code));
}

/**
 * calc_run:
 * @object: code from calc_compile()
 * @out_value: (out): what it computes
 * @error: return location for a #GError
 *
 * Returns: %TRUE unless @object is not valid code
 */
gboolean
calc_run (GBytes    *object,
          gint64    *out_value,
          GError   **error)
{
  gsize size;
  const guint8 *code = g_bytes_get_data (object, &size);
  guint64 slots[MAX_VARIABLES] = { 0 };
  g_autoptr(GArray) stack = g_array_new (FALSE, FALSE, sizeof (guint64));
  gsize pc = 0;

#define POP() (stack->len > 0 ? g_array_index (stack, guint64, --stack->len) : (bad = TRUE, 0))
  while (pc < size)
    {
      gboolean bad = FALSE;
      guint8 op = code[pc++];
      guint64 a, b, value;

      switch (op)
        {
        case OP_PUSH:
          if (pc + 8 > size)
            goto invalid;
          memcpy (&value, code + pc, 8);
          value = GUINT64_FROM_LE (value);
          pc += 8;
          g_array_append_val (stack, value);
          break;
        case OP_LOAD:
        case OP_STORE:
          if (pc + 1 > size)
            goto invalid;
          if (op == OP_LOAD)
            g_array_append_val (stack, slots[code[pc]]);
          else
            slots[code[pc]] = POP ();
          pc++;
          break;
        case OP_ADD:
        case OP_SUB:
        case OP_MUL:
          b = POP ();
          a = POP ();
          value = op == OP_ADD ? a + b : op == OP_SUB ? a - b : a * b;
          g_array_append_val (stack, value);
          break;
        case OP_NEG:
          value = -POP ();
          g_array_append_val (stack, value);
          break;
        case OP_RET:
          value = POP ();
          if (bad || stack->len != 0)
            goto invalid;
          *out_value = (gint64) value;
          return TRUE;
        default:
          goto invalid;
        }
      if (bad)
        goto invalid;
    }
#undef POP

invalid:
  g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "Invalid code at byte %" G_GSIZE_FORMAT, pc);
  return FALSE;
}

/* The jobs: build-job-queue. */

static void
generate_expression (GString *source,
                     GRand   *rand,
                     guint    depth,
                     guint    n_variables)
{
  static const char operators[] = "+-*";

  if (depth == 0 || g_rand_int_range (rand, 0, 4) == 0)
    {
      if (n_variables > 0 && g_rand_boolean (rand))
        g_string_append_printf (source, "v%d", g_rand_int_range (rand, 0, n_variables));
      else
        g_string_append_printf (source, "%d", g_rand_int_range (rand, 0, 1000));
      return;
    }

  g_string_append_c (source, '(');
  generate_expression (source, rand, depth - 1, n_variables);
  g_string_append_printf (source, " %c ", operators[g_rand_int_range (rand, 0, 3)]);
  generate_expression (source, rand, depth - 1, n_variables);
  g_string_append_c (source, ')');
}

static void
build_job_free (gpointer data)
{
  BuildJob *job = data;

  g_free (job->name);
  g_free (job->source);
  g_free (job->object_checksum);
  g_free (job->error);
  g_free (job);
}

/**
 * parallel_build_make_jobs:
 * @n_jobs: how many
 *
 * The job queue: @n_jobs source files, each generated from its number
 * (the same ones every time).
 *
 * Returns: (transfer full) (element-type BuildJob): the jobs
 */
GPtrArray *
parallel_build_make_jobs (guint n_jobs)
{
  GPtrArray *jobs = g_ptr_array_new_with_free_func (build_job_free);

  for (guint k = 0; k < n_jobs; k++)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (0x9e3779b9u ^ k);
      GString *source = g_string_new (NULL);
      guint n_statements = (guint) g_rand_int_range (rand, 2, 9);
      BuildJob *job = g_new0 (BuildJob, 1);

      for (guint s = 0; s < n_statements; s++)
        {
          g_string_append_printf (source, "v%u = ", s);
          generate_expression (source, rand, 5, s);
          g_string_append (source, ";\n");
        }
      generate_expression (source, rand, 4, n_statements);
      g_string_append_c (source, '\n');

      job->name = g_strdup_printf ("job-%03u.calc", k);
      job->source = g_string_free (source, FALSE);
      g_ptr_array_add (jobs, job);
    }

  return jobs;
}

/* The worker: (let worker () ...) */

static char *
checksum_hex (GBytes *bytes)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
}

G_MODULE_EXPORT void
parallel_build_worker (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;

  for (;;)
    {
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GBytes) object = NULL;
      g_autoptr(GError) compile_error = NULL;
      g_autofree char *checksum = NULL;
      const char *tag, *name, *source;
      gint64 value = 0;

      /* (place-channel-put ch 'get-job) (match (place-channel-get ch) ...) */
      reply = dp_channel_put_get (ch, dp_message_new_tagged ("get-job", NULL), &error);
      if (reply == NULL)
        break;
      tag = dp_message_get_tag (reply);
      if (g_strcmp0 (tag, "done") == 0)
        return;
      if (g_strcmp0 (tag, "job") != 0 || !g_variant_is_of_type (reply, G_VARIANT_TYPE ("(sss)")))
        {
          g_set_error_literal (&error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                               "Expected ('job', name, source) or ('done',)");
          break;
        }
      g_variant_get (reply, "(&s&s&s)", NULL, &name, &source);

      /* (compile job) */
      object = calc_compile (source, &compile_error);
      if (object != NULL)
        calc_run (object, &value, &compile_error);

      if (compile_error != NULL)
        {
          if (!dp_channel_put (ch, g_variant_new ("(sss)", "job-failed", name,
                                                  compile_error->message), &error))
            break;
          continue;
        }

      checksum = checksum_hex (object);
      if (!dp_channel_put (ch, g_variant_new ("(ssxs)", "job-finished", name, value, checksum),
                           &error))
        break;
    }

  g_printerr ("parallel-build worker: %s\n", error->message);
  dp_place_exit (1);
}

/* The controller. */

typedef struct _BuildController BuildController;

typedef struct {
  BuildController *controller;
  guint worker;
  DpPlace *place;
  gboolean active;
} Worker;

struct _BuildController
{
  GPtrArray *jobs;
  GHashTable *jobs_by_name;     /* name → BuildJob* */
  guint next_job;
  Worker *workers;
  guint n_workers;
  guint n_active;
  GError *error;                /* the first failure that stops the build */
  GError *job_error;            /* the first job that did not compile */
};

static void
controller_fail (BuildController *controller,
                 GError          *error)
{
  if (controller->error == NULL)
    controller->error = error;
  else
    g_error_free (error);
}

/* (get-job job-queue) */
static BuildJob *
get_job (BuildController *controller)
{
  if (controller->next_job == controller->jobs->len)
    return NULL;
  return g_ptr_array_index (controller->jobs, controller->next_job++);
}

/* (job-finished job-queue job), or its failure. */
static void
job_finished (BuildController *controller,
              Worker          *worker,
              GVariant        *message)
{
  const char *name, *checksum, *why;
  gint64 value = 0;
  BuildJob *job;
  gboolean finished = g_variant_is_of_type (message, G_VARIANT_TYPE ("(ssxs)"));

  if (finished)
    g_variant_get (message, "(&s&sx&s)", NULL, &name, &value, &checksum);
  else if (g_variant_is_of_type (message, G_VARIANT_TYPE ("(sss)")))
    g_variant_get (message, "(&s&s&s)", NULL, &name, &why);
  else
    {
      controller_fail (controller, g_error_new (DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                                                "Worker %u sent a malformed report",
                                                worker->worker));
      return;
    }

  job = g_hash_table_lookup (controller->jobs_by_name, name);
  if (job == NULL)
    {
      controller_fail (controller, g_error_new (DP_ERROR, DP_ERROR_FAILED,
                                                "Worker %u finished “%s”, which is no job",
                                                worker->worker, name));
      return;
    }

  job->times_built++;
  job->worker = worker->worker;
  if (finished)
    {
      job->value = value;
      g_free (job->object_checksum);
      job->object_checksum = g_strdup (checksum);
    }
  else
    {
      g_free (job->error);
      job->error = g_strdup (why);
      if (controller->job_error == NULL)
        controller->job_error = g_error_new (DP_ERROR, DP_ERROR_FAILED, "%s: %s", name, why);
    }
}

/* (make-message-handler p ps): handle-evt's handler. */
static void
message_handler (DpChannel    *channel,
                 GVariant     *message,
                 const GError *error,
                 gpointer      user_data)
{
  Worker *worker = user_data;
  BuildController *controller = worker->controller;
  const char *tag;

  if (message == NULL)
    {
      controller_fail (controller, g_error_new (error->domain, error->code, "Worker %u: %s",
                                                worker->worker, error->message));
      return;
    }

  tag = dp_message_get_tag (message);
  if (g_strcmp0 (tag, "get-job") == 0)
    {
      g_autoptr(GError) put_error = NULL;
      BuildJob *job = get_job (controller);
      GVariant *answer;

      if (job == NULL)
        {
          /* (place-channel-put p 'done) (message-loop (remove p ps)) */
          answer = dp_message_new_tagged ("done", NULL);
          worker->active = FALSE;
          controller->n_active--;
        }
      else
        answer = g_variant_new ("(sss)", "job", job->name, job->source);

      if (!dp_channel_put (channel, answer, &put_error))
        controller_fail (controller, g_error_new (put_error->domain, put_error->code,
                                                  "Worker %u: %s", worker->worker,
                                                  put_error->message));
    }
  else if (g_strcmp0 (tag, "job-finished") == 0 || g_strcmp0 (tag, "job-failed") == 0)
    job_finished (controller, worker, message);
  else
    {
      g_autofree char *shown = g_variant_print (message, TRUE);

      controller_fail (controller, g_error_new (DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                                                "Worker %u sent %s", worker->worker, shown));
    }
}

/**
 * parallel_build_run:
 * @jobs: (element-type BuildJob): the jobs, from parallel_build_make_jobs()
 * @n_workers: how many worker places; 0 for one per processor
 * @backend: (nullable): the place backend
 * @error: return location for a #GError
 *
 * Builds every job in @n_workers places and records in each job its
 * value, object checksum, how often it was built and by which worker.
 *
 * Returns: %TRUE if every job was built exactly once, without error
 */
gboolean
parallel_build_run (GPtrArray   *jobs,
                    guint        n_workers,
                    const char  *backend,
                    GError     **error)
{
  g_autoptr(GHashTable) jobs_by_name = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree Worker *workers = NULL;
  g_autofree DpSyncCase *cases = NULL;
  BuildController controller = { 0 };
  guint n_created = 0;
  gboolean ok = TRUE;

  if (n_workers == 0)
    n_workers = dp_processor_count ();

  for (guint k = 0; k < jobs->len; k++)
    {
      BuildJob *job = g_ptr_array_index (jobs, k);

      job->times_built = 0;
      g_hash_table_insert (jobs_by_name, job->name, job);
    }

  controller.jobs = jobs;
  controller.jobs_by_name = jobs_by_name;
  controller.workers = workers = g_new0 (Worker, n_workers);
  controller.n_workers = n_workers;
  cases = g_new (DpSyncCase, n_workers);

  /* (for/list ([i (processor-count)]) (place ch (let worker () ...))) */
  for (guint i = 0; i < n_workers; i++)
    {
      g_autofree char *name = g_strdup_printf ("parallel-build-worker[%u]", i);
      DpPlace *place = g_object_new (DP_TYPE_PLACE,
                                     "module", PARALLEL_BUILD_MODULE,
                                     "function", "parallel_build_worker",
                                     "backend", backend != NULL ? backend : "threads",
                                     "name", name,
                                     NULL);

      workers[i] = (Worker) { &controller, i, place, TRUE };
      n_created++;
      controller.n_active++;
      if (!dp_place_start (place, &controller.error))
        break;
    }

  /* (message-loop ps) */
  while (controller.error == NULL && controller.n_active > 0)
    {
      guint n_cases = 0;

      for (guint i = 0; i < n_workers; i++)
        if (workers[i].active)
          cases[n_cases++] = (DpSyncCase) { DP_CHANNEL (workers[i].place), message_handler,
                                            &workers[i] };
      dp_channel_sync_handle (cases, n_cases, -1, &controller.error);
    }

  for (guint i = 0; i < n_created; i++)
    {
      if (controller.error != NULL)
        dp_place_kill (workers[i].place);
      dp_place_wait (workers[i].place);
      g_object_unref (workers[i].place);
    }

  if (controller.error != NULL)
    {
      g_propagate_error (error, controller.error);
      g_clear_error (&controller.job_error);
      return FALSE;
    }
  if (controller.job_error != NULL)
    {
      g_propagate_error (error, controller.job_error);
      return FALSE;
    }

  for (guint k = 0; k < jobs->len && ok; k++)
    {
      BuildJob *job = g_ptr_array_index (jobs, k);

      if (job->times_built != 1)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "%s was built %u times",
                       job->name, job->times_built);
          ok = FALSE;
        }
    }

  return ok;
}

/**
 * parallel_build_digest:
 * @jobs: (element-type BuildJob): built jobs
 *
 * Returns: (transfer full): the SHA-256 of every job's name, value and
 *   object checksum, one line each in job order: the same for every
 *   correct build of the same jobs, however many workers built it
 */
char *
parallel_build_digest (GPtrArray *jobs)
{
  g_autoptr(GChecksum) digest = g_checksum_new (G_CHECKSUM_SHA256);

  for (guint k = 0; k < jobs->len; k++)
    {
      BuildJob *job = g_ptr_array_index (jobs, k);
      g_autofree char *line = g_strdup_printf ("%s %" G_GINT64_FORMAT " %s\n", job->name,
                                               job->value, job->object_checksum);

      g_checksum_update (digest, (const guchar *) line, -1);
    }

  return g_strdup (g_checksum_get_string (digest));
}

static const char * const parallel_build_options[] = { "backend", "workers", "jobs", NULL };

/* The keyfile place: options in, one line out. */
G_MODULE_EXPORT void
parallel_build_main (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  g_autofree char *backend = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *reply = NULL;
  guint n_workers, n_jobs;

  options = dp_channel_get (ch, &error);
  if (options == NULL)
    goto fail;
  if (!example_options_check (options, parallel_build_options, &error) ||
      !example_options_string (options, "backend", "threads", &backend, &error) ||
      !example_options_uint (options, "workers", 0, &n_workers, &error) ||
      !example_options_uint (options, "jobs", 40, &n_jobs, &error))
    goto fail;
  if (n_workers == 0)
    n_workers = dp_processor_count ();

  jobs = parallel_build_make_jobs (n_jobs);
  if (!parallel_build_run (jobs, n_workers, backend, &error))
    goto fail;

  digest = parallel_build_digest (jobs);
  reply = g_strdup_printf ("parallel-build: built %u jobs, each exactly once, with %u %s "
                           "workers; results sha256 %s", n_jobs, n_workers, backend, digest);
  if (!dp_channel_put (ch, g_variant_new_string (reply), &error))
    goto fail;
  return;

fail:
  g_free (reply);
  reply = g_strdup_printf ("parallel-build: error: %s", error->message);
  g_printerr ("%s\n", reply);
  dp_channel_put (ch, g_variant_new_take_string (g_steal_pointer (&reply)), NULL);
  dp_place_exit (1);
}
