/* CIFAR-10 binary batches: records of 1 label byte (0..9) + 3072 pixel bytes (32x32 red, then
 * green, then blue: CHW), 10000 records per file in the official release. */
#include "data/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/file_read.h"

enum {
	CIFAR_CLASSES = 10,
	CIFAR_C = 3,
	CIFAR_HW = 32,
	CIFAR_PIXELS = CIFAR_C * CIFAR_HW * CIFAR_HW,
	CIFAR_RECORD = 1 + CIFAR_PIXELS,
	/* No header says how big a batch is: a file may hold at most the whole data set (60,000
	 * records, 184 MB), so that a gzip file expanding without end is cut off there. */
	CIFAR_MAX_RECORDS = 60000,
};

static const struct qx_read_cap cifar_cap = {
	.max_bytes = (int64_t)CIFAR_MAX_RECORDS * CIFAR_RECORD,
};

/* Appends s to buf (of cap bytes, NUL-terminated), truncating quietly. */
static void append(char *buf, size_t cap, const char *s)
{
	size_t len = strlen(buf);
	if (len + 1 < cap)
		snprintf(buf + len, cap - len, "%s", s);
}

/* One message for every missing file: which are missing, every file the suite needs, where
 * they go and how to get them. */
static int cifar_missing(const char *const *paths, int n_paths, struct qx_error *err)
{
	char missing[400] = "", needed[300] = "", folder[256] = "";
	int n_missing = 0;
	for (int i = 0; i < n_paths; i++) {
		const char *slash = strrchr(paths[i], '/');
		if (i)
			append(needed, sizeof needed, ", ");
		append(needed, sizeof needed, slash ? slash + 1 : paths[i]);
		if (qx_file_exists(paths[i]))
			continue;
		if (n_missing++)
			append(missing, sizeof missing, ", ");
		append(missing, sizeof missing, paths[i]);
		if (!folder[0]) {
			if (slash)
				snprintf(folder, sizeof folder, "%.*s/", (int)(slash - paths[i]), paths[i]);
			else
				snprintf(folder, sizeof folder, "./");
		}
	}
	if (!n_missing)
		return 0;
	return qx_fail(err, QX_ENOENT, "%s: CIFAR-10 file%s not found (expected %s in %s from the "
	               "binary version; run tools/fetch-cifar10 to download cifar-10-binary.tar.gz "
	               "and unpack it into data/cifar-10-batches-bin/ at the top of the source tree)",
	               missing, n_missing > 1 ? "s" : "", needed, folder);
}

int qx_dataset_load_cifar10(const char *const *paths, int n_paths, struct qx_dataset *ds,
                            struct qx_error *err)
{
	memset(ds, 0, sizeof *ds);
	if (n_paths < 1)
		return qx_fail(err, QX_EINVAL, "CIFAR-10: no batch files (expected at least one)");
	int rc = cifar_missing(paths, n_paths, err);
	if (rc)
		return rc;

	uint8_t **data = calloc((size_t)n_paths, sizeof *data);
	int64_t *records = calloc((size_t)n_paths, sizeof *records);
	size_t source_len = 1;
	if (!data || !records) {
		rc = qx_fail_nomem(err, "loading CIFAR-10");
		goto done;
	}
	int64_t total = 0;
	for (int i = 0; i < n_paths; i++) {
		int64_t size;
		int capped;
		rc = qx_read_file(paths[i], "a CIFAR-10 binary batch", &cifar_cap, &data[i], &size,
		                  &capped, err);
		if (rc)
			goto done;
		if (capped) {
			rc = qx_fail(err, QX_EINVAL, "%s: byte %lld: more than %d records (expected at most "
			             "the %d of the whole CIFAR-10 set; reading stopped there)", paths[i],
			             (long long)size, CIFAR_MAX_RECORDS, CIFAR_MAX_RECORDS);
			goto done;
		}
		if (size == 0 || size % CIFAR_RECORD) {
			rc = qx_fail(err, QX_EINVAL, "%s: byte %lld: file size %lld is not a multiple of "
			             "%d (expected records of 1 label byte + %d pixel bytes)", paths[i],
			             (long long)(size - size % CIFAR_RECORD), (long long)size,
			             CIFAR_RECORD, CIFAR_PIXELS);
			goto done;
		}
		records[i] = size / CIFAR_RECORD;
		for (int64_t r = 0; r < records[i]; r++) {
			int label = data[i][r * CIFAR_RECORD];
			if (label >= CIFAR_CLASSES) {
				rc = qx_fail(err, QX_EINVAL, "%s: byte %lld: label %d out of range (expected "
				             "0..%d)", paths[i], (long long)(r * CIFAR_RECORD), label,
				             CIFAR_CLASSES - 1);
				goto done;
			}
		}
		total += records[i];
		source_len += strlen(paths[i]) + 1;
	}

	ds->pixels = malloc((size_t)total * CIFAR_PIXELS);
	ds->labels = malloc((size_t)total);
	ds->source = malloc(source_len);
	if (!ds->pixels || !ds->labels || !ds->source) {
		rc = qx_fail_nomem(err, "loading CIFAR-10");
		goto done;
	}
	ds->source[0] = '\0';
	int64_t at = 0;
	for (int i = 0; i < n_paths; i++) {
		for (int64_t r = 0; r < records[i]; r++, at++) {
			const uint8_t *rec = data[i] + r * CIFAR_RECORD;
			ds->labels[at] = rec[0];
			memcpy(ds->pixels + at * CIFAR_PIXELS, rec + 1, CIFAR_PIXELS);
		}
		if (i)
			strcat(ds->source, ",");
		strcat(ds->source, paths[i]);
	}
	ds->count = total;
	ds->c = CIFAR_C;
	ds->h = CIFAR_HW;
	ds->w = CIFAR_HW;
	ds->n_classes = CIFAR_CLASSES;
done:
	if (data)
		for (int i = 0; i < n_paths; i++)
			free(data[i]);
	free(data);
	free(records);
	if (rc)
		qx_dataset_free(ds);
	return rc;
}
