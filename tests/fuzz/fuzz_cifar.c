/* CIFAR-10 binary batches (plain or gzip): the input is one batch file, read twice as two
 * batches so that joining batches runs too. */
#include <stdint.h>

#include "data/dataset.h"
#include "fuzz/memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *paths[2];
	paths[0] = paths[1] = fuzz_memfile(0, data, size);
	struct qx_dataset ds;
	struct qx_error err;
	if (qx_dataset_load_cifar10(paths, 2, &ds, &err) == 0)
		qx_dataset_free(&ds);
	return 0;
}
