/* Suite loading: every default, every value of a full suite, the shipped suites, and each error
 * with its exact file:line:column prefix. Fixtures are written to a fresh temporary folder. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results/results_entry.h"
#include "suite/suite.h"
#include "suite/sweep.h"
#include "support/tap.h"

static char tmp[128];

static void write_file(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", tmp, name);
	FILE *f = fopen(path, "wb");
	if (!f) {
		diag("cannot write %s", path);
		return;
	}
	fputs(text, f);
	fclose(f);
}

static void suite_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", tmp, name);
}

/* A tiny IDX pair: count images of h x w where pixel j of image i is (i * 7 + j) & 255 and the
 * label of image i is i % 10. */
static void write_idx(const char *images, const char *labels, int count, int h, int w)
{
	char path[512];
	suite_path(path, sizeof path, images);
	FILE *f = fopen(path, "wb");
	unsigned char header[16] = { 0, 0, 8, 3 };
	unsigned dims[3] = { (unsigned)count, (unsigned)h, (unsigned)w };
	for (int d = 0; d < 3; d++)
		for (int b = 0; b < 4; b++)
			header[4 + 4 * d + b] = (unsigned char)(dims[d] >> (24 - 8 * b));
	fwrite(header, 1, 16, f);
	for (int i = 0; i < count; i++)
		for (int j = 0; j < h * w; j++)
			fputc((i * 7 + j) & 255, f);
	fclose(f);
	suite_path(path, sizeof path, labels);
	f = fopen(path, "wb");
	unsigned char lheader[8] = { 0, 0, 8, 1 };
	for (int b = 0; b < 4; b++)
		lheader[4 + b] = (unsigned char)((unsigned)count >> (24 - 8 * b));
	fwrite(lheader, 1, 8, f);
	for (int i = 0; i < count; i++)
		fputc(i % 10, f);
	fclose(f);
}

/* Loads text as tmp/name; the suite must fail with code, a message starting with
 * "<path>:<place>: " and containing every NULL-terminated keyword. */
static void check_error(const char *name, const char *text, int code, const char *place, ...)
{
	char path[512], prefix[1200];
	write_file(name, text);
	suite_path(path, sizeof path, name);
	snprintf(prefix, sizeof prefix, "%s:%s: ", path, place);
	struct qx_suite s;
	struct qx_error err = { 0 };
	int rc = qx_suite_load(path, &s, &err);
	int good = rc == code && err.code == code && !strncmp(err.msg, prefix, strlen(prefix)) &&
	           !strchr(err.msg, '\n');
	va_list ap;
	va_start(ap, place);
	for (const char *kw; (kw = va_arg(ap, const char *));)
		if (!strstr(err.msg, kw)) {
			good = 0;
			diag("missing keyword '%s'", kw);
		}
	va_end(ap);
	ok(good, "%s: error at %s", name, place);
	if (!good || getenv("QX_TEST_VERBOSE"))
		diag("rc %d (expected %d), message: %s", rc, code, err.msg);
	/* A failed load leaves nothing to free and the struct zeroed. */
	ok(s.path == NULL && s.plugins == NULL && s.n_plugins == 0, "%s: suite left empty", name);
	qx_suite_free(&s);
}

#define BASE "model: model.onnx\n" BASE_AFTER_MODEL
#define BASE_AFTER_MODEL \
	"dataset:\n"                   /* 2 */ \
	"  format: idx\n"              /* 3 */ \
	"  images: img.idx\n"          /* 4 */ \
	"  labels: lab.idx\n"          /* 5 */ \
	"calibration:\n"               /* 6 */ \
	"  images: img.idx\n"          /* 7 */ \
	"  labels: lab.idx\n"          /* 8 */

#define CIFAR_BASE \
	"model: model.onnx\n"          /* 1 */ \
	"dataset:\n"                   /* 2 */ \
	"  format: cifar10\n"          /* 3 */ \
	"  files: [a.bin, b.bin]\n"    /* 4 */ \
	"calibration:\n"               /* 5 */ \
	"  files: [c.bin]\n"           /* 6 */

static void test_defaults(void)
{
	char path[512], expect[1200];
	write_file("minimal.yaml", BASE);
	suite_path(path, sizeof path, "minimal.yaml");
	struct qx_suite s;
	struct qx_error err = { 0 };
	int rc = qx_suite_load(path, &s, &err);
	if (!ok(rc == 0, "minimal suite loads")) {
		diag("%s", err.msg);
		return;
	}
	ok(!strcmp(s.name, "minimal"), "name defaults to the file name: %s", s.name);
	ok(!strcmp(s.dir, tmp), "dir is the suite's folder");
	snprintf(expect, sizeof expect, "%s/model.onnx", tmp);
	ok(!strcmp(s.model, expect), "model resolved against the suite's folder: %s", s.model);
	ok(s.model_pos.line == 1 && s.model_pos.column == 8, "model position 1:8 (got %d:%d)",
	   s.model_pos.line, s.model_pos.column);
	snprintf(expect, sizeof expect, "%s/img.idx", tmp);
	ok(s.dataset.format == QX_DATA_IDX && !strcmp(s.dataset.src.images, expect) &&
	   s.dataset.src.files == NULL && s.dataset.channels == 1, "dataset idx, 1 channel");
	ok(s.dataset.src.images_pos.line == 4 && s.dataset.src.images_pos.column == 11,
	   "dataset.images position 4:11");
	ok(s.dataset.n_classes == 10 && s.dataset.limit == 0, "classes 10, limit 0");
	ok(s.calibration.count == 256 && s.calibration.first == 0 && s.calibration.batch == 32,
	   "calibration count 256, first 0, batch 32");
	ok(!strcmp(s.calibration.src.labels + strlen(tmp), "/lab.idx"), "calibration labels");
	ok(s.preprocess.divisor == 255.0f && s.preprocess.scale == (float)(1.0 / 255),
	   "preprocess divides by 255");
	ok(s.preprocess.n_channels == 1 && s.preprocess.mean[0] == 0 && s.preprocess.std[0] == 1,
	   "mean 0, std 1");
	ok(s.batch == 64, "batch 64");
	ok(s.kernels_mode == QX_SUITE_KERNELS_AUTO && s.n_kernel_sets == 0, "kernels auto");
	static const char *const names[] = {
		"dynamic", "static-per-tensor", "static-per-channel", "histogram"
	};
	int plugins_ok = s.n_plugins == 4;
	for (int i = 0; plugins_ok && i < 4; i++)
		plugins_ok = !strcmp(s.plugins[i].name, names[i]) &&
		             !strcmp(s.plugins[i].label, names[i]) && !s.plugins[i].path &&
		             s.plugins[i].n_options == 0 && s.plugins[i].timeout_s == 600 &&
		             s.plugins[i].pos.line == 0;
	ok(plugins_ok, "the four shipped plugins, no options, timeout 600");
	ok(s.measure.enabled && s.measure.n_threads == 1 && s.measure.threads[0] == 1,
	   "measure threads [1]");
	ok(s.measure.n_batch == 2 && s.measure.batch[0] == 1 && s.measure.batch[1] == 64,
	   "measure batch [1, 64]");
	ok(s.measure.repetitions == 10 && s.measure.warmup_s == 0.1 && s.measure.min_time_s == 0.2,
	   "repetitions 10, warmup 0.1, min_time 0.2");
	ok(s.bitexact_images == 512, "bitexact_images 512");
	ok(s.reference_images == 512, "reference_images 512 by default");
	snprintf(expect, sizeof expect, "%s/../results", tmp);
	ok(!strcmp(s.results_dir, expect), "results default ../results: %s", s.results_dir);
	qx_suite_free(&s);
	ok(s.path == NULL && s.plugins == NULL, "free zeroes the suite");
	qx_suite_free(&s);
}

