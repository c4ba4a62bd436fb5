/* Datasets: images and labels as fp32 NCHW after the suite's preprocessing. */
#ifndef QX_DATA_DATASET_H
#define QX_DATA_DATASET_H

#include <stdint.h>

#include "util/error.h"

#define QX_MAX_CHANNELS 4

enum qx_dataset_format { QX_DATA_IDX, QX_DATA_CIFAR10 };

/* Preprocessing, applied in this order to each raw uint8 pixel p of channel ch, in fp32:
 *     x = (p * scale - mean[ch]) / std[ch]          when divisor == 0
 *     x = (p / divisor - mean[ch]) / std[ch]        when divisor > 0
 * (suite defaults: divisor 255, mean 0, std 1). The divisor form is torchvision's ToTensor
 * (p / 255) followed by Normalize ((x - mean) / std), bit for bit; p * (1/255.0f) can differ
 * from p / 255.0f by one ulp, so the suite loader sets divisor whenever scale is 1/integer. */
struct qx_preprocess {
	float scale;
	float divisor;                  /* > 0: divide by it instead of multiplying by scale */
	int n_channels;                 /* how many of mean/std are given: 1 (all channels) or C */
	float mean[QX_MAX_CHANNELS];
	float std[QX_MAX_CHANNELS];
};

struct qx_dataset {
	int64_t count;                  /* number of images */
	int c, h, w;                    /* image shape, NCHW order per image */
	int n_classes;                  /* labels are 0..n_classes-1 */
	uint8_t *pixels;                /* raw, count x c x h x w (NCHW per image), owned */
	uint8_t *labels;                /* count, owned */
	char *source;                   /* the file(s) it came from, for messages and results */
};

/* Reads an IDX image file and its IDX label file (gzipped or not, detected from the content).
 * Errors name the file and byte offset: a wrong magic number, a short file, a count mismatch, a
 * label >= n_classes. */
int qx_dataset_load_idx(const char *images_path, const char *labels_path, int n_classes,
                        struct qx_dataset *ds, struct qx_error *err);

/* Reads CIFAR-10 binary batches (each record: 1 label byte + 3072 pixel bytes, CHW). When a file
 * is missing, the message lists every file needed and where to put them. */
int qx_dataset_load_cifar10(const char *const *paths, int n_paths, struct qx_dataset *ds,
                            struct qx_error *err);

/* Writes images [first, first + n) as fp32 NCHW into out (n * c * h * w floats), each value
 * computed exactly as the struct qx_preprocess comment says (first + n <= count; pp->n_channels
 * is 1 or ds->c). */
void qx_dataset_preprocess(const struct qx_dataset *ds, const struct qx_preprocess *pp,
                           int64_t first, int64_t n, float *out);

/* Batch b of `batch` images among the first `total`: preprocesses its images into out and
 * zeroes the rest of the batch (the short last batch is zero-padded, as a model built for
 * `batch` images needs). Returns the number of real images in it. */
int64_t qx_dataset_preprocess_batch(const struct qx_dataset *ds, const struct qx_preprocess *pp,
                                    int64_t b, int64_t batch, int64_t total, float *out);

/* Keeps only images [first, first + n) (they become 0..n-1); an error when the set has fewer. */
int qx_dataset_slice(struct qx_dataset *ds, int64_t first, int64_t n, struct qx_error *err);

/* Frees what ds owns and zeroes it; safe on a zeroed or already freed dataset. */
void qx_dataset_free(struct qx_dataset *ds);

#endif
