#include "cli/evaluate.h"

#include <sched.h>
#include <string.h>

#include "measure/runner.h"
#include "util/progress.h"
#include "verify/sim_runner.h"

int qx_evaluate_default_threads(void)
{
	cpu_set_t set;
	int n = 1;
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		n = CPU_COUNT(&set);
	if (n < 1)
		n = 1;
	return n > QX_EVAL_MAX_THREADS ? QX_EVAL_MAX_THREADS : n;
}

/* One thread's copy of the model: an executor (fp32 or int8) or a reference simulation. */
struct model_copy {
	struct qx_runner runner;
	struct qx_sim_runner sim;
	int made, simulated;
};

static int copy_init(struct model_copy *c, const struct qx_evaluate_spec *s,
                     struct qx_error *err)
{
	memset(c, 0, sizeof *c);
	const struct qx_quant_plan *plan = s->plan;
	int rc;
	if (plan && plan->simulated) {
		/* No int8 kernel runs it: the reference simulation is the model (plan/plan.h). */
		c->simulated = 1;
		rc = qx_sim_runner_init(&c->sim, s->graph, plan, s->batch, s->kernels, s->data, err);
	} else if (plan) {
		rc = qx_runner_init_q8(&c->runner, s->graph, plan, s->batch, s->kernels, s->data, err);
	} else {
		rc = qx_runner_init_f32(&c->runner, s->graph, s->batch, s->kernels, s->data, err);
	}
	c->made = !rc;
	return rc;
}

static void copy_free(struct model_copy *c)
{
	if (!c->made)
		return;
	if (c->simulated)
		qx_sim_runner_free(&c->sim);
	else
		qx_runner_free(&c->runner);
	c->made = 0;
}

int qx_evaluate(const struct qx_evaluate_spec *s, struct qx_eval_result *res, int64_t *q8_bytes,
                struct qx_error *err)
{
	int n = s->threads < 1 ? 1 : s->threads > QX_EVAL_MAX_THREADS ? QX_EVAL_MAX_THREADS
	                                                              : s->threads;
	/* No more copies than batches: a thread with nothing to do would only cost memory. */
	int64_t images = s->limit > 0 && s->limit < s->data->count ? s->limit : s->data->count;
	int64_t batches = (images + s->batch - 1) / s->batch;
	if (batches < n)
		n = batches < 1 ? 1 : (int)batches;
	struct model_copy copies[QX_EVAL_MAX_THREADS];
	struct qx_model_runner models[QX_EVAL_MAX_THREADS];
	int rc = 0, made = 0;
	for (; !rc && made < n; made++) {
		rc = copy_init(&copies[made], s, err);
		if (!rc)
			models[made] = copies[made].simulated ? qx_sim_runner_model(&copies[made].sim)
			                                      : qx_runner_model(&copies[made].runner);
	}
	if (!rc && s->plan)
		*q8_bytes = copies[0].simulated ? qx_plan_model_bytes(s->graph, s->plan)
		                                : qx_exec_q8_model_bytes(copies[0].runner.q8);
	if (!rc) {
		struct qx_progress prog;
		qx_progress_init(&prog, s->what, s->quiet);
		rc = qx_eval_run_parallel(models, n, s->data, s->preprocess, s->limit, 0,
		                          qx_progress_update, &prog, res, err);
		qx_progress_end(&prog);
	}
	for (int i = 0; i < made; i++)
		copy_free(&copies[i]);
	return rc;
}