static void test_full(void)
{
	static const char text[] =
		"name: full-1\n"                                              /* 1 */
		"model: model.onnx\n"                                         /* 2 */
		"dataset:\n"                                                  /* 3 */
		"  format: cifar10\n"                                         /* 4 */
		"  files: [/abs/test_batch.bin, rel/b.bin]\n"                 /* 5 */
		"  classes: 10\n"                                             /* 6 */
		"  limit: 1000\n"                                             /* 7 */
		"calibration:\n"                                              /* 8 */
		"  files:\n"                                                  /* 9 */
		"    - data_batch_1.bin\n"                                    /* 10 */
		"  count: 100\n"                                              /* 11 */
		"  first: 5\n"                                                /* 12 */
		"  batch: 10\n"                                               /* 13 */
		"preprocess:\n"                                               /* 14 */
		"  scale: 0.5\n"                                              /* 15 */
		"  mean: [0.4914, 0.4822, 0.4465]\n"                          /* 16 */
		"  std: 0.25\n"                                               /* 17 */
		"batch: 16\n"                                                 /* 18 */
		"kernels: [scalar, avx2]\n"                                   /* 19 */
		"plugins:\n"                                                  /* 20 */
		"  - name: static-per-channel\n"                              /* 21 */
		"  - name: histogram\n"                                       /* 22 */
		"    options: { bins: 2048, method: \"mse\" }\n"              /* 23 */
		"    timeout: 300\n"                                          /* 24 */
		"  - path: ../examples/percentile.so\n"                       /* 25 */
		"    options:\n"                                              /* 26 */
		"      percentile: 99.99\n"                                   /* 27 */
		"  - name: histogram\n"                                       /* 28 */
		"    label: histogram-512\n"                                  /* 29 */
		"    options: { bins: 512 }\n"                                /* 30 */
		"measure:\n"                                                  /* 31 */
		"  threads: [1, 2, 4]\n"                                      /* 32 */
		"  batch: [8]\n"                                              /* 33 */
		"  repetitions: 3\n"                                          /* 34 */
		"  warmup: 0\n"                                               /* 35 */
		"  min_time: 1.5\n"                                           /* 36 */
		"  enabled: false\n"                                          /* 37 */
		"check:\n"                                                    /* 38 */
		"  bitexact_images: 0\n"                                      /* 39 */
		"  reference_images: 100\n"                                   /* 40 */
		"results: /tmp/qx-results\n";                                 /* 41 */
	char path[512], expect[1200];
	write_file("full.yaml", text);
	suite_path(path, sizeof path, "full.yaml");
	struct qx_suite s;
	struct qx_error err = { 0 };
	if (!ok(qx_suite_load(path, &s, &err) == 0, "full suite loads")) {
		diag("%s", err.msg);
		return;
	}
	ok(!strcmp(s.name, "full-1"), "name");
	ok(s.dataset.format == QX_DATA_CIFAR10 && s.dataset.channels == 3, "cifar10, 3 channels");
	snprintf(expect, sizeof expect, "%s/rel/b.bin", tmp);
	ok(s.dataset.src.n_files == 2 && !strcmp(s.dataset.src.files[0], "/abs/test_batch.bin") &&
	   !strcmp(s.dataset.src.files[1], expect), "absolute path kept, relative resolved");
	ok(s.dataset.limit == 1000 && s.dataset.limit_pos.line == 7 &&
	   s.dataset.limit_pos.column == 10, "limit 1000 at 7:10");
	snprintf(expect, sizeof expect, "%s/data_batch_1.bin", tmp);
	ok(s.calibration.src.n_files == 1 && !strcmp(s.calibration.src.files[0], expect),
	   "calibration files (block list)");
	ok(s.calibration.count == 100 && s.calibration.first == 5 && s.calibration.batch == 10,
	   "calibration count, first, batch");
	ok(s.preprocess.divisor == 2.0f && s.preprocess.scale == 0.5f, "scale 0.5 is divisor 2");
	ok(s.preprocess.n_channels == 3 && s.preprocess.mean[0] == 0.4914f &&
	   s.preprocess.mean[1] == 0.4822f && s.preprocess.mean[2] == 0.4465f,
	   "three means");
	ok(s.preprocess.std[0] == 0.25f && s.preprocess.std[1] == 0.25f &&
	   s.preprocess.std[2] == 0.25f, "one std spread over three channels");
	ok(s.batch == 16, "batch 16");
	ok(s.kernels_mode == QX_SUITE_KERNELS_LISTED && s.n_kernel_sets == 2 &&
	   s.kernel_sets[0] == QX_KSET_SCALAR && s.kernel_sets[1] == QX_KSET_AVX2,
	   "kernels scalar, avx2");
	ok(s.n_plugins == 4, "four plugins");
	if (s.n_plugins == 4) {
		struct qx_suite_plugin *p = s.plugins;
		ok(!strcmp(p[0].name, "static-per-channel") && p[0].n_options == 0 &&
		   p[0].pos.line == 21 && p[0].pos.column == 5 && p[0].name_pos.column == 11,
		   "plugin 0 at 21:5, name at 21:11");
		ok(p[1].n_options == 2 && !strcmp(p[1].options[0].key, "bins") &&
		   !strcmp(p[1].options[0].value, "2048") && !strcmp(p[1].options[1].key, "method") &&
		   !strcmp(p[1].options[1].value, "mse") && p[1].timeout_s == 300,
		   "histogram options as strings, timeout 300");
		ok(p[1].options[0].key_pos.line == 23 && p[1].options[0].key_pos.column == 16 &&
		   p[1].options[0].value_pos.column == 22 && p[1].options[1].value_pos.column == 36,
		   "option positions 23:16, 23:22, 23:36 (got %d:%d, %d, %d)",
		   p[1].options[0].key_pos.line, p[1].options[0].key_pos.column,
		   p[1].options[0].value_pos.column, p[1].options[1].value_pos.column);
		snprintf(expect, sizeof expect, "%s/../examples/percentile.so", tmp);
		ok(!p[2].name && !strcmp(p[2].path, expect) && !strcmp(p[2].label, "percentile"),
		   "plugin by path, label from its file name");
		ok(p[2].n_options == 1 && !strcmp(p[2].options[0].value, "99.99") &&
		   p[2].options[0].value_pos.line == 27 && p[2].options[0].value_pos.column == 19,
		   "percentile 99.99 at 27:19");
		ok(!strcmp(p[3].label, "histogram-512") && !strcmp(p[3].name, "histogram"),
		   "same plugin twice under another label");

		struct qx_error e2 = { 0 };
		int rc = qx_suite_fail_at(&s, p[1].options[0].value_pos, &e2, QX_EINVAL,
		                          "bins: %s too many (expected <= 1024)", p[1].options[0].value);
		snprintf(expect, sizeof expect, "%s:23:22: bins: 2048 too many (expected <= 1024)",
		         path);
		ok(rc == QX_EINVAL && !strcmp(e2.msg, expect), "fail_at: %s", e2.msg);
		struct qx_suite_pos none = { 0, 0 };
		qx_suite_fail_at(&s, none, &e2, QX_EPLUGIN, "no position");
		snprintf(expect, sizeof expect, "%s: no position", path);
		ok(!strcmp(e2.msg, expect) && e2.code == QX_EPLUGIN, "fail_at without a position");
	}
	ok(s.measure.n_threads == 3 && s.measure.threads[2] == 4 && s.measure.n_batch == 1 &&
	   s.measure.batch[0] == 8, "measure threads and batch");
	ok(s.measure.repetitions == 3 && s.measure.warmup_s == 0 && s.measure.min_time_s == 1.5 &&
	   !s.measure.enabled, "measure repetitions, warmup, min_time, enabled");
	ok(s.bitexact_images == 0, "bitexact_images 0");
	ok(s.reference_images == 100, "reference_images 100");
	ok(!strcmp(s.results_dir, "/tmp/qx-results"), "absolute results folder");
	qx_suite_free(&s);
}

