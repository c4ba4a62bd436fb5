/* Identity and Dropout nodes whose input is a constant become constants themselves. Exporters
 * emit them for shared parameters (PyTorch's exporter writes `running_var = Identity(weight)`
 * when two initializers hold equal values); left as nodes they would make BatchNormalization's
 * parameters look computed and keep it from folding. */
#include "model/graph_build.h"

#include <stdlib.h>
#include <string.h>

int qx_graph_fold_constant_identities(struct qx_graph *g, struct qx_error *err)
{
	for (int i = 0; i < g->n_nodes; i++) {
		struct qx_node *nd = &g->nodes[i];
		if ((nd->op != QX_OP_IDENTITY && nd->op != QX_OP_DROPOUT) || nd->n_out != 1 ||
		    nd->n_in < 1 || nd->in[0] < 0)
			continue;
		const struct qx_tensor *src = &g->tensors[nd->in[0]];
		struct qx_tensor *dst = &g->tensors[nd->out[0]];
		if (!src->is_const || qx_graph_is_output(g, nd->out[0]))
			continue;
		int64_t n = qx_tensor_numel(src);
		size_t bytes = (size_t)(n ? n : 1) * (src->dtype == QX_DT_I64 ? sizeof(int64_t) : sizeof(float));
		void *copy = malloc(bytes);
		if (!copy)
			return qx_fail_nomem(err, "folding constant Identity nodes");
		memcpy(copy, src->dtype == QX_DT_I64 ? (const void *)src->i64 : (const void *)src->data,
		       (size_t)n * (src->dtype == QX_DT_I64 ? sizeof(int64_t) : sizeof(float)));
		dst->is_const = 1;
		dst->dtype = src->dtype;
		dst->ndim = src->ndim;
		memcpy(dst->dims, src->dims, sizeof dst->dims);
		if (src->dtype == QX_DT_I64)
			dst->i64 = copy;
		else
			dst->data = copy;
		qx_graph_remove_node(g, i);
		i--;
	}
	return 0;
}
