/* IDX image + label files (plain or gzip), as the suite's dataset: section loads them. The input
 * is split in two: byte 0 is the number of classes (1..256), bytes 1-4 the images file's length
 * (little-endian, taken modulo what is left), then the images file, then the labels file. */
#include <stdint.h>
#include <string.h>

#include "data/dataset.h"
#include "fuzz/memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	int n_classes = data[0] + 1;
	uint32_t len;
	memcpy(&len, data + 1, 4);
	data += 5;
	size -= 5;
	size_t n_images = size ? len % (size + 1) : 0;
	const char *images = fuzz_memfile(0, data, n_images);
	const char *labels = fuzz_memfile(1, data + n_images, size - n_images);
	struct qx_dataset ds;
	struct qx_error err;
	if (qx_dataset_load_idx(images, labels, n_classes, &ds, &err) == 0)
		qx_dataset_free(&ds);
	return 0;
}