/* The default suite's real data, when Debian's package is installed. */
static void test_fashion_data(const struct qx_suite *s)
{
	if (access(s->calibration.src.images, R_OK) || access(s->dataset.src.images, R_OK)) {
		tap_skip(2, "Fashion-MNIST not installed in /usr/share/datasets/fashion-mnist");
		return;
	}
	struct qx_dataset ds;
	struct qx_error err = { 0 };
	int rc = qx_suite_load_calibration(s, &ds, &err);
	/* Reference: Python's gzip + numpy on the train files. */
	long long sum = 0;
	for (int64_t i = 0; !rc && i < ds.count * 784; i++)
		sum += ds.pixels[i];
	ok(rc == 0 && ds.count == 256 && ds.labels[0] == 9 && ds.labels[3] == 3 &&
	   ds.labels[6] == 7 && sum == 14846296, "fashion-mnist calibration: first 256 train "
	   "images (pixel sum %lld)", sum);
	if (rc)
		diag("%s", err.msg);
	qx_dataset_free(&ds);
	rc = qx_suite_load_dataset(s, &ds, &err);
	ok(rc == 0 && ds.count == 10000 && ds.labels[0] == 9, "fashion-mnist evaluation set");
	qx_dataset_free(&ds);
}

/* The shipped suites, copied next to a stand-in model so that they load anywhere. */
static void test_shipped(void)
{
	char dir[512], model[64];
	snprintf(dir, sizeof dir, "%s/suites", tmp);
	mkdir(dir, 0755);
	snprintf(dir, sizeof dir, "%s/models", tmp);
	mkdir(dir, 0755);
	static const char *const files[] = { "fashion-mnist", "cifar" };
	static const char *const models[] = { "fashion_cnn.onnx", "cifar_cnn.onnx" };
	for (int i = 0; i < 2; i++) {
		char src[512], dst[64], buf[8192];
		snprintf(src, sizeof src, "%s/suites/%s.yaml", tap_root(), files[i]);
		snprintf(dst, sizeof dst, "suites/%s.yaml", files[i]);
		FILE *f = fopen(src, "rb");
		size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
		if (f)
			fclose(f);
		buf[len] = '\0';
		write_file(dst, buf);
		snprintf(model, sizeof model, "models/%s", models[i]);
		write_file(model, "");
	}
	char path[512];
	struct qx_suite s;
	struct qx_error err = { 0 };
	suite_path(path, sizeof path, "suites/fashion-mnist.yaml");
	if (ok(qx_suite_load(path, &s, &err) == 0, "suites/fashion-mnist.yaml loads")) {
		ok(!strcmp(s.name, "fashion-mnist") && s.dataset.format == QX_DATA_IDX &&
		   !strcmp(s.dataset.src.images,
		           "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") &&
		   !strcmp(s.calibration.src.images,
		           "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"),
		   "fashion-mnist: t10k for evaluation, train for calibration");
		ok(s.calibration.count == 256 && s.calibration.first == 0, "first 256 train images");
		ok(s.preprocess.divisor == 255 && s.preprocess.n_channels == 1 &&
		   s.preprocess.mean[0] == 0.2860f && s.preprocess.std[0] == 0.3530f,
		   "fashion-mnist normalization");
		ok(s.kernels_mode == QX_SUITE_KERNELS_ALL && s.n_plugins == 7 &&
		   !strcmp(s.plugins[0].name, "dynamic") && !strcmp(s.plugins[3].name, "histogram") &&
		   !strcmp(s.plugins[4].label, "fp8-e4m3") && !strcmp(s.plugins[5].label, "fp8-e5m2") &&
		   !strcmp(s.plugins[6].label, "int4-g32"),
		   "all kernels, the four int8 plugins, then fp8-e4m3, fp8-e5m2 and int4-g32");
		ok(s.measure.n_threads == 2 && s.measure.threads[1] == 2 && s.measure.n_batch == 2 &&
		   s.measure.batch[1] == 64, "threads [1, 2], batch [1, 64]");
		test_fashion_data(&s);
		qx_suite_free(&s);
	} else {
		diag("%s", err.msg);
	}
	suite_path(path, sizeof path, "suites/cifar.yaml");
	if (ok(qx_suite_load(path, &s, &err) == 0, "suites/cifar.yaml loads without its data")) {
		char expect[1200];
		snprintf(expect, sizeof expect, "%s/suites/../data/cifar-10-batches-bin/test_batch.bin",
		         tmp);
		ok(s.dataset.format == QX_DATA_CIFAR10 && s.dataset.src.n_files == 1 &&
		   !strcmp(s.dataset.src.files[0], expect), "cifar test batch path");
		ok(s.preprocess.n_channels == 3 && s.preprocess.mean[2] == 0.4465f &&
		   s.preprocess.std[1] == 0.2435f, "cifar per-channel normalization");
		struct qx_dataset ds;
		int rc = qx_suite_load_dataset(&s, &ds, &err);
		ok(rc == QX_ENOENT && strstr(err.msg, "tools/fetch-cifar10") &&
		   strstr(err.msg, "test_batch.bin"), "missing CIFAR data: how to fetch it");
		diag("%s", err.msg);
		qx_suite_free(&s);
	} else {
		diag("%s", err.msg);
	}
}

