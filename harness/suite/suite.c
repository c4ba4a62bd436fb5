/* Suite loading: the schema of docs/suite-format.md, checked key by key over the libyaml
 * document (harness/suite/suite_yaml.c does the typed reading). */
#include "suite/suite.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "suite/suite_parse.h"
#include "suite/suite_yaml.h"

#define MAX_FILES 64            /* CIFAR batch files in one source */

static const char *const TOP_KEYS[] = {
	"name", "model", "dataset", "calibration", "preprocess", "batch", "kernels", "plugins",
	"measure", "check", "results", NULL
};
static const char *const DATASET_KEYS[] = {
	"format", "images", "labels", "files", "classes", "limit", NULL
};
static const char *const CALIBRATION_KEYS[] = {
	"images", "labels", "files", "count", "first", "batch", NULL
};
static const char *const PREPROCESS_KEYS[] = { "scale", "mean", "std", NULL };
static const char *const MEASURE_KEYS[] = {
	"threads", "batch", "repetitions", "warmup", "min_time", "enabled", "max_repetitions",
	"ci_target", NULL
};
static const char *const CHECK_KEYS[] = { "bitexact_images", "reference_images", NULL };

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* The value of a required key, or an error at `where` (the key that holds the mapping). */
static int require(struct qx_yaml *y, yaml_node_t *map, yaml_node_t *where, const char *what,
                   const char *key, const char *expected, yaml_node_t **value)
{
	*value = qx_yaml_get(y, map, key, NULL);
	if (*value)
		return 0;
	if (what[0])
		return qx_yaml_fail(y, where, QX_EINVAL, "%s: missing required key '%s' (expected %s)",
		                    what, key, expected);
	return qx_yaml_fail(y, where, QX_EINVAL, "missing required key '%s' (expected %s)", key,
	                    expected);
}

static int get_int(struct qx_yaml *y, yaml_node_t *n, const char *what, int64_t min, int64_t max,
                   int *out)
{
	int64_t v;
	int rc = qx_yaml_int(y, n, what, min, max, &v);
	if (!rc)
		*out = (int)v;
	return rc;
}

static int parse_model(struct qx_yaml *y, struct qx_suite *s, yaml_node_t *root)
{
	yaml_node_t *n;
	int rc = require(y, root, root, "", "model", "the path of an ONNX model", &n);
	if (!rc)
		rc = qx_suite_get_path(y, s, n, "model", "the path of an ONNX model", &s->model);
	if (rc)
		return rc;
	s->model_pos = qx_yaml_pos(n);
	return 0;
}

int qx_suite_check_model(const struct qx_suite *s, struct qx_error *err)
{
	struct stat st;
	if (stat(s->model, &st) == 0 && !S_ISDIR(st.st_mode))
		return 0;
	/* The reference models are trained, not shipped (CIFAR-10's): name the next step. */
	const char *base = strrchr(s->model, '/') ? strrchr(s->model, '/') + 1 : s->model;
	if (!strcmp(base, "cifar_cnn.onnx"))
		return qx_suite_fail_at(s, s->model_pos, err, QX_ENOENT, "model file '%s' not found: "
		                        "train it (about 18 minutes of one core's time): "
		                        "tools/install-deps --train, then /usr/bin/python3 "
		                        "tools/train_reference.py --dataset cifar10 from the top of the "
		                        "source tree; then run this suite again", s->model);
	if (!strcmp(base, "fashion_cnn.onnx"))
		return qx_suite_fail_at(s, s->model_pos, err, QX_ENOENT, "model file '%s' not found: "
		                        "it ships with qx-bench (models/); to train it again: "
		                        "tools/install-deps --train, then /usr/bin/python3 "
		                        "tools/train_reference.py", s->model);
	return qx_suite_fail_at(s, s->model_pos, err, QX_ENOENT, "model file '%s' not found "
	                        "(expected an ONNX file; relative paths start at the suite's "
	                        "folder)", s->model);
	return 0;
}

