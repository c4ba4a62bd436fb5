/* IDX files (MNIST, Fashion-MNIST): a big-endian header, magic 0x00000803 (uint8, 3 dims:
 * count, rows, columns) for images or 0x00000801 (uint8, 1 dim: count) for labels, then the
 * bytes. */
#include "data/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/file_read.h"
#include "util/checked.h"

enum {
	IDX_MAGIC_IMAGES = 0x00000803,
	IDX_MAGIC_LABELS = 0x00000801,
	IDX_IMAGES_HEADER = 16,
	IDX_LABELS_HEADER = 8,
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks the header of an IDX file already in memory: size, magic, then *dims (n_dims of
 * them). what is "images" or "labels". */
static int idx_header(const char *path, const uint8_t *data, int64_t size, uint32_t magic,
                      int n_dims, const char *what, uint32_t *dims, struct qx_error *err)
{
	int64_t header = 4 + 4 * (int64_t)n_dims;
	if (size < 4)
		return qx_fail(err, QX_EINVAL, "%s: byte %lld: file ends early (expected a %lld-byte "
		               "IDX header for %s)", path, (long long)size, (long long)header, what);
	uint32_t got = be32(data);
	if (got != magic)
		return qx_fail(err, QX_EINVAL, "%s: byte 0: bad IDX magic 0x%08x (expected 0x%08x for "
		               "%s)", path, got, magic, what);
	if (size < header)
		return qx_fail(err, QX_EINVAL, "%s: byte %lld: file ends early (expected a %lld-byte "
		               "IDX header for %s)", path, (long long)size, (long long)header, what);
	for (int i = 0; i < n_dims; i++)
		dims[i] = be32(data + 4 + 4 * i);
	return 0;
}

/* Bytes of pixels an images header declares (count x rows x columns, checked arithmetic as for
 * every shape: util/checked.h), or -1 past INT64_MAX (a file that cannot exist: it ends early). */
static int64_t images_bytes(uint32_t count, uint32_t rows, uint32_t columns)
{
	int64_t dims[3] = { count, rows, columns }, n;
	return qx_dims_within(3, dims, INT64_MAX - IDX_IMAGES_HEADER, &n, NULL) ? n : -1;
}

/* The file sizes IDX headers declare (header included), for qx_read_file's cap: reading a
 * gzip file stops just past them; no cap beyond IDX_MAX_BYTES for a size past INT64_MAX. */
static int64_t images_declared(const uint8_t *h)
{
	if (be32(h) != IDX_MAGIC_IMAGES)
		return -1;
	int64_t n = images_bytes(be32(h + 4), be32(h + 8), be32(h + 12));
	return n < 0 ? INT64_MAX : n + IDX_IMAGES_HEADER;
}

static int64_t labels_declared(const uint8_t *h)
{
	return be32(h) == IDX_MAGIC_LABELS ? (int64_t)be32(h + 4) + IDX_LABELS_HEADER : -1;
}

/* 4 GiB: no IDX file the harness can use is bigger (Fashion-MNIST's largest is 47 MB). */
#define IDX_MAX_BYTES ((int64_t)1 << 32)

static const struct qx_read_cap images_cap = { IDX_IMAGES_HEADER, images_declared, IDX_MAX_BYTES };
static const struct qx_read_cap labels_cap = { IDX_LABELS_HEADER, labels_declared, IDX_MAX_BYTES };

/* Checks that the data after the header is exactly `expected` bytes; capped: reading stopped
 * QX_READ_SLACK bytes past them (file_read.h), so the extra is "more than" that. */
static int idx_body_size(const char *path, int64_t size, int capped, int64_t header,
                         uint64_t expected, const char *what, struct qx_error *err)
{
	uint64_t body = (uint64_t)(size - header); /* size >= header here */
	if (body < expected)
		return qx_fail(err, QX_EINVAL, "%s: byte %lld: file ends early (expected %llu bytes of "
		               "%s after the %lld-byte header)", path, (long long)size,
		               (unsigned long long)expected, what, (long long)header);
	if (body > expected && capped)
		return qx_fail(err, QX_EINVAL, "%s: byte %lld: more than %llu bytes of unexpected data "
		               "after the last of the %s (expected end of file; reading stopped there)",
		               path, (long long)(header + (int64_t)expected),
		               (unsigned long long)(body - expected), what);
	if (body > expected)
		return qx_fail(err, QX_EINVAL, "%s: byte %lld: %llu bytes of unexpected data after the "
		               "last of the %s (expected end of file)", path,
		               (long long)(header + (int64_t)expected),
		               (unsigned long long)(body - expected), what);
	return 0;
}

static int idx_images(const char *path, struct qx_dataset *ds, struct qx_error *err)
{
	uint8_t *data;
	int64_t size;
	int capped;
	int rc = qx_read_file(path, "an IDX image file", &images_cap, &data, &size, &capped, err);
	if (rc)
		return rc;
	uint32_t dims[3];
	rc = idx_header(path, data, size, IDX_MAGIC_IMAGES, 3, "images", dims, err);
	if (rc)
		goto fail;
	if (dims[1] == 0 || dims[2] == 0 || dims[1] > 65535 || dims[2] > 65535) {
		rc = qx_fail(err, QX_EINVAL, "%s: byte 8: image size %ux%u (expected rows and columns "
		             "in 1..65535)", path, dims[1], dims[2]);
		goto fail;
	}
	/* Past what the file holds it is simply a file that ends early. */
	int64_t declared = images_bytes(dims[0], dims[1], dims[2]);
	if (declared < 0) {
		rc = qx_fail(err, QX_EINVAL, "%s: byte 4: %u images of %ux%u, more than 2^63 bytes "
		             "(expected a count the file holds)", path, dims[0], dims[1], dims[2]);
		goto fail;
	}
	uint64_t expected = (uint64_t)declared;
	rc = idx_body_size(path, size, capped, IDX_IMAGES_HEADER, expected, "images", err);
	if (rc)
		goto fail;
	if (dims[0] == 0) {
		rc = qx_fail(err, QX_EINVAL, "%s: byte 4: no images (expected a count >= 1)", path);
		goto fail;
	}
	/* Keep the buffer: slide the pixels over the header instead of copying 47 MB. */
	memmove(data, data + IDX_IMAGES_HEADER, (size_t)expected);
	uint8_t *shrunk = realloc(data, (size_t)expected);
	ds->pixels = shrunk ? shrunk : data;
	ds->count = dims[0];
	ds->c = 1;
	ds->h = (int)dims[1];
	ds->w = (int)dims[2];
	return 0;
fail:
	free(data);
	return rc;
}

static int idx_labels(const char *path, int64_t n_images, const char *images_path, int n_classes,
                      struct qx_dataset *ds, struct qx_error *err)
{
	uint8_t *data;
	int64_t size;
	int capped;
	int rc = qx_read_file(path, "an IDX label file", &labels_cap, &data, &size, &capped, err);
	if (rc)
		return rc;
	uint32_t count = 0;
	rc = idx_header(path, data, size, IDX_MAGIC_LABELS, 1, "labels", &count, err);
	if (rc)
		goto fail;
	if (count != n_images) {
		rc = qx_fail(err, QX_EINVAL, "%s: byte 4: %u labels for the %lld images of %s "
		             "(expected one label per image)", path, count, (long long)n_images,
		             images_path);
		goto fail;
	}
	rc = idx_body_size(path, size, capped, IDX_LABELS_HEADER, count, "labels", err);
	if (rc)
		goto fail;
	for (int64_t i = 0; i < count; i++) {
		int label = data[IDX_LABELS_HEADER + i];
		if (label >= n_classes) {
			rc = qx_fail(err, QX_EINVAL, "%s: byte %lld: label %d out of range (expected "
			             "0..%d)", path, (long long)(IDX_LABELS_HEADER + i), label,
			             n_classes - 1);
			goto fail;
		}
	}
	memmove(data, data + IDX_LABELS_HEADER, count);
	uint8_t *shrunk = realloc(data, count);
	ds->labels = shrunk ? shrunk : data;
	return 0;
fail:
	free(data);
	return rc;
}

int qx_dataset_load_idx(const char *images_path, const char *labels_path, int n_classes,
                        struct qx_dataset *ds, struct qx_error *err)
{
	memset(ds, 0, sizeof *ds);
	if (n_classes < 2 || n_classes > 256)
		return qx_fail(err, QX_EINVAL, "%s: %d classes (expected 2..256 for uint8 labels)",
		               labels_path, n_classes);
	int rc = idx_images(images_path, ds, err);
	if (!rc)
		rc = idx_labels(labels_path, ds->count, images_path, n_classes, ds, err);
	if (!rc) {
		size_t len = strlen(images_path) + strlen(labels_path) + 2;
		ds->source = malloc(len);
		if (!ds->source)
			rc = qx_fail_nomem(err, "loading a dataset");
		else
			snprintf(ds->source, len, "%s,%s", images_path, labels_path);
	}
	if (rc) {
		qx_dataset_free(ds);
		return rc;
	}
	ds->n_classes = n_classes;
	return 0;
}