static void test_datasets(void)
{
	write_idx("img.idx", "lab.idx", 30, 2, 3);
	write_file("data.yaml",
	           "model: model.onnx\n"
	           "dataset:\n"
	           "  format: idx\n"
	           "  images: img.idx\n"
	           "  labels: lab.idx\n"
	           "  limit: 12\n"
	           "calibration:\n"
	           "  images: img.idx\n"
	           "  labels: lab.idx\n"
	           "  count: 4\n"
	           "  first: 10\n");
	char path[512];
	suite_path(path, sizeof path, "data.yaml");
	struct qx_suite s;
	struct qx_error err = { 0 };
	if (!ok(qx_suite_load(path, &s, &err) == 0, "suite with a dataset loads")) {
		diag("%s", err.msg);
		return;
	}
	struct qx_dataset ds;
	int rc = qx_suite_load_dataset(&s, &ds, &err);
	ok(rc == 0 && ds.count == 12 && ds.h == 2 && ds.w == 3 && ds.c == 1 && ds.labels[11] == 1 &&
	   ds.pixels[11 * 6 + 5] == ((11 * 7 + 5) & 255), "limit keeps the first 12 images");
	if (rc)
		diag("%s", err.msg);
	qx_dataset_free(&ds);
	rc = qx_suite_load_calibration(&s, &ds, &err);
	ok(rc == 0 && ds.count == 4 && ds.labels[0] == 0 && ds.labels[3] == 3 &&
	   ds.pixels[0] == 70 && ds.pixels[3 * 6 + 2] == ((13 * 7 + 2) & 255),
	   "calibration keeps images 10..13");
	qx_dataset_free(&ds);

	/* Too few images for limit and for first + count, reported at the suite's lines. */
	s.dataset.limit = 31;
	rc = qx_suite_load_dataset(&s, &ds, &err);
	char prefix[1200];
	snprintf(prefix, sizeof prefix, "%s:6:10: dataset.limit: 31 images", path);
	ok(rc == QX_EINVAL && !strncmp(err.msg, prefix, strlen(prefix)) && strstr(err.msg, "30"),
	   "limit beyond the set: %s", err.msg);
	s.calibration.first = 27;
	for (int i = 0; i < s.n_plugins; i++)
		s.plugins[i].calib_first = 27;
	rc = qx_suite_load_calibration(&s, &ds, &err);
	snprintf(prefix, sizeof prefix, "%s:10:10: calibration: images 27..30", path);
	ok(rc == QX_EINVAL && !strncmp(err.msg, prefix, strlen(prefix)),
	   "calibration beyond the set: %s", err.msg);
	qx_suite_free(&s);

	/* A missing IDX file is reported at its suite line. */
	write_file("nodata.yaml",
	           "model: model.onnx\n"
	           "dataset:\n"
	           "  format: idx\n"
	           "  images: nope.idx\n"
	           "  labels: lab.idx\n"
	           "calibration: { images: img.idx, labels: nope2.idx }\n");
	suite_path(path, sizeof path, "nodata.yaml");
	if (ok(qx_suite_load(path, &s, &err) == 0, "a suite with missing IDX files loads")) {
		rc = qx_suite_load_dataset(&s, &ds, &err);
		snprintf(prefix, sizeof prefix, "%s:4:11: dataset.images: file '%s/nope.idx' not found",
		         path, tmp);
		ok(rc == QX_ENOENT && !strncmp(err.msg, prefix, strlen(prefix)), "%s", err.msg);
		rc = qx_suite_load_calibration(&s, &ds, &err);
		snprintf(prefix, sizeof prefix, "%s:6:41: calibration.labels: file '%s/nope2.idx' not "
		         "found", path, tmp);
		ok(rc == QX_ENOENT && !strncmp(err.msg, prefix, strlen(prefix)), "%s", err.msg);
		qx_suite_free(&s);
	}
}