static int parse_name(struct qx_yaml *y, struct qx_suite *s, yaml_node_t *root)
{
	yaml_node_t *n = qx_yaml_get(y, root, "name", NULL);
	static const char expected[] = "a name of letters, digits, '.', '_', '-'";
	if (n) {
		int rc = qx_yaml_string(y, n, "name", expected, &s->name);
		if (rc)
			return rc;
		if (!qx_suite_valid_name(s->name))
			return qx_yaml_fail(y, n, QX_EINVAL, "name: '%s' cannot name a results folder "
			                    "(expected %s, not starting with '.')", s->name, expected);
		return 0;
	}
	const char *slash = strrchr(s->path, '/');
	const char *base = slash ? slash + 1 : s->path;
	size_t len = strlen(base);
	if (len > 5 && !strcmp(base + len - 5, ".yaml"))
		len -= 5;
	else if (len > 4 && !strcmp(base + len - 4, ".yml"))
		len -= 4;
	s->name = strndup(base, len);
	if (!s->name)
		return qx_suite_nomem(y);
	if (!qx_suite_valid_name(s->name))
		return qx_yaml_fail(y, NULL, QX_EINVAL, "the file name '%s' cannot name a results "
		                    "folder (expected a name: key with %s)", s->name, expected);
	return 0;
}

/* images + labels (idx) or files (cifar10) of dataset: or calibration:, held by map under
 * key node `where`. */
static int parse_source(struct qx_yaml *y, const struct qx_suite *s, yaml_node_t *map,
                        yaml_node_t *where, const char *what, enum qx_dataset_format format,
                        struct qx_suite_source *src)
{
	char sub[64];
	yaml_node_t *key, *n;
	int rc;
	src->pos = qx_yaml_pos(where);
	if (format == QX_DATA_IDX) {
		if (qx_yaml_get(y, map, "files", &key))
			return qx_yaml_fail(y, key, QX_EINVAL, "%s: key 'files' is for format cifar10 "
			                    "(expected images and labels with format idx)", what);
		rc = require(y, map, where, what, "images", "the IDX image file", &n);
		if (rc)
			return rc;
		snprintf(sub, sizeof sub, "%s.images", what);
		rc = qx_suite_get_path(y, s, n, sub, "the path of an IDX image file", &src->images);
		if (rc)
			return rc;
		src->images_pos = qx_yaml_pos(n);
		rc = require(y, map, where, what, "labels", "the IDX label file", &n);
		if (rc)
			return rc;
		snprintf(sub, sizeof sub, "%s.labels", what);
		rc = qx_suite_get_path(y, s, n, sub, "the path of an IDX label file", &src->labels);
		if (!rc)
			src->labels_pos = qx_yaml_pos(n);
		return rc;
	}
	for (int i = 0; i < 2; i++) {
		const char *k = i ? "labels" : "images";
		if (qx_yaml_get(y, map, k, &key))
			return qx_yaml_fail(y, key, QX_EINVAL, "%s: key '%s' is for format idx (expected "
			                    "files with format cifar10)", what, k);
	}
	rc = require(y, map, where, what, "files", "a list of CIFAR-10 batch files", &n);
	if (rc)
		return rc;
	snprintf(sub, sizeof sub, "%s.files", what);
	rc = qx_yaml_check_list(y, n, sub, 1, MAX_FILES, "CIFAR-10 batch file paths");
	if (rc)
		return rc;
	src->files_pos = qx_yaml_pos(n);
	int count = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
	src->files = calloc((size_t)count, sizeof *src->files);
	if (!src->files)
		return qx_suite_nomem(y);
	for (int i = 0; i < count; i++) {
		snprintf(sub, sizeof sub, "%s.files[%d]", what, i);
		rc = qx_suite_get_path(y, s, qx_yaml_item(y, n, i), sub,
		                       "the path of a CIFAR-10 batch file", &src->files[i]);
		if (rc)
			return rc;
		src->n_files = i + 1;
	}
	return 0;
}

