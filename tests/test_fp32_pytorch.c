/* qx-bench's fp32 outputs against PyTorch's own, saved by tools/train_reference.py next to the
 * model: identical top-1 predictions on at least 9,990 of the 10,000 Fashion-MNIST test images,
 * and max |logit difference| <= 1e-3 on the first 256. Goes through the default suite, so it
 * also checks the suite's preprocessing. Under the sanitizers (slow) it runs the first 1,000
 * images with the same one-in-a-thousand allowance. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure/eval.h"
#include "measure/runner.h"
#include "suite/suite.h"
#include "support/tap.h"

static void *read_file(const char *path, size_t want)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	void *buf = malloc(want);
	size_t got = buf ? fread(buf, 1, want, f) : 0;
	fclose(f);
	if (got != want) {
		free(buf);
		return NULL;
	}
	return buf;
}

int main(void)
{
	char suite_path[1024], top1_path[1024], logits_path[1024];
	snprintf(suite_path, sizeof suite_path, "%s/suites/fashion-mnist.yaml", tap_root());
	snprintf(top1_path, sizeof top1_path, "%s/models/fashion_cnn.top1.u8", tap_root());
	snprintf(logits_path, sizeof logits_path, "%s/models/fashion_cnn.logits.f32", tap_root());

	struct qx_error err = { 0 };
	struct qx_suite s;
	if (qx_suite_load(suite_path, &s, &err))
		return tap_skip_all("cannot load the default suite: %s", err.msg);
	uint8_t *torch_top1 = read_file(top1_path, 10000);
	float *torch_logits = read_file(logits_path, 256 * 10 * sizeof(float));
	if (!torch_top1 || !torch_logits) {
		qx_suite_free(&s);
		return tap_skip_all("PyTorch's outputs not found next to the model (%s)", top1_path);
	}
	tap_plan(5);

	struct qx_dataset ds;
	struct qx_graph g;
	int rc = qx_suite_load_dataset(&s, &ds, &err);
	if (!rc)
		rc = qx_graph_load_onnx(s.model, &g, &err);
	if (!rc)
		rc = qx_graph_fuse_activations(&g, &err);
	if (!ok(rc == 0, "load the default suite's model and test set%s%s", rc ? ": " : "",
	        rc ? err.msg : "")) {
		tap_skip(4, "nothing to compare");
		return tap_done();
	}
	ok(ds.count == 10000, "10,000 test images (got %lld)", (long long)ds.count);

	int64_t n = tap_sanitized() ? 1000 : 10000;
	struct qx_runner runner;
	struct qx_eval_result res;
	rc = qx_runner_init_f32(&runner, &g, 64, qx_kernels_best(), &ds, &err);
	if (!rc) {
		struct qx_model_runner m = qx_runner_model(&runner);
		rc = qx_eval_run(&m, &ds, &s.preprocess, n, 256, NULL, NULL, &res, &err);
		qx_runner_free(&runner);
	}
	if (!ok(rc == 0, "fp32 evaluation of %lld images with %s%s%s", (long long)n,
	        qx_kernels_best()->name, rc ? ": " : "", rc ? err.msg : "")) {
		tap_skip(2, "no outputs");
		return tap_done();
	}
	int64_t same = 0;
	for (int64_t i = 0; i < n; i++)
		same += res.pred[i] == torch_top1[i];
	int64_t allowed = n / 1000;
	ok(same >= n - allowed, "identical top-1 on %lld of %lld images (at least %lld required)",
	   (long long)same, (long long)n, (long long)(n - allowed));
	double max_diff = 0.0;
	for (int64_t i = 0; i < 256 * 10; i++)
		max_diff = fmax(max_diff, fabs((double)res.logits[i] - (double)torch_logits[i]));
	ok(max_diff <= 1e-3, "max |logit difference| on the first 256 images: %.3g (<= 1e-3)",
	   max_diff);
	diag("qx-bench fp32 top-1: %lld/%lld correct (%.2f%%), %.2f s", (long long)res.correct,
	     (long long)n, 100.0 * (double)res.correct / (double)n, res.seconds);

	qx_eval_result_free(&res);
	qx_graph_free(&g);
	qx_dataset_free(&ds);
	qx_suite_free(&s);
	free(torch_top1);
	free(torch_logits);
	return tap_done();
}