static void test_errors(void)
{
	char path[512], prefix[1200];
	struct qx_suite s;
	struct qx_error err = { 0 };

	/* The brief's example messages. */
	check_error("x.yaml", BASE "plugns: []\n", QX_EINVAL, "9:1",
	            "unknown key 'plugns'", "expected one of: name, model, dataset", NULL);
	/* A missing model is found by qx_suite_check_model, after the data, at the model: line. */
	write_file("nomodel.yaml", "model: ../models/nope.onnx\n" BASE_AFTER_MODEL);
	suite_path(path, sizeof path, "nomodel.yaml");
	if (ok(qx_suite_load(path, &s, &err) == 0, "a suite whose model is missing still loads")) {
		int rc = qx_suite_check_model(&s, &err);
		snprintf(prefix, sizeof prefix, "%s:1:8: model file '", path);
		ok(rc == QX_ENOENT && !strncmp(err.msg, prefix, strlen(prefix)) &&
		   strstr(err.msg, "not found"), "missing model: %s", err.msg);
		qx_suite_free(&s);
	}
	check_error("int.yaml", BASE "batch: abc\n", QX_EINVAL, "9:8", "batch", "'abc'",
	            "expected an integer", NULL);
	check_error("quoted.yaml", BASE "batch: \"64\"\n", QX_EINVAL, "9:8", "quoted",
	            "expected an integer", NULL);
	check_error("float.yaml", BASE "batch: 6.5\n", QX_EINVAL, "9:8", "expected an integer",
	            NULL);
	check_error("negbatch.yaml", BASE "batch: -3\n", QX_EINVAL, "9:8", "batch: -3",
	            "out of range", "expected an integer in 1..65536", NULL);
	check_error("bigint.yaml", BASE "batch: 99999999999999999999999\n", QX_EINVAL, "9:8",
	            "out of range", NULL);
	check_error("missing.yaml", "# a comment\n\ndataset: {format: idx}\n", QX_EINVAL, "3:1",
	            "missing required key 'model'", NULL);
	check_error("nodataset.yaml", "model: model.onnx\n", QX_EINVAL, "1:1",
	            "missing required key 'dataset'", NULL);
	check_error("nocalib.yaml",
	            "model: model.onnx\ndataset:\n  format: idx\n  images: a\n  labels: b\n",
	            QX_EINVAL, "1:1", "missing required key 'calibration'", NULL);
	check_error("noimages.yaml", "model: model.onnx\ndataset:\n  format: idx\n  labels: b\n",
	            QX_EINVAL, "2:1", "dataset: missing required key 'images'", NULL);
	check_error("noformat.yaml", "model: model.onnx\ndataset:\n  images: a\n", QX_EINVAL,
	            "2:1", "dataset: missing required key 'format'", "idx or cifar10", NULL);
	check_error("badformat.yaml", "model: model.onnx\ndataset:\n  format: png\n", QX_EINVAL,
	            "3:11", "unknown format 'png'", NULL);
	check_error("kernel.yaml", BASE "kernels: [scalar, avx3]\n", QX_EINVAL, "9:19",
	            "unknown kernel set 'avx3'", "avx512vnni", NULL);
	check_error("kernelall.yaml", BASE "kernels: [avx2, all]\n", QX_EINVAL, "9:17",
	            "'all' with other entries", NULL);
	check_error("kerneltwice.yaml", BASE "kernels: [avx2, avx2]\n", QX_EINVAL, "9:17",
	            "'avx2' listed twice", NULL);
	check_error("kernelscalar.yaml", BASE "kernels: avx2\n", QX_EINVAL, "9:10",
	            "expected a list of kernel set names", NULL);
	check_error("std0.yaml", BASE "preprocess:\n  std: [0]\n", QX_EINVAL, "10:9",
	            "preprocess.std[0]: 0 is out of range", "expected a number > 0", NULL);
	check_error("stdneg.yaml", BASE "preprocess:\n  std: -0.5\n", QX_EINVAL, "10:8",
	            "preprocess.std", "out of range", NULL);
	/* Values valid as double but not as the float they are stored in (issue 13). */
	check_error("stdtiny.yaml", BASE "preprocess:\n  std: 1e-50\n", QX_EINVAL, "10:8",
	            "preprocess.std: 1e-50 is out of range for a 32-bit float", NULL);
	check_error("stdsubnormal.yaml", BASE "preprocess:\n  std: [1e-40]\n", QX_EINVAL, "10:9",
	            "preprocess.std[0]: 1e-40 is out of range for a 32-bit float", NULL);
	check_error("meanhuge.yaml", BASE "preprocess:\n  mean: 1e300\n", QX_EINVAL, "10:9",
	            "preprocess.mean: 1e300 is out of range for a 32-bit float", NULL);
	check_error("scalehuge.yaml", BASE "preprocess:\n  scale: 1e39\n", QX_EINVAL, "10:10",
	            "preprocess.scale: 1e39 is out of range for a 32-bit float", NULL);
	check_error("stdoverflow.yaml", BASE "preprocess:\n  scale: 1e30\n  std: 1e-7\n",
	            QX_EINVAL, "9:1",
	            "preprocess: pixel 255 of channel 0 becomes inf", "expected a finite float",
	            NULL);
	check_error("scale0.yaml", BASE "preprocess:\n  scale: 0\n", QX_EINVAL, "10:10",
	            "preprocess.scale", NULL);
	check_error("meancount.yaml", BASE "preprocess:\n  mean: [0.1, 0.2, 0.3]\n", QX_EINVAL,
	            "10:9", "preprocess.mean: 3 values", "expected 1", NULL);
	check_error("cifarmean.yaml", CIFAR_BASE "preprocess:\n  mean: [0.1, 0.2]\n", QX_EINVAL,
	            "8:9", "preprocess.mean: 2 values", "expected 1, or 3", NULL);
	check_error("meannan.yaml", BASE "preprocess:\n  mean: .nan\n", QX_EINVAL, "10:9",
	            "expected a number", NULL);
	check_error("dupkey.yaml", BASE "batch: 1\nbatch: 2\n", QX_EINVAL, "10:1",
	            "duplicate key 'batch'", "first at 9:1", NULL);
	check_error("dupnested.yaml",
	            "model: model.onnx\ndataset:\n  format: idx\n  format: idx\n", QX_EINVAL,
	            "4:3", "duplicate key 'format' in dataset", NULL);
	check_error("nested.yaml", BASE "measure:\n  thread: [1]\n", QX_EINVAL, "10:3",
	            "unknown key 'thread' in measure", "threads", NULL);
	check_error("files_idx.yaml", "model: model.onnx\ndataset:\n  format: idx\n  files: [a]\n",
	            QX_EINVAL, "4:3", "key 'files' is for format cifar10", NULL);
	check_error("images_cifar.yaml",
	            "model: model.onnx\ndataset:\n  format: cifar10\n  images: a\n", QX_EINVAL,
	            "4:3", "key 'images' is for format idx", NULL);
	check_error("cifarclasses.yaml",
	            "model: model.onnx\ndataset:\n  format: cifar10\n  files: [a]\n  classes: 11\n"
	            "calibration:\n  files: [a]\n", QX_EINVAL, "5:12", "expected 10", NULL);
	check_error("classes1.yaml",
	            "model: model.onnx\ndataset:\n  format: idx\n  images: a\n  labels: b\n"
	            "  classes: 1\n", QX_EINVAL, "6:12", "expected an integer in 2..256", NULL);
	check_error("calibformat.yaml", BASE "  format: idx\n", QX_EINVAL, "9:3",
	            "unknown key 'format' in calibration", NULL);
	check_error("calibcount.yaml", BASE "  count: 0\n", QX_EINVAL, "9:10",
	            "calibration.count: 0 is out of range", NULL);
	check_error("section.yaml", BASE "measure:\n", QX_EINVAL, "9:9", "measure: got nothing",
	            "expected a mapping", NULL);
	check_error("threads.yaml", BASE "measure:\n  threads: [1, 0]\n", QX_EINVAL, "10:16",
	            "measure.threads[1]: 0 is out of range", NULL);
	check_error("threads2.yaml", BASE "measure:\n  threads: [2, 2]\n", QX_EINVAL, "10:16",
	            "2 listed twice", NULL);
	check_error("threads3.yaml", BASE "measure:\n  threads: []\n", QX_EINVAL, "10:12",
	            "measure.threads: empty list", NULL);
	check_error("enabled.yaml", BASE "measure:\n  enabled: maybe\n", QX_EINVAL, "10:12",
	            "expected true or false", NULL);
	check_error("mintime.yaml", BASE "measure:\n  min_time: 0\n", QX_EINVAL, "10:13",
	            "measure.min_time", "expected a number > 0", NULL);
	check_error("maxreps.yaml", BASE "measure:\n  repetitions: 10\n  max_repetitions: 4\n",
	            QX_EINVAL, "11:20", "measure.max_repetitions: 4 is below measure.repetitions (10)",
	            NULL);
	check_error("citarget.yaml", BASE "measure:\n  ci_target: -1\n", QX_EINVAL, "10:14",
	            "measure.ci_target", NULL);
	check_error("name.yaml", "name: a/b\n" BASE, QX_EINVAL, "1:7", "cannot name a results",
	            NULL);
	check_error("plugin_both.yaml", BASE "plugins:\n  - name: dynamic\n    path: x.so\n",
	            QX_EINVAL, "11:5", "plugins[0]: both 'name' and 'path'", NULL);
	check_error("plugin_none.yaml", BASE "plugins:\n  - name: dynamic\n  - timeout: 5\n",
	            QX_EINVAL, "11:5", "plugins[1]: missing 'name' or 'path'", NULL);
	check_error("plugin_key.yaml", BASE "plugins:\n  - name: dynamic\n    option: {}\n",
	            QX_EINVAL, "11:5", "unknown key 'option' in plugins[0]", "options", NULL);
	check_error("plugin_twice.yaml", BASE "plugins:\n  - name: dynamic\n  - name: dynamic\n",
	            QX_EINVAL, "11:5", "'dynamic' again", "first at 10:5", "label", NULL);
	check_error("plugin_optval.yaml",
	            BASE "plugins:\n  - name: histogram\n    options: { bins: [[1, 2]] }\n",
	            QX_EINVAL, "11:23", "plugins[0].options.bins[0]: got a list", NULL);
	check_error("plugin_optdup.yaml",
	            BASE "plugins:\n  - name: histogram\n    options:\n      bins: 1\n      bins: 2\n",
	            QX_EINVAL, "13:7", "duplicate option 'bins'", "first at 12:7", NULL);
	check_error("plugin_opts.yaml", BASE "plugins:\n  - name: histogram\n    options: [bins]\n",
	            QX_EINVAL, "11:14", "plugins[0].options: got a list", NULL);
	check_error("plugin_timeout.yaml",
	            BASE "plugins:\n  - name: histogram\n    timeout: 0\n", QX_EINVAL, "11:14",
	            "plugins[0].timeout: 0 is out of range", NULL);
	check_error("plugin_name.yaml", BASE "plugins:\n  - name: ../evil\n", QX_EINVAL, "10:11",
	            "is not a plugin name", NULL);
	check_error("plugin_empty.yaml", BASE "plugins: []\n", QX_EINVAL, "9:10",
	            "plugins: empty list", NULL);
	check_error("plugin_entry.yaml", BASE "plugins: [dynamic]\n", QX_EINVAL, "9:11",
	            "plugins[0]: got 'dynamic'", "expected a mapping", NULL);
	check_error("toplist.yaml", "- model: a\n", QX_EINVAL, "1:1", "suite: got a list",
	            "expected a mapping", NULL);
	check_error("syntax.yaml", "model: model.onnx\ndataset: [a, b\n", QX_EINVAL, "3:1",
	            "YAML syntax", "expected valid YAML", NULL);
	check_error("syntax2.yaml", "model: model.onnx\n  dataset: x\n", QX_EINVAL, "2:10",
	            "YAML syntax: mapping values are not allowed", NULL);
	check_error("tab.yaml", "model: model.onnx\ndataset:\n\tformat: idx\n", QX_EINVAL, "3:1",
	            "YAML syntax: a tab character", "never tabs", NULL);
	check_error("twodocs.yaml", BASE "---\nname: other\n", QX_EINVAL, "10:1",
	            "a second YAML document", NULL);
	check_error("empty.yaml", "# nothing\n", QX_EINVAL, "1:1", "empty suite", NULL);
	check_error("utf8.yaml", "model: \xff\xfe\n", QX_EINVAL, " byte 7", "expected UTF-8", NULL);

	/* A suite file that does not exist. */
	suite_path(path, sizeof path, "absent.yaml");
	int rc = qx_suite_load(path, &s, &err);
	snprintf(prefix, sizeof prefix, "%s: suite file not found", path);
	ok(rc == QX_ENOENT && !strncmp(err.msg, prefix, strlen(prefix)), "absent suite: %s",
	   err.msg);
}