/* A section's mapping: NULL (and 0) when absent, else checked against allowed. */
static int section(struct qx_yaml *y, yaml_node_t *root, const char *key,
                   const char *const *allowed, yaml_node_t **map, yaml_node_t **key_node)
{
	*map = qx_yaml_get(y, root, key, key_node);
	return *map ? qx_yaml_check_mapping(y, *map, key, allowed) : 0;
}

static int parse_dataset(struct qx_yaml *y, struct qx_suite *s, yaml_node_t *root)
{
	struct qx_suite_dataset *d = &s->dataset;
	yaml_node_t *map, *key, *n;
	int rc = section(y, root, "dataset", DATASET_KEYS, &map, &key);
	if (rc)
		return rc;
	if (!map)
		return require(y, root, root, "", "dataset", "the evaluation set: format, images "
		               "and labels or files", &n);
	rc = require(y, map, key, "dataset", "format", "idx or cifar10", &n);
	if (rc)
		return rc;
	const char *format = (const char *)n->data.scalar.value;
	if (n->type == YAML_SCALAR_NODE && !strcmp(format, "idx")) {
		d->format = QX_DATA_IDX;
		d->channels = 1;
	} else if (n->type == YAML_SCALAR_NODE && !strcmp(format, "cifar10")) {
		d->format = QX_DATA_CIFAR10;
		d->channels = 3;
	} else {
		char *text = NULL;
		rc = qx_yaml_string(y, n, "dataset.format", "idx or cifar10", &text);
		free(text);
		if (rc)
			return rc;
		return qx_yaml_fail(y, n, QX_EINVAL, "dataset.format: unknown format '%s' (expected "
		                    "idx or cifar10)", format);
	}
	rc = parse_source(y, s, map, key, "dataset", d->format, &d->src);
	if (rc)
		return rc;
	if ((n = qx_yaml_get(y, map, "classes", NULL))) {
		rc = get_int(y, n, "dataset.classes", 2, 256, &d->n_classes);
		if (rc)
			return rc;
		if (d->format == QX_DATA_CIFAR10 && d->n_classes != 10)
			return qx_yaml_fail(y, n, QX_EINVAL, "dataset.classes: %d for format cifar10 "
			                    "(expected 10)", d->n_classes);
	}
	if ((n = qx_yaml_get(y, map, "limit", NULL))) {
		rc = qx_yaml_int(y, n, "dataset.limit", 0, INT64_MAX, &d->limit);
		if (rc)
			return rc;
		d->limit_pos = qx_yaml_pos(n);
	}
	return 0;
}

static int parse_calibration(struct qx_yaml *y, struct qx_suite *s, yaml_node_t *root)
{
	struct qx_suite_calibration *c = &s->calibration;
	yaml_node_t *map, *key, *n;
	int rc = section(y, root, "calibration", CALIBRATION_KEYS, &map, &key);
	if (rc)
		return rc;
	if (!map)
		return require(y, root, root, "", "calibration", "the images plugins calibrate on, "
		               "in the dataset's format", &n);
	rc = parse_source(y, s, map, key, "calibration", s->dataset.format, &c->src);
	if (rc)
		return rc;
	if ((n = qx_yaml_get(y, map, "count", NULL))) {
		rc = qx_yaml_int(y, n, "calibration.count", 1, INT32_MAX, &c->count);
		if (rc)
			return rc;
		c->count_pos = qx_yaml_pos(n);
	}
	if ((n = qx_yaml_get(y, map, "first", NULL))) {
		rc = qx_yaml_int(y, n, "calibration.first", 0, INT64_MAX, &c->first);
		if (rc)
			return rc;
		c->first_pos = qx_yaml_pos(n);
	}
	if ((n = qx_yaml_get(y, map, "batch", NULL)))
		return get_int(y, n, "calibration.batch", 1, 65536, &c->batch);
	return 0;
}

