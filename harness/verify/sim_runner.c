#include "verify/sim_runner.h"

#include <stdlib.h>
#include <string.h>

#include "measure/runner.h"

static int run_batch(void *ctx, const float *images, int64_t n, float *out, struct qx_error *err)
{
	struct qx_sim_runner *r = ctx;
	const float *input = images;
	if (n < r->batch) {
		/* The simulation's shapes are fixed at batch; pad the short last batch with zeros. */
		memcpy(r->staging, images, sizeof(float) * (size_t)(n * r->image_floats));
		memset(r->staging + n * r->image_floats, 0,
		       sizeof(float) * (size_t)((r->batch - n) * r->image_floats));
		input = r->staging;
	}
	int rc = qx_refsim_run(r->sim, &input, err);
	if (rc)
		return rc;
	memcpy(out, qx_refsim_output(r->sim, 0), sizeof(float) * (size_t)(n * r->n_classes));
	return 0;
}

int qx_sim_runner_init(struct qx_sim_runner *r, const struct qx_graph *g,
                       const struct qx_quant_plan *plan, int64_t batch, const struct qx_kernels *k,
                       const struct qx_dataset *ds, struct qx_error *err)
{
	memset(r, 0, sizeof *r);
	int rc = qx_graph_check_io(g, ds, err);
	if (rc)
		return rc;
	r->batch = batch;
	r->image_floats = (int64_t)ds->c * ds->h * ds->w;
	r->n_classes = ds->n_classes;
	r->staging = malloc(sizeof(float) * (size_t)(batch * r->image_floats));
	if (!r->staging)
		return qx_fail_nomem(err, "allocating the staging batch");
	rc = qx_refsim_create(g, plan, batch, k, &r->sim, err);
	if (rc)
		qx_sim_runner_free(r);
	return rc;
}

struct qx_model_runner qx_sim_runner_model(struct qx_sim_runner *r)
{
	return (struct qx_model_runner){ .ctx = r, .batch = r->batch, .run = run_batch };
}

void qx_sim_runner_free(struct qx_sim_runner *r)
{
	qx_refsim_free(r->sim);
	free(r->staging);
	memset(r, 0, sizeof *r);
}