/* sensitivity: and fallback: on a plugins: entry (harness/investigate/). BASE is 8 lines, so
 * plugins: is line 9 and the entry's first key line 10. */
static void test_investigate_keys(void)
{
	char path[512];
	write_file("investigate.yaml", BASE "plugins:\n"
	           "  - name: static-per-tensor\n"
	           "    sensitivity: { images: 500 }\n"
	           "    fallback: { max_drop: 0.1 }\n"
	           "  - name: dynamic\n"
	           "    fallback: { max_drop: 0, images: 2000 }\n"
	           "  - name: histogram\n");
	suite_path(path, sizeof path, "investigate.yaml");
	struct qx_suite s;
	struct qx_error err = { 0 };
	if (!ok(qx_suite_load(path, &s, &err) == 0, "sensitivity: and fallback: load")) {
		diag("%s", err.msg);
		return;
	}
	const struct qx_suite_plugin *p = s.plugins;
	ok(p[0].sensitivity && p[0].sensitivity_images == 500 && p[0].fallback &&
	   p[0].fallback_max_drop == 0.1 && p[0].fallback_images == 0 &&
	   p[0].fallback_pos.line == 12 && p[0].fallback_pos.column == 15,
	   "entry 0: sensitivity on 500 images, budget 0.1 at 12:15, fallback images default (0)");
	ok(!p[1].sensitivity && p[1].fallback && p[1].fallback_max_drop == 0 &&
	   p[1].fallback_images == 2000, "entry 1: budget 0 points, 2000 sensitivity images");
	ok(!p[2].sensitivity && !p[2].fallback && p[2].sensitivity_images == 0,
	   "entry 2: neither (the default)");
	qx_suite_free(&s);

	check_error("fallback_negative.yaml",
	            BASE "plugins:\n  - name: dynamic\n    fallback: { max_drop: -1 }\n", QX_EINVAL,
	            "11:27", "plugins[0].fallback.max_drop: -1 is out of range", "expected a number >= 0",
	            NULL);
	check_error("fallback_scalar.yaml",
	            BASE "plugins:\n  - name: dynamic\n    fallback: 0.2\n", QX_EINVAL, "11:15",
	            "plugins[0].fallback", "expected a mapping with keys max_drop, images", NULL);
	check_error("fallback_missing.yaml",
	            BASE "plugins:\n  - name: dynamic\n    fallback: { images: 10 }\n", QX_EINVAL,
	            "11:15", "missing 'max_drop'", NULL);
	check_error("fallback_unknown.yaml",
	            BASE "plugins:\n  - name: dynamic\n    fallback: { max_drop: 1, budget: 2 }\n",
	            QX_EINVAL, "11:30", "unknown key 'budget'", "max_drop, images", NULL);
	check_error("sensitivity_zero.yaml",
	            BASE "plugins:\n  - name: dynamic\n    sensitivity: { images: 0 }\n", QX_EINVAL,
	            "11:28", "plugins[0].sensitivity.images: 0 is out of range", NULL);
}