/* mean or std: one number or a list of 1 or C numbers; *count gets how many. */
static int parse_channel_values(struct qx_yaml *y, const struct qx_suite *s, yaml_node_t *n,
                                const char *what, bool positive, float *out, int *count)
{
	double min = positive ? 0 : -HUGE_VAL;
	int rc;
	if (n->type != YAML_SEQUENCE_NODE) {
		rc = qx_yaml_float(y, n, what, min, positive, HUGE_VAL, &out[0], NULL);
		if (!rc)
			*count = 1;
		return rc;
	}
	int channels = s->dataset.channels;
	int len = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (len != 1 && len != channels) {
		if (channels == 1)
			return qx_yaml_fail(y, n, QX_EINVAL, "%s: %d values (expected 1: %s images have "
			                    "one channel)", what, len, "idx");
		return qx_yaml_fail(y, n, QX_EINVAL, "%s: %d values (expected 1, or %d: one per "
		                    "channel of %s images)", what, len, channels, "cifar10");
	}
	for (int i = 0; i < len; i++) {
		char sub[48];
		snprintf(sub, sizeof sub, "%s[%d]", what, i);
		rc = qx_yaml_float(y, qx_yaml_item(y, n, i), sub, min, positive, HUGE_VAL, &out[i], NULL);
		if (rc)
			return rc;
	}
	*count = len;
	return 0;
}

/* torchvision divides by 255; p * (1/255.0f) is not always the same float as p / 255.0f.
 * scale is the value as read, already checked to be a valid float (qx_yaml_float). */
static void set_scale(struct qx_preprocess *pp, double scale)
{
	double inverse = 1.0 / scale;
	double whole = nearbyint(inverse);
	pp->scale = (float)scale;
	pp->divisor = 0;
	if (whole >= 1 && whole <= 65536 && fabs(inverse - whole) <= 1e-9 * whole) {
		pp->divisor = (float)whole;
		pp->scale = (float)(1.0 / whole);
	}
}

static int parse_preprocess(struct qx_yaml *y, struct qx_suite *s, yaml_node_t *root)
{
	struct qx_preprocess *pp = &s->preprocess;
	yaml_node_t *map, *key, *n;
	int rc = section(y, root, "preprocess", PREPROCESS_KEYS, &map, &key);
	if (rc || !map)
		return rc;
	s->preprocess_pos = qx_yaml_pos(key);
	if ((n = qx_yaml_get(y, map, "scale", NULL))) {
		float scale_f;
		double scale;
		rc = qx_yaml_float(y, n, "preprocess.scale", 0, true, HUGE_VAL, &scale_f, &scale);
		if (rc)
			return rc;
		set_scale(pp, scale);
	}
	float mean[QX_MAX_CHANNELS] = { 0 }, std[QX_MAX_CHANNELS] = { 1 };
	int n_mean = 1, n_std = 1;
	if ((n = qx_yaml_get(y, map, "mean", NULL))) {
		rc = parse_channel_values(y, s, n, "preprocess.mean", false, mean, &n_mean);
		if (rc)
			return rc;
	}
	if ((n = qx_yaml_get(y, map, "std", NULL))) {
		rc = parse_channel_values(y, s, n, "preprocess.std", true, std, &n_std);
		if (rc)
			return rc;
	}
	/* One value stands for every channel; mixing 1 and C spreads the single one. */
	pp->n_channels = n_mean == 1 && n_std == 1 ? 1 : s->dataset.channels;
	for (int c = 0; c < pp->n_channels; c++) {
		pp->mean[c] = mean[n_mean == 1 ? 0 : c];
		pp->std[c] = std[n_std == 1 ? 0 : c];
		/* Each value valid alone may still map a pixel out of float's range (std 1e-38 turns
		 * 255 into 2.5e40): every pixel 0..255 must give a finite input. */
		for (int p = 0; p <= 255; p += 255) {
			float x = pp->divisor > 0 ? (float)p / pp->divisor : (float)p * pp->scale;
			float v = (x - pp->mean[c]) / pp->std[c];
			if (!isfinite(x - pp->mean[c]) || !isfinite(v))
				return qx_yaml_fail(y, key, QX_EINVAL, "preprocess: pixel %d of channel %d "
				                    "becomes %g with scale %g, mean %g, std %g (expected a "
				                    "finite float)", p, c, (double)v, (double)pp->scale,
				                    (double)pp->mean[c], (double)pp->std[c]);
		}
	}
	return 0;
}

