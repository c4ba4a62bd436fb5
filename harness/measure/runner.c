#include "measure/runner.h"
#include "exec/batch_split.h"
#include "exec/pool.h"

#include <stdlib.h>
#include <string.h>

int qx_graph_check_io(const struct qx_graph *g, const struct qx_dataset *ds, struct qx_error *err)
{
	if (g->n_inputs != 1 || g->n_outputs != 1)
		return qx_fail(err, QX_EUNSUPPORTED,
		               "%s: the model has %d inputs and %d outputs (expected one image input "
		               "and one class-score output)", g->path, g->n_inputs, g->n_outputs);
	const struct qx_tensor *in = &g->tensors[g->inputs[0]];
	const struct qx_tensor *out = &g->tensors[g->outputs[0]];
	if (in->ndim != 4 || in->dims[1] != ds->c || in->dims[2] != ds->h || in->dims[3] != ds->w)
		return qx_fail(err, QX_EINVAL,
		               "%s: input '%s' has shape [N,%lld,%lld,%lld] (expected [N,%d,%d,%d] for the "
		               "images of %s)", g->path, in->name, in->ndim > 1 ? (long long)in->dims[1] : -1,
		               in->ndim > 2 ? (long long)in->dims[2] : -1,
		               in->ndim > 3 ? (long long)in->dims[3] : -1, ds->c, ds->h, ds->w, ds->source);
	if (out->ndim != 2 || out->dims[1] != ds->n_classes)
		return qx_fail(err, QX_EINVAL,
		               "%s: output '%s' has %lld values per image (expected %d classes)", g->path,
		               out->name, out->ndim == 2 ? (long long)out->dims[1] : -1LL, ds->n_classes);
	return 0;
}

/* Runs one part's images, slice by slice, into the batch's outputs. */
static void run_part(struct qx_runner *r, struct qx_runner_part *p)
{
	p->rc = 0;
	for (int64_t i = 0; i < p->count && !p->rc; i += p->slice) {
		const float *in = r->run_input + (p->first + i) * r->image_floats;
		const float *y;
		if (p->f32) {
			p->rc = qx_exec_f32_run(p->f32, &in, &p->err);
			y = qx_exec_f32_tensor(p->f32, qx_exec_f32_graph(p->f32)->outputs[0]);
		} else {
			p->rc = qx_exec_q8_run(p->q8, &in, &p->err);
			y = qx_exec_q8_output(p->q8, 0);
		}
		if (!p->rc)
			memcpy(r->batch_out + (p->first + i) * r->n_classes, y,
			       sizeof(float) * (size_t)(p->slice * r->n_classes));
	}
}

/* qx_pool_fn over parts [begin, end): with QX_RUNNER_IMAGES each thread gets one. */
static void run_parts(void *ctx, int64_t begin, int64_t end)
{
	struct qx_runner *r = ctx;
	for (int64_t i = begin; i < end; i++)
		run_part(r, &r->parts[i]);
}

static int run_batch(void *ctx, const float *images, int64_t n, float *out, struct qx_error *err)
{
	struct qx_runner *r = ctx;
	const float *input = images;
	if (n < r->batch) {
		/* The executors' shapes are fixed at batch; pad the short last batch with zeros. */
		memcpy(r->staging, images, sizeof(float) * (size_t)(n * r->image_floats));
		memset(r->staging + n * r->image_floats, 0,
		       sizeof(float) * (size_t)((r->batch - n) * r->image_floats));
		input = r->staging;
	}
	r->run_input = input;
	if (r->parallel == QX_RUNNER_IMAGES)
		qx_pool_run(r->pool, r->n_parts, run_parts, r); /* one part per thread */
	else
		run_parts(r, 0, r->n_parts);
	r->run_input = NULL;
	for (int i = 0; i < r->n_parts; i++)
		if (r->parts[i].rc) {
			*err = r->parts[i].err;
			return r->parts[i].rc;
		}
	memcpy(out, r->batch_out, sizeof(float) * (size_t)(n * r->n_classes));
	return 0;
}

static int init_common(struct qx_runner *r, const struct qx_graph *g, int64_t batch,
                       const struct qx_dataset *ds, struct qx_error *err)
{
	memset(r, 0, sizeof *r);
	int rc = qx_graph_check_io(g, ds, err);
	if (rc)
		return rc;
	if (batch < 1)
		return qx_fail(err, QX_EINVAL, "%s: batch %lld (expected at least 1)", g->path,
		               (long long)batch);
	r->graph = g;
	r->batch = batch;
	r->image_floats = (int64_t)ds->c * ds->h * ds->w;
	r->n_classes = ds->n_classes;
	r->staging = malloc(sizeof(float) * (size_t)(batch * r->image_floats));
	if (!r->staging)
		return qx_fail_nomem(err, "allocating the staging batch");
	return 0;
}

int qx_plan_batch_independent(const struct qx_quant_plan *plan)
{
	for (int i = 0; plan && i < plan->n_nodes; i++)
		if (plan->node[i].mode == QX_MODE_DYNAMIC)
			return 0;
	return 1;
}

const char *qx_runner_parallel_name(enum qx_runner_parallel p)
{
	return p == QX_RUNNER_IMAGES ? "images" : p == QX_RUNNER_ROWS ? "rows" : "none";
}

