/* The suite's datasets: the evaluation set (limit applied) and the calibration images. */
#include "suite/suite.h"

#include <sys/stat.h>

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

static int load_source(const struct qx_suite *s, const struct qx_suite_source *src,
                       const char *what, struct qx_dataset *ds, struct qx_error *err)
{
	if (s->dataset.format == QX_DATA_CIFAR10)
		/* The loader's message says how to fetch the files: better than a suite position. */
		return qx_dataset_load_cifar10((const char *const *)src->files, src->n_files, ds, err);
	if (!is_file(src->images))
		return qx_suite_fail_at(s, src->images_pos, err, QX_ENOENT, "%s.images: file '%s' not "
		                        "found (expected an IDX image file, gzipped or not)", what,
		                        src->images);
	if (!is_file(src->labels))
		return qx_suite_fail_at(s, src->labels_pos, err, QX_ENOENT, "%s.labels: file '%s' not "
		                        "found (expected an IDX label file, gzipped or not)", what,
		                        src->labels);
	return qx_dataset_load_idx(src->images, src->labels, s->dataset.n_classes, ds, err);
}

int qx_suite_load_dataset(const struct qx_suite *suite, struct qx_dataset *ds,
                          struct qx_error *err)
{
	int rc = load_source(suite, &suite->dataset.src, "dataset", ds, err);
	if (rc)
		return rc;
	int64_t limit = suite->dataset.limit;
	if (limit > ds->count) {
		rc = qx_suite_fail_at(suite, suite->dataset.limit_pos, err, QX_EINVAL, "dataset.limit: "
		                      "%lld images but %s holds %lld (expected at most %lld)",
		                      (long long)limit, ds->source, (long long)ds->count,
		                      (long long)ds->count);
		qx_dataset_free(ds);
		return rc;
	}
	if (limit > 0 && limit < ds->count && (rc = qx_dataset_slice(ds, 0, limit, err)))
		qx_dataset_free(ds);
	return rc;
}

int qx_suite_load_calibration(const struct qx_suite *suite, struct qx_dataset *ds,
                              struct qx_error *err)
{
	const struct qx_suite_calibration *c = &suite->calibration;
	int rc = load_source(suite, &c->src, "calibration", ds, err);
	if (rc)
		return rc;
	/* The first entry that asks for more images than the files hold, at its count: line (or
	 * first:, or the suite's calibration:). */
	for (int i = 0; i < suite->n_plugins; i++) {
		const struct qx_suite_plugin *p = &suite->plugins[i];
		if (p->calib_first + p->calib_count <= ds->count)
			continue;
		struct qx_suite_pos pos = p->calib_count_pos.line ? p->calib_count_pos :
		                          p->calib_first_pos.line ? p->calib_first_pos : c->src.pos;
		rc = qx_suite_fail_at(suite, pos, err, QX_EINVAL, "calibration: images %lld..%lld%s%s "
		                      "but %s holds %lld (expected first + count <= %lld)",
		                      (long long)p->calib_first,
		                      (long long)(p->calib_first + p->calib_count - 1),
		                      p->sweep_base ? " for " : "", p->sweep_base ? p->label : "",
		                      ds->source, (long long)ds->count, (long long)ds->count);
		qx_dataset_free(ds);
		return rc;
	}
	if (c->span_first + c->span_count > ds->count) {
		rc = qx_suite_fail_at(suite, c->count_pos.line ? c->count_pos : c->src.pos, err,
		                      QX_EINVAL, "calibration: images %lld..%lld but %s holds %lld "
		                      "(expected first + count <= %lld)", (long long)c->span_first,
		                      (long long)(c->span_first + c->span_count - 1), ds->source,
		                      (long long)ds->count, (long long)ds->count);
		qx_dataset_free(ds);
		return rc;
	}
	if ((rc = qx_dataset_slice(ds, c->span_first, c->span_count, err)))
		qx_dataset_free(ds);
	return rc;
}