static int parse_kernels(struct qx_yaml *y, struct qx_suite *s, yaml_node_t *root)
{
	yaml_node_t *n = qx_yaml_get(y, root, "kernels", NULL);
	if (!n)
		return 0;
	char names[160] = "auto, all";
	for (int k = 0; k < QX_KSET_COUNT; k++) {
		size_t len = strlen(names);
		snprintf(names + len, sizeof names - len, ", %s", qx_kset_name((enum qx_kset)k));
	}
	char expected[200];
	snprintf(expected, sizeof expected, "kernel set names (%s)", names);
	int rc = qx_yaml_check_list(y, n, "kernels", 1, QX_KSET_COUNT, expected);
	if (rc)
		return rc;
	s->kernels_pos = qx_yaml_pos(n);
	int len = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
	s->kernels_mode = QX_SUITE_KERNELS_LISTED;
	s->n_kernel_sets = 0;
	for (int i = 0; i < len; i++) {
		yaml_node_t *item = qx_yaml_item(y, n, i);
		char what[32], *name;
		snprintf(what, sizeof what, "kernels[%d]", i);
		rc = qx_yaml_string(y, item, what, "a kernel set name", &name);
		if (rc)
			return rc;
		int found = -1;
		for (int k = 0; k < QX_KSET_COUNT && found < 0; k++)
			if (!strcmp(name, qx_kset_name((enum qx_kset)k)))
				found = k;
		bool special = !strcmp(name, "auto") || !strcmp(name, "all");
		if (special && len > 1)
			rc = qx_yaml_fail(y, item, QX_EINVAL, "%s: '%s' with other entries (expected "
			                  "[%s] alone, or a list of kernel set names)", what, name, name);
		else if (special)
			s->kernels_mode = !strcmp(name, "all") ? QX_SUITE_KERNELS_ALL
			                                       : QX_SUITE_KERNELS_AUTO;
		else if (found < 0)
			rc = qx_yaml_fail(y, item, QX_EINVAL, "%s: unknown kernel set '%s' (expected one "
			                  "of: %s)", what, name, names);
		for (int j = 0; j < s->n_kernel_sets && !rc; j++)
			if (s->kernel_sets[j] == (enum qx_kset)found)
				rc = qx_yaml_fail(y, item, QX_EINVAL, "%s: '%s' listed twice (expected "
				                  "each kernel set once)", what, name);
		free(name);
		if (rc)
			return rc;
		if (!special)
			s->kernel_sets[s->n_kernel_sets++] = (enum qx_kset)found;
	}
	return 0;
}

/* A list of distinct integers in [min, max]. */
static int parse_int_list(struct qx_yaml *y, yaml_node_t *n, const char *what, int min, int max,
                          int *out, int *count)
{
	char expected[64];
	snprintf(expected, sizeof expected, "integers in %d..%d", min, max);
	int rc = qx_yaml_check_list(y, n, what, 1, QX_SUITE_MAX_LIST, expected);
	if (rc)
		return rc;
	int len = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
	for (int i = 0; i < len; i++) {
		yaml_node_t *item = qx_yaml_item(y, n, i);
		char sub[48];
		snprintf(sub, sizeof sub, "%s[%d]", what, i);
		rc = get_int(y, item, sub, min, max, &out[i]);
		if (rc)
			return rc;
		for (int j = 0; j < i; j++)
			if (out[j] == out[i])
				return qx_yaml_fail(y, item, QX_EINVAL, "%s: %d listed twice (expected each "
				                    "value once)", sub, out[i]);
	}
	*count = len;
	return 0;
}

