#include "measure/runner.h"
#include "exec/batch_split.h"

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
	int rc;
	const float *y;
	if (r->f32) {
		rc = 0;
		y = NULL;
		for (int64_t i = 0; i < r->batch && !rc; i += r->slice) {
			const float *slice_in = input + i * r->image_floats;
			rc = qx_exec_f32_run(r->f32, &slice_in, err);
			y = qx_exec_f32_tensor(r->f32, qx_exec_f32_graph(r->f32)->outputs[0]);
			if (!rc && r->sliced_out)
				memcpy(r->sliced_out + i * r->n_classes, y,
				       sizeof(float) * (size_t)(r->slice * r->n_classes));
		}
		if (r->sliced_out)
			y = r->sliced_out;
	} else {
		rc = qx_exec_q8_run(r->q8, &input, err);
		y = qx_exec_q8_output(r->q8, 0);
	}
	if (rc)
		return rc;
	memcpy(out, y, sizeof(float) * (size_t)(n * r->n_classes));
	return 0;
}

static int init_common(struct qx_runner *r, const struct qx_graph *g, int64_t batch,
                       const struct qx_dataset *ds, struct qx_error *err)
{
	memset(r, 0, sizeof *r);
	int rc = qx_graph_check_io(g, ds, err);
	if (rc)
		return rc;
	r->graph = g;
	r->batch = batch;
	r->image_floats = (int64_t)ds->c * ds->h * ds->w;
	r->n_classes = ds->n_classes;
	r->staging = malloc(sizeof(float) * (size_t)(batch * r->image_floats));
	if (!r->staging)
		return qx_fail_nomem(err, "allocating the staging batch");
	return 0;
}

int qx_runner_init_f32(struct qx_runner *r, const struct qx_graph *g, int64_t batch,
                       const struct qx_kernels *k, const struct qx_dataset *ds,
                       struct qx_error *err)
{
	int rc = init_common(r, g, batch, ds, err);
	r->slice = batch;
	if (!rc && batch > QX_RUNNER_SLICE && batch % QX_RUNNER_SLICE == 0 &&
	    qx_graph_images_independent(g, QX_RUNNER_SLICE, batch)) {
		r->slice = QX_RUNNER_SLICE;
		r->sliced_out = malloc(sizeof(float) * (size_t)(batch * r->n_classes));
		if (!r->sliced_out)
			rc = qx_fail_nomem(err, "allocating the batch's outputs");
	}
	if (!rc)
		rc = qx_exec_f32_create(g, r->slice, k, &r->f32, err);
	if (!rc) { /* the fp32 model's own accuracy and latency: only its output is read */
		qx_exec_f32_set_fast_sigmoid(r->f32, 1);
		qx_exec_f32_set_outputs_only(r->f32);
	}
	if (rc)
		qx_runner_free(r);
	return rc;
}

int qx_runner_init_q8(struct qx_runner *r, const struct qx_graph *g, const struct qx_quant_plan *plan,
                      int64_t batch, const struct qx_kernels *k, const struct qx_dataset *ds,
                      struct qx_error *err)
{
	int rc = init_common(r, g, batch, ds, err);
	if (!rc)
		rc = qx_exec_q8_create(g, plan, batch, k, &r->q8, err);
	if (rc)
		qx_runner_free(r);
	return rc;
}

struct qx_model_runner qx_runner_model(struct qx_runner *r)
{
	return (struct qx_model_runner){ .ctx = r, .batch = r->batch, .run = run_batch };
}

void qx_runner_free(struct qx_runner *r)
{
	if (r->f32)
		qx_exec_f32_free(r->f32);
	if (r->q8)
		qx_exec_q8_free(r->q8);
	free(r->staging);
	free(r->sliced_out);
	memset(r, 0, sizeof *r);
}
