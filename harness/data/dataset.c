/* What every dataset shares: preprocessing, slicing, freeing. */
#include "data/dataset.h"

#include <stdlib.h>
#include <string.h>

void qx_dataset_preprocess(const struct qx_dataset *ds, const struct qx_preprocess *pp,
                           int64_t first, int64_t n, float *out)
{
	/* A table per channel gives the very values of the formula (same fp32 operations, in the
	 * same order) at one load per pixel. */
	float table[QX_MAX_CHANNELS][256];
	int c_count = ds->c; /* the loaders make at most QX_MAX_CHANNELS */
	for (int c = 0; c < c_count; c++) {
		int k = pp->n_channels == 1 ? 0 : c;
		for (int p = 0; p < 256; p++) {
			float x = pp->divisor > 0 ? (float)p / pp->divisor : (float)p * pp->scale;
			table[c][p] = (x - pp->mean[k]) / pp->std[k];
		}
	}
	int64_t plane = (int64_t)ds->h * ds->w;
	const uint8_t *src = ds->pixels + first * ds->c * plane;
	for (int64_t i = 0; i < n; i++)
		for (int c = 0; c < c_count; c++)
			for (int64_t j = 0; j < plane; j++)
				*out++ = table[c][*src++];
}

int qx_dataset_slice(struct qx_dataset *ds, int64_t first, int64_t n, struct qx_error *err)
{
	if (first < 0 || n < 0 || first > ds->count || n > ds->count - first)
		return qx_fail(err, QX_EINVAL, "%s: images %lld..%lld requested but the set has %lld "
		               "(expected first + count <= %lld)", ds->source ? ds->source : "dataset",
		               (long long)first, (long long)(first + n - 1), (long long)ds->count,
		               (long long)ds->count);
	size_t image = (size_t)ds->c * ds->h * ds->w;
	if (first > 0) {
		memmove(ds->pixels, ds->pixels + first * image, (size_t)n * image);
		memmove(ds->labels, ds->labels + first, (size_t)n);
	}
	/* Shrinking cannot fail in practice; when it does the larger block is still ours. */
	if (n > 0) {
		uint8_t *p = realloc(ds->pixels, (size_t)n * image);
		if (p)
			ds->pixels = p;
		uint8_t *l = realloc(ds->labels, (size_t)n);
		if (l)
			ds->labels = l;
	}
	ds->count = n;
	return 0;
}

void qx_dataset_free(struct qx_dataset *ds)
{
	if (!ds)
		return;
	free(ds->pixels);
	free(ds->labels);
	free(ds->source);
	memset(ds, 0, sizeof *ds);
}

int64_t qx_dataset_preprocess_batch(const struct qx_dataset *ds, const struct qx_preprocess *pp,
                                    int64_t b, int64_t batch, int64_t total, float *out)
{
	int64_t first = b * batch;
	int64_t n = total - first < batch ? total - first : batch;
	int64_t image_floats = (int64_t)ds->c * ds->h * ds->w;
	qx_dataset_preprocess(ds, pp, first, n, out);
	memset(out + n * image_floats, 0, sizeof(float) * (size_t)((batch - n) * image_floats));
	return n;
}