static int parse_measure(struct qx_yaml *y, struct qx_suite *s, yaml_node_t *root)
{
	struct qx_suite_measure *m = &s->measure;
	yaml_node_t *map, *key, *n;
	int rc = section(y, root, "measure", MEASURE_KEYS, &map, &key);
	if (rc || !map)
		return rc;
	if ((n = qx_yaml_get(y, map, "threads", NULL)) &&
	    (rc = parse_int_list(y, n, "measure.threads", 1, 4096, m->threads, &m->n_threads)))
		return rc;
	if ((n = qx_yaml_get(y, map, "batch", NULL)) &&
	    (rc = parse_int_list(y, n, "measure.batch", 1, 65536, m->batch, &m->n_batch)))
		return rc;
	if ((n = qx_yaml_get(y, map, "repetitions", NULL)) &&
	    (rc = get_int(y, n, "measure.repetitions", 1, 100000, &m->repetitions)))
		return rc;
	if ((n = qx_yaml_get(y, map, "warmup", NULL)) &&
	    (rc = qx_yaml_number(y, n, "measure.warmup", 0, false, 3600, &m->warmup_s)))
		return rc;
	if ((n = qx_yaml_get(y, map, "min_time", NULL)) &&
	    (rc = qx_yaml_number(y, n, "measure.min_time", 0, true, 3600, &m->min_time_s)))
		return rc;
	if ((n = qx_yaml_get(y, map, "max_repetitions", NULL)) &&
	    (rc = get_int(y, n, "measure.max_repetitions", 1, 100000, &m->max_repetitions)))
		return rc;
	if ((n = qx_yaml_get(y, map, "ci_target", NULL)) &&
	    (rc = qx_yaml_number(y, n, "measure.ci_target", 0, false, 100, &m->ci_target_percent)))
		return rc;
	if ((n = qx_yaml_get(y, map, "enabled", NULL)) &&
	    (rc = qx_yaml_bool(y, n, "measure.enabled", &m->enabled)))
		return rc;
	/* Adaptive rounds stop between repetitions and max_repetitions: fewer than the minimum
	 * is a contradiction the user should see, not a silent clamp. */
	if (m->max_repetitions && m->max_repetitions < m->repetitions) {
		yaml_node_t *at = qx_yaml_get(y, map, "max_repetitions", NULL);
		return qx_yaml_fail(y, at ? at : map, QX_EINVAL, "measure.max_repetitions: %d is "
		                    "below measure.repetitions (%d) (expected at least as many)",
		                    m->max_repetitions, m->repetitions);
	}
	return 0;
}

static int parse_check(struct qx_yaml *y, struct qx_suite *s, yaml_node_t *root)
{
	yaml_node_t *map, *key, *n;
	int rc = section(y, root, "check", CHECK_KEYS, &map, &key);
	if (rc || !map)
		return rc;
	if ((n = qx_yaml_get(y, map, "bitexact_images", NULL)) &&
	    (rc = qx_yaml_int(y, n, "check.bitexact_images", 0, INT64_MAX, &s->bitexact_images)))
		return rc;
	if ((n = qx_yaml_get(y, map, "reference_images", NULL)) &&
	    (rc = qx_yaml_int(y, n, "check.reference_images", 0, INT64_MAX, &s->reference_images)))
		return rc;
	return 0;
}

