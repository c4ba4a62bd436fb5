/* qx_bitexact_check_sets: several sets against one reference pass, on several threads, gives
 * for each set exactly what qx_bitexact_check gives for it alone: identical on every image for
 * a sound set, and for a broken one the same first differing step and image count. */
#include <string.h>

#include "data/dataset.h"
#include "exec/bitexact.h"
#include "exec/exec_f32.h"
#include "kernels.h"
#include "plugin/tiny_model.h"
#include "support/tap.h"
#include "support/test_plan.h"

#define BATCH 4
#define IMAGES 10 /* three batches, the last one short */

/* A kernel set that is scalar except for max pooling, which gets one output byte wrong. */
static struct qx_kernels_q8 broken_q8;
static void broken_maxpool(const struct qx_q8_conv_desc *d, const uint8_t *x, uint8_t *y,
                           int64_t pix_begin, int64_t pix_end)
{
	qx_kernels_get(QX_KSET_SCALAR)->q8->maxpool(d, x, y, pix_begin, pix_end);
	if (pix_begin == 0)
		y[0] ^= 1;
}

int main(void)
{
	tap_plan(0);
	struct qx_error err = { 0 };
	struct qx_graph g;
	struct qx_dataset ds;
	if (qx_tiny_model_build(&g, &err) || qx_synthetic_dataset(IMAGES, 1, 8, 8, 10, 7, &ds, &err)) {
		ok(0, "tiny model and images: %s", err.msg);
		return tap_done();
	}
	const struct qx_kernels *scalar = qx_kernels_get(QX_KSET_SCALAR);
	struct qx_preprocess pp = { .scale = 1.0f / 255.0f, .n_channels = 1, .mean = { 0.5f },
	                            .std = { 0.25f } };
	struct qx_exec_f32 *f = NULL;
	float images[BATCH * 64];
	qx_dataset_preprocess(&ds, &pp, 0, BATCH, images);
	const float *in = images;
	int rc = qx_exec_f32_create(&g, BATCH, scalar, &f, &err);
	if (!rc)
		rc = qx_exec_f32_run(f, &in, &err);
	struct qx_quant_plan plan = { 0 };
	if (!rc)
		rc = test_plan_make(&g, f, &plan, 0);
	ok(rc == 0, "tiny model, its fp32 run and a static plan%s%s", rc ? ": " : "",
	   rc ? err.msg : "");

	broken_q8 = *scalar->q8;
	broken_q8.maxpool = broken_maxpool;
	struct qx_kernels broken = { .set = QX_KSET_SCALAR, .name = "broken", .isa = "-",
	                             .f32 = scalar->f32, .q8 = &broken_q8 };

	/* The sets to check: every SIMD set this CPU has, the broken one in the middle. */
	const struct qx_kernels *sets[QX_KSET_COUNT + 1];
	int n = 0;
	for (int s = 0; s < QX_KSET_COUNT; s++) {
		const char *why;
		if (s != QX_KSET_SCALAR && qx_kernels_available((enum qx_kset)s, &why))
			sets[n++] = qx_kernels_get((enum qx_kset)s);
		if (n == 1)
			sets[n++] = &broken;
	}
	if (n == 1)
		sets[n++] = scalar; /* no SIMD set here: scalar against itself beside the broken one */

	struct qx_bitexact alone[QX_KSET_COUNT + 1];
	for (int i = 0; i < n; i++) {
		rc = qx_bitexact_check(&g, &plan, scalar, sets[i], BATCH, &ds, &pp, IMAGES, &alone[i],
		                       &err);
		ok(rc == 0, "%s alone: checked%s%s", sets[i]->name, rc ? ": " : "", rc ? err.msg : "");
	}
	for (int i = 0; i < n; i++)
		if (sets[i] == &broken)
			ok(!alone[i].identical && alone[i].images == BATCH &&
			   strstr(alone[i].where, "broken gives"),
			   "the broken set differs in the first batch: %s", alone[i].where);
		else
			ok(alone[i].identical && alone[i].images == IMAGES,
			   "%s is identical on all %d images", sets[i]->name, IMAGES);

	for (int threads = 1; threads <= 3; threads++) {
		struct qx_bitexact together[QX_KSET_COUNT + 1];
		rc = qx_bitexact_check_sets(&g, &plan, scalar, sets, n, BATCH, &ds, &pp, IMAGES,
		                            threads, together, &err);
		int same = rc == 0;
		for (int i = 0; same && i < n; i++)
			same = together[i].identical == alone[i].identical &&
			       together[i].images == alone[i].images &&
			       strcmp(together[i].where, alone[i].where) == 0;
		ok(same, "%d sets together on %d thread%s: each verdict as when checked alone%s%s", n,
		   threads, threads > 1 ? "s" : "", rc ? ": " : "", rc ? err.msg : "");
	}
	/* A dynamic plan (float in and out of the Gemms, the rest float): the float nodes run on
	 * one set's fp32 kernels in every model, so the sound sets still compare identical. */
	struct qx_quant_plan dyn = { 0 };
	rc = test_plan_make(&g, f, &dyn, 1);
	const struct qx_kernels *sound[QX_KSET_COUNT];
	int n_sound = 0;
	for (int i = 0; i < n; i++)
		if (sets[i] != &broken)
			sound[n_sound++] = sets[i];
	struct qx_bitexact dres[QX_KSET_COUNT];
	if (!rc)
		rc = qx_bitexact_check_sets(&g, &dyn, scalar, sound, n_sound, BATCH, &ds, &pp, IMAGES,
		                            2, dres, &err);
	int all = rc == 0;
	for (int i = 0; all && i < n_sound; i++)
		all = dres[i].identical && dres[i].images == IMAGES;
	ok(all, "dynamic plan: %d sound sets identical on all images%s%s", n_sound, rc ? ": " : "",
	   rc ? err.msg : "");
	test_plan_free(&dyn);
	struct qx_bitexact none[1];
	rc = qx_bitexact_check_sets(&g, &plan, scalar, sets, 0, BATCH, &ds, &pp, IMAGES, 2, none,
	                            &err);
	ok(rc == 0, "no set to check: nothing to do");
	test_plan_free(&plan);
	qx_exec_f32_free(f);
	qx_graph_free(&g);
	qx_dataset_free(&ds);
	return tap_done();
}