/* Images per executor run for a part of `count` images: fp32 cuts it into slices of
 * QX_RUNNER_SLICE when it is a multiple above it and g keeps images apart at that size and the
 * batch's (*apart: -1 until asked, then the answer); int8 runs it whole. */
static int64_t slice_of(const struct qx_graph *g, int is_f32, int64_t count, int64_t batch,
                        int *apart)
{
	if (!is_f32 || count <= QX_RUNNER_SLICE || count % QX_RUNNER_SLICE != 0)
		return count;
	if (*apart < 0)
		*apart = qx_graph_images_independent(g, QX_RUNNER_SLICE, batch);
	return *apart ? QX_RUNNER_SLICE : count;
}

int qx_runner_init_threaded(struct qx_runner *r, const struct qx_graph *g,
                            const struct qx_quant_plan *plan, int64_t batch,
                            const struct qx_kernels *k, const struct qx_dataset *ds,
                            struct qx_pool *pool, struct qx_error *err)
{
	int rc = init_common(r, g, batch, ds, err);
	if (rc) {
		qx_runner_free(r);
		return rc;
	}
	int threads = pool ? qx_pool_threads(pool) : 1;
	int64_t q = batch / threads, rem = batch % threads;
	/* The sizes the executors would run, the batch's own among them: the check must hold at
	 * each (it copies the graph once per size, so it is asked only where a split may apply). */
	int64_t sizes[3] = { batch, q, q + 1 };
	int images = threads > 1 && batch >= threads && qx_plan_batch_independent(plan) &&
	             qx_graph_images_independent_at(g, sizes, rem ? 3 : 2);
	int apart = -1;
	r->pool = threads > 1 ? pool : NULL;
	r->parallel = threads == 1 ? QX_RUNNER_ONE_THREAD : images ? QX_RUNNER_IMAGES
	                                                           : QX_RUNNER_ROWS;
	r->n_parts = images ? threads : 1;
	r->parts = calloc((size_t)r->n_parts, sizeof *r->parts);
	if (!r->parts)
		rc = qx_fail_nomem(err, "allocating the runner's parts");
	for (int i = 0; !rc && i < r->n_parts; i++) {
		struct qx_runner_part *p = &r->parts[i];
		p->first = images ? (int64_t)i * q + (i < rem ? i : rem) : 0;
		p->count = images ? q + (i < rem ? 1 : 0) : batch;
		p->slice = slice_of(g, !plan, p->count, batch, &apart);
		if (plan)
			rc = qx_exec_q8_create(g, plan, p->slice, k, &p->q8, err);
		else
			rc = qx_exec_f32_create(g, p->slice, k, &p->f32, err);
		if (!rc && p->f32) { /* the fp32 model's own accuracy and latency: only its output */
			qx_exec_f32_set_fast_sigmoid(p->f32, 1);
			qx_exec_f32_set_outputs_only(p->f32);
		}
		/* rows, and one thread too (where qx_pool_run calls straight through), as before */
		if (!rc && pool && r->parallel != QX_RUNNER_IMAGES) {
			if (p->q8)
				qx_exec_q8_set_pool(p->q8, pool);
			else
				qx_exec_f32_set_pool(p->f32, pool);
		}
	}
	if (rc) {
		qx_runner_free(r);
		return rc;
	}
	/* After the executors, so that a one-thread runner's executor lands where it did before
	 * the images split: int8 efficientnet_b0 ran 25% slower (6.6 -> 8.3 ms CPU per batch of 64
	 * in qx-bench's latency phase) with this buffer allocated first. The executors' speed
	 * depends on where malloc puts their buffers (exec/exec_q8.c). */
	r->batch_out = malloc(sizeof(float) * (size_t)(batch * r->n_classes));
	if (!r->batch_out) {
		qx_runner_free(r);
		return qx_fail_nomem(err, "allocating the batch's outputs");
	}
	r->f32 = r->parts[0].f32;
	r->q8 = r->parts[0].q8;
	r->slice = r->parts[0].slice;
	return 0;
}

int qx_runner_init_f32(struct qx_runner *r, const struct qx_graph *g, int64_t batch,
                       const struct qx_kernels *k, const struct qx_dataset *ds,
                       struct qx_error *err)
{
	return qx_runner_init_threaded(r, g, NULL, batch, k, ds, NULL, err);
}

int qx_runner_init_q8(struct qx_runner *r, const struct qx_graph *g, const struct qx_quant_plan *plan,
                      int64_t batch, const struct qx_kernels *k, const struct qx_dataset *ds,
                      struct qx_error *err)
{
	return qx_runner_init_threaded(r, g, plan, batch, k, ds, NULL, err);
}

struct qx_model_runner qx_runner_model(struct qx_runner *r)
{
	return (struct qx_model_runner){ .ctx = r, .batch = r->batch, .run = run_batch };
}

void qx_runner_free(struct qx_runner *r)
{
	for (int i = 0; r->parts && i < r->n_parts; i++) {
		if (r->parts[i].f32)
			qx_exec_f32_free(r->parts[i].f32);
		if (r->parts[i].q8)
			qx_exec_q8_free(r->parts[i].q8);
	}
	free(r->parts);
	free(r->staging);
	free(r->batch_out);
	memset(r, 0, sizeof *r);
}