static void set_defaults(struct qx_suite *s)
{
	s->dataset.n_classes = 10;
	s->calibration.count = 256;
	s->calibration.batch = 32;
	s->preprocess.n_channels = 1;
	s->preprocess.std[0] = 1;
	set_scale(&s->preprocess, 1.0 / 255);
	s->batch = 64;
	s->kernels_mode = QX_SUITE_KERNELS_AUTO;
	s->measure.enabled = true;
	s->measure.threads[0] = 1;
	s->measure.n_threads = 1;
	s->measure.batch[0] = 1;
	s->measure.batch[1] = 64;
	s->measure.n_batch = 2;
	s->measure.repetitions = 10;
	s->measure.warmup_s = 0.1;
	s->measure.min_time_s = 0.2;
	s->measure.ci_target_percent = 1.0;
	s->bitexact_images = 512;
	s->reference_images = 512;
}

static int parse(struct qx_yaml *y, struct qx_suite *s)
{
	yaml_node_t *root = qx_yaml_root(y);
	if (!root)
		return qx_fail(y->err, QX_EINVAL, "%s:1:1: empty suite (expected a mapping with at "
		               "least model, dataset and calibration)", y->path);
	int rc = qx_yaml_check_mapping(y, root, "", TOP_KEYS);
	if (rc)
		return rc;
	s->path = strdup(y->path);
	s->dir = dir_of(y->path);
	if (!s->path || !s->dir)
		return qx_suite_nomem(y);
	set_defaults(s);
	if ((rc = parse_name(y, s, root)) || (rc = parse_model(y, s, root)) ||
	    (rc = parse_dataset(y, s, root)) || (rc = parse_calibration(y, s, root)) ||
	    (rc = parse_preprocess(y, s, root)) || (rc = parse_kernels(y, s, root)) ||
	    (rc = qx_suite_parse_plugins(y, s, root)) || (rc = parse_measure(y, s, root)) ||
	    (rc = parse_check(y, s, root)))
		return rc;
	yaml_node_t *n = qx_yaml_get(y, root, "batch", NULL);
	if (n && (rc = get_int(y, n, "batch", 1, 65536, &s->batch)))
		return rc;
	n = qx_yaml_get(y, root, "results", NULL);
	if (n)
		return qx_suite_get_path(y, s, n, "results", "the path of a results folder",
		                         &s->results_dir);
	s->results_dir = qx_suite_join_path(s->dir, "../results");
	return s->results_dir ? 0 : qx_suite_nomem(y);
}

int qx_suite_load(const char *path, struct qx_suite *suite, struct qx_error *err)
{
	memset(suite, 0, sizeof *suite);
	struct qx_yaml y;
	int rc = qx_yaml_load(&y, path, err);
	if (rc)
		return rc;
	rc = parse(&y, suite);
	qx_yaml_free(&y);
	if (rc)
		qx_suite_free(suite);
	return rc;
}

static void free_source(struct qx_suite_source *src)
{
	free(src->images);
	free(src->labels);
	for (int i = 0; i < src->n_files; i++)
		free(src->files[i]);
	free(src->files);
}

void qx_suite_free(struct qx_suite *suite)
{
	if (!suite)
		return;
	free(suite->path);
	free(suite->dir);
	free(suite->name);
	free(suite->model);
	free_source(&suite->dataset.src);
	free_source(&suite->calibration.src);
	for (int i = 0; i < suite->n_plugins; i++)
		qx_suite_plugin_free(&suite->plugins[i]);
	free(suite->plugins);
	free(suite->results_dir);
	memset(suite, 0, sizeof *suite);
}

int qx_suite_fail_at(const struct qx_suite *suite, struct qx_suite_pos pos, struct qx_error *err,
                     int code, const char *fmt, ...)
{
	char msg[sizeof err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	const char *path = suite && suite->path ? suite->path : "suite";
	if (pos.line > 0)
		return qx_fail(err, code, "%s:%d:%d: %s", path, pos.line, pos.column, msg);
	return qx_fail(err, code, "%s: %s", path, msg);
}
