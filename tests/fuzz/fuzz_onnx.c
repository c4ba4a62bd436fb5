/* ONNX import as `qx-bench run` does it: parse, import, constant and BatchNormalization folding
 * and Relu/Clip fusion (qx_graph_load_onnx), then shape inference at batch 1 and at a batch that
 * overflows when multiplied by a large dimension. Any input may be rejected; none may crash. */
#include <stdint.h>

#include "fuzz/memfile.h"
#include "model/graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qx_graph g;
	struct qx_error err;
	if (qx_graph_load_onnx(fuzz_memfile(0, data, size), &g, &err) == 0) {
		if (qx_graph_infer_shapes(&g, 1, &err) == 0)
			(void)qx_graph_infer_shapes(&g, (int64_t)1 << 40, &err);
		qx_graph_free(&g);
	}
	return 0;
}