/* Sweeps: lists in a plugin entry's options: and calibration: expand into one entry per
 * configuration, each labelled by the swept keys and pointing at its list elements. */
static void test_sweeps(void)
{
	write_file("sweep.yaml", BASE
	           "  count: 100\n"                                            /* 9 */
	           "plugins:\n"                                                /* 10 */
	           "  - name: static-per-tensor\n"                             /* 11 */
	           "    options:\n"                                            /* 12 */
	           "      qparams: [global_minmax, moving_average]\n"          /* 13 */
	           "      reduce_range: false\n"                               /* 14 */
	           "    calibration: { count: [64, 256], first: 3 }\n"         /* 15 */
	           "  - name: dynamic\n"                                       /* 16 */
	           "  - name: histogram\n"                                     /* 17 */
	           "    label: h\n"                                            /* 18 */
	           "    options: { bins: [512, 2048], upsample: 64 }\n");     /* 19 */
	char path[512];
	suite_path(path, sizeof path, "sweep.yaml");
	struct qx_suite s;
	struct qx_error err = { 0 };
	if (!ok(qx_suite_load(path, &s, &err) == 0, "a suite with sweeps loads")) {
		diag("%s", err.msg);
		return;
	}
	static const char *const labels[] = {
		"static-per-tensor[qparams=global_minmax,count=64]",
		"static-per-tensor[qparams=global_minmax,count=256]",
		"static-per-tensor[qparams=moving_average,count=64]",
		"static-per-tensor[qparams=moving_average,count=256]",
		"dynamic", "h[bins=512]", "h[bins=2048]",
	};
	int good = s.n_plugins == 7;
	for (int i = 0; good && i < 7; i++)
		if (strcmp(s.plugins[i].label, labels[i])) {
			diag("plugins[%d]: '%s' (expected '%s')", i, s.plugins[i].label, labels[i]);
			good = 0;
		}
	ok(good, "2 x 2 + 1 + 2 entries, labelled by the swept keys in file order (%d)",
	   s.n_plugins);
	if (!good) {
		qx_suite_free(&s);
		return;
	}
	const struct qx_suite_plugin *p = s.plugins;
	ok(!strcmp(p[2].name, "static-per-tensor") && p[2].n_options == 2 &&
	   !strcmp(p[2].options[0].key, "qparams") && !strcmp(p[2].options[0].value, "moving_average") &&
	   !strcmp(p[2].options[1].key, "reduce_range") && !strcmp(p[2].options[1].value, "false"),
	   "an expanded entry holds one value per option");
	ok(p[0].options[0].value_pos.line == 13 && p[0].options[0].value_pos.column == 17 &&
	   p[2].options[0].value_pos.line == 13 && p[2].options[0].value_pos.column == 32 &&
	   p[2].options[1].value_pos.line == 14 && p[2].options[1].value_pos.column == 21,
	   "each value keeps its list element's line:column (13:%d, 13:%d)",
	   p[0].options[0].value_pos.column, p[2].options[0].value_pos.column);
	ok(p[0].calib_count == 64 && p[1].calib_count == 256 && p[0].calib_first == 3 &&
	   p[0].calib_count_pos.line == 15 && p[0].calib_count_pos.column == 28 &&
	   p[1].calib_count_pos.column == 32 && p[1].calib_first_pos.line == 15 &&
	   p[1].calib_first_pos.column == 45, "per-entry calibration count and first, with places");
	ok(p[4].calib_count == 100 && p[4].calib_first == 0 && p[4].calib_count_pos.line == 9 &&
	   !p[4].sweep_base && p[4].n_sweep == 0, "an entry without lists: the suite's calibration, "
	   "no sweep");
	ok(s.calibration.span_first == 0 && s.calibration.span_count == 259,
	   "calibration loads the union of the entries' images (0..258): %lld, %lld",
	   (long long)s.calibration.span_first, (long long)s.calibration.span_count);
	ok(!strcmp(p[3].sweep_base, "static-per-tensor") && p[3].n_sweep == 2 &&
	   !strcmp(p[3].sweep[0].key, "qparams") && !p[3].sweep[0].calibration &&
	   !strcmp(p[3].sweep[1].key, "count") && p[3].sweep[1].calibration &&
	   !strcmp(p[3].sweep[1].value, "256") && !strcmp(p[6].sweep_base, "h") &&
	   p[6].options[1].value_pos.line == 19, "sweep base and values");
	json_t *j = qx_results_sweep_json(&p[3]);
	json_t *v = json_object_get(j, "values");
	ok(j && !strcmp(json_string_value(json_object_get(j, "base")), "static-per-tensor") &&
	   json_object_size(v) == 2 &&
	   !strcmp(json_string_value(json_object_get(v, "qparams")), "moving_average") &&
	   json_integer_value(json_object_get(v, "count")) == 256 && !qx_results_sweep_json(&p[4]),
	   "results.json's sweep: base, values typed");
	json_decref(j);
	qx_suite_free(&s);

	/* An option named count keeps the name; the calibration key is then spelt in full. */
	write_file("sweep_names.yaml", BASE "plugins:\n  - path: x/my.so\n    label: mine\n"
	           "    options: { count: [1, 2] }\n    calibration: { count: [8, 9] }\n");
	suite_path(path, sizeof path, "sweep_names.yaml");
	if (ok(qx_suite_load(path, &s, &err) == 0, "option and calibration both named count")) {
		ok(s.n_plugins == 4 && !strcmp(s.plugins[1].label, "mine[count=1,calibration.count=9]"),
		   "label base from label:, calibration.count spelt in full: %s",
		   s.n_plugins > 1 ? s.plugins[1].label : "-");
		qx_suite_free(&s);
	} else {
		diag("%s", err.msg);
	}

	/* Errors: at the list or element, before any work. */
	char big[2048] = BASE "plugins:\n  - name: histogram\n    options:\n      a: [";
	for (int i = 0; i < 17; i++)
		snprintf(big + strlen(big), sizeof big - strlen(big), "%s%d", i ? ", " : "", i);
	snprintf(big + strlen(big), sizeof big - strlen(big), "]\n      b: [");
	for (int i = 0; i < 16; i++)
		snprintf(big + strlen(big), sizeof big - strlen(big), "%s%d", i ? ", " : "", i);
	snprintf(big + strlen(big), sizeof big - strlen(big), "]\n");
	check_error("sweep_limit.yaml", big, QX_EINVAL, "10:5", "plugins[0]",
	            "more than 256 configurations", "17 a x 16 b", NULL);
	char total[2048] = BASE "plugins:\n";
	for (int e = 0; e < 2; e++) {
		snprintf(total + strlen(total), sizeof total - strlen(total),
		         "  - name: histogram\n    label: h%d\n    options: { bins: [", e);
		for (int i = 1; i <= 16; i++)
			snprintf(total + strlen(total), sizeof total - strlen(total), "%s%d", i > 1 ? ", " : "", i);
		snprintf(total + strlen(total), sizeof total - strlen(total), "], upsample: [");
		for (int i = 1; i <= 9; i++)
			snprintf(total + strlen(total), sizeof total - strlen(total), "%s%d", i > 1 ? ", " : "", i);
		snprintf(total + strlen(total), sizeof total - strlen(total), "] }\n");
	}
	check_error("sweep_total.yaml", total, QX_EINVAL, "13:5", "plugins[1]", "288",
	            "at most 256 in all", NULL);
	check_error("sweep_name.yaml", BASE "plugins:\n  - name: [dynamic, histogram]\n",
	            QX_EINVAL, "10:11", "plugins[0].name: got a list", NULL);
	check_error("sweep_label.yaml", BASE "plugins:\n  - name: dynamic\n    label: [a, b]\n",
	            QX_EINVAL, "11:12", "plugins[0].label: got a list", NULL);
	check_error("sweep_empty.yaml", BASE "plugins:\n  - name: histogram\n    options: { bins: [] }\n",
	            QX_EINVAL, "11:22", "plugins[0].options.bins: a list of 0 values", NULL);
	check_error("sweep_again.yaml",
	            BASE "plugins:\n  - name: histogram\n    options: { bins: [512, 1024, 512] }\n",
	            QX_EINVAL, "11:34", "plugins[0].options.bins[2]: '512' again", "first at 11:23",
	            NULL);
	check_error("sweep_word.yaml",
	            BASE "plugins:\n  - name: histogram\n    options: { mode: [a, \"b/c\"] }\n",
	            QX_EINVAL, "11:26", "plugins[0].options.mode[1]: 'b/c' cannot be part of a "
	            "results label", NULL);
	check_error("sweep_count.yaml",
	            BASE "plugins:\n  - name: histogram\n    calibration: { count: [64, 0] }\n",
	            QX_EINVAL, "11:32", "plugins[0].calibration.count[1]: 0 is out of range", NULL);
	check_error("sweep_calkey.yaml",
	            BASE "plugins:\n  - name: histogram\n    calibration: { batch: 2 }\n",
	            QX_EINVAL, "11:20", "unknown key 'batch'", "count, first", NULL);
	check_error("sweep_suitecount.yaml", BASE "  count: [64, 256]\n", QX_EINVAL, "9:10",
	            "calibration.count", "got a list", NULL);
}

int main(void)
{
	snprintf(tmp, sizeof tmp, "/tmp/qx-test-suite-XXXXXX");
	if (!mkdtemp(tmp))
		return tap_skip_all("cannot create a temporary folder");
	write_file("model.onnx", "");
	test_defaults();
	test_full();
	test_shipped();
	test_datasets();
	test_errors();
	test_investigate_keys();
	test_sweeps();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		diag("could not remove %s", tmp);
	return tap_done();
}
