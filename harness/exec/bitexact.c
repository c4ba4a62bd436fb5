#include "exec/bitexact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_q8.h"

/* Compares every step of a and b after one run; fills out->where on the first difference. */
static int compare_steps(const struct qx_exec_q8 *a, const struct qx_exec_q8 *b,
                         const char *name_a, const char *name_b, int64_t first_image,
                         struct qx_bitexact *out)
{
	int n = qx_exec_q8_n_steps(a);
	for (int s = 0; s < n; s++) {
		int64_t bytes_a, bytes_b;
		const char *node, *what;
		const uint8_t *pa = qx_exec_q8_step_output(a, s, &bytes_a, &node, &what);
		const uint8_t *pb = qx_exec_q8_step_output(b, s, &bytes_b, &node, &what);
		if (bytes_a == bytes_b && memcmp(pa, pb, (size_t)bytes_a) == 0)
			continue;
		int64_t at = 0;
		while (at < bytes_a && at < bytes_b && pa[at] == pb[at])
			at++;
		snprintf(out->where, sizeof out->where,
		         "%s%s%s(%s): byte %lld of the batch at image %lld: %s gives %d, %s %d",
		         node ? "node '" : "", node ? node : "", node ? "' " : "", what, (long long)at,
		         (long long)first_image, name_b, at < bytes_b ? pb[at] : -1, name_a,
		         at < bytes_a ? pa[at] : -1);
		return 0;
	}
	return 1;
}

int qx_bitexact_check(const struct qx_graph *g, const struct qx_quant_plan *plan,
                      const struct qx_kernels *ref, const struct qx_kernels *other, int64_t batch,
                      const struct qx_dataset *ds, const struct qx_preprocess *pp,
                      int64_t n_images, struct qx_bitexact *out, struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	out->identical = 1;
	if (n_images > ds->count)
		n_images = ds->count;
	struct qx_exec_q8 *a = NULL, *b = NULL;
	int64_t image_floats = (int64_t)ds->c * ds->h * ds->w;
	float *images = calloc((size_t)(batch * image_floats), sizeof(float));
	if (!images)
		return qx_fail_nomem(err, "allocating the bit-exactness batch");
	/* The claim is about the int8 kernels: fp32 kernels may round differently from set to set
	 * (sums in another order), so the nodes a plan leaves in float run on the reference's fp32
	 * kernels in both models, and every int8 step sees the same inputs. */
	struct qx_kernels other_q8 = *other;
	other_q8.f32 = ref->f32;
	int rc = qx_exec_q8_create(g, plan, batch, ref, &a, err);
	if (!rc)
		rc = qx_exec_q8_create(g, plan, batch, &other_q8, &b, err);
	for (int64_t first = 0; !rc && first < n_images && out->identical; first += batch) {
		int64_t n = n_images - first < batch ? n_images - first : batch;
		qx_dataset_preprocess(ds, pp, first, n, images);
		const float *in = images;
		rc = qx_exec_q8_run(a, &in, err);
		if (!rc)
			rc = qx_exec_q8_run(b, &in, err);
		if (!rc) {
			out->identical = compare_steps(a, b, ref->name, other->name, first, out);
			out->images = first + n;
		}
	}
	qx_exec_q8_free(a);
	qx_exec_q8_free(b);
	free(images);
	return rc;
}
