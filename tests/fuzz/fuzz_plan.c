/* A plugin's plan as the host receives it from the plugin's child process: the JSON reply
 * (qx_plan_json_decode), the shape check the child runs, and validation against the plugin-check
 * model (qx_plan_validate), which turns it into the plan the int8 executor runs. */
#include <stdint.h>
#include <stdlib.h>

#include "model/graph.h"
#include "plan/plan.h"
#include "plan/plan_json.h"
#include "plan/validate.h"
#include "plugin/tiny_model.h"

static struct qx_graph graph;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct qx_error err;
	if (qx_tiny_model_build(&graph, &err) != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qx_plan_buf b;
	struct qx_error err;
	if (qx_plan_json_decode((const char *)data, size, &b, &err) == 0 &&
	    qx_plan_check_shape(&b.plan, 1 << 16, 1 << 20, &err) == 0) {
		const int32_t *modes = b.n_node_modes == graph.n_nodes ? b.node_modes : NULL;
		struct qx_quant_plan q;
		if (qx_plan_validate(&graph, &b.plan, modes, &q, &err) == 0)
			qx_quant_plan_free(&q);
	}
	qx_plan_buf_free(&b);
	return 0;
}
