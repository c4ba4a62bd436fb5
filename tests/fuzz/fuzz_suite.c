/* The suite YAML as `qx-bench run SUITE` reads it: every key validated (qx_suite_load). */
#include <stdint.h>

#include "fuzz/memfile.h"
#include "suite/suite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qx_suite s;
	struct qx_error err;
	if (qx_suite_load(fuzz_memfile(0, data, size), &s, &err) == 0)
		qx_suite_free(&s);
	return 0;
}
