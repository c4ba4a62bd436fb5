#include "measure/eval.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/interrupt.h"

int qx_argmax(const float *v, int n)
{
	int best = 0;
	for (int i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int qx_eval_run(const struct qx_model_runner *m, const struct qx_dataset *ds,
                const struct qx_preprocess *pp, int64_t limit, int64_t keep_logits,
                void (*progress)(void *arg, int64_t done, int64_t total), void *progress_arg,
                struct qx_eval_result *out, struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	int64_t total = (limit > 0 && limit < ds->count) ? limit : ds->count;
	int nc = ds->n_classes;
	int64_t image_floats = (int64_t)ds->c * ds->h * ds->w;
	if (keep_logits > total)
		keep_logits = total;

	float *images = malloc(sizeof(float) * (size_t)(m->batch * image_floats));
	float *outputs = malloc(sizeof(float) * (size_t)(m->batch * nc));
	out->pred = malloc((size_t)total ? (size_t)total : 1);
	out->logits = keep_logits ? malloc(sizeof(float) * (size_t)(keep_logits * nc)) : NULL;
	if (!images || !outputs || !out->pred || (keep_logits && !out->logits)) {
		free(images);
		free(outputs);
		qx_eval_result_free(out);
		return qx_fail_nomem(err, "allocating evaluation buffers");
	}
	out->count = total;
	out->n_classes = nc;
	out->logits_kept = keep_logits;

	double t0 = now_seconds();
	int rc = 0;
	for (int64_t first = 0; first < total; first += m->batch) {
		int64_t n = total - first < m->batch ? total - first : m->batch;
		if (qx_interrupted()) {
			rc = qx_fail(err, QX_EINTERRUPTED, "interrupted during evaluation");
			break;
		}
		qx_dataset_preprocess(ds, pp, first, n, images);
		rc = m->run(m->ctx, images, n, outputs, err);
		if (rc)
			break;
		for (int64_t i = 0; i < n; i++) {
			int64_t img = first + i;
			const float *row = outputs + i * nc;
			out->pred[img] = (uint8_t)qx_argmax(row, nc);
			out->correct += out->pred[img] == ds->labels[img];
			if (img < keep_logits)
				memcpy(out->logits + img * nc, row, sizeof(float) * (size_t)nc);
		}
		if (progress)
			progress(progress_arg, first + n, total);
	}
	out->seconds = now_seconds() - t0;
	free(images);
	free(outputs);
	if (rc)
		qx_eval_result_free(out);
	return rc;
}

void qx_eval_result_free(struct qx_eval_result *r)
{
	free(r->pred);
	free(r->logits);
	memset(r, 0, sizeof *r);
}
