/* qx-bench graph MODEL.onnx [--json]: the nodes and tensors exactly as plugins see them
 * (struct qx_graph_view, built by harness/plugin/view.c after import, folding and fusion), so a
 * plugin author or a plan.json reader knows the names the harness uses. */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/graph.h"
#include "plugin/view.h"
#include "util/exit_status.h"

static const char usage[] =
	"usage: qx-bench graph MODEL.onnx [--json]\n"
	"\n"
	"The model's nodes and tensors as quantization plugins see them: after import, constant\n"
	"folding, BatchNormalization folding and Relu/Clip fusion, with the names plan.json uses.\n"
	"Per node: index, name, op, inputs and outputs with shapes (batch as declared, a symbolic\n"
	"batch is 1), weight and bias tensors, the modes the int8 executor can run it in (float,\n"
	"static, dynamic), a fused clamp, and whether its int8 output keeps its input's qparams.\n"
	"Per tensor: index, name, shape, const or activation, producer.\n"
	"\n"
	"  --json      one JSON object instead of the tables\n"
	"  -h, --help  this text\n"
	"\n"
	"exit status: 0 printed, 2 bad command line or a model that does not load (one line on\n"
	"stderr naming the file), 3 internal error.\n";

static void shape_str(const struct qx_view_tensor *t, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size, "[");
	for (int d = 0; d < t->ndim && len < size; d++)
		len += (size_t)snprintf(buf + len, size - len, "%s%lld", d ? "," : "",
		                        (long long)t->dims[d]);
	if (len < size)
		snprintf(buf + len, size - len, "]");
}

static void modes_str(uint32_t modes, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s", (modes & QX_MODE_BIT(QX_MODE_FLOAT)) ? "float" : "",
	         (modes & QX_MODE_BIT(QX_MODE_STATIC)) ? ",static" : "",
	         (modes & QX_MODE_BIT(QX_MODE_DYNAMIC)) ? ",dynamic" : "",
	         (modes & QX_MODE_BIT(QX_MODE_WEIGHT_ONLY)) ? ",weight_only" : "");
}

static json_t *shape_json(const struct qx_view_tensor *t)
{
	json_t *a = json_array();
	for (int d = 0; d < t->ndim; d++)
		json_array_append_new(a, json_integer(t->dims[d]));
	return a;
}

static json_t *tensor_ref(const struct qx_graph_view *v, int32_t t)
{
	if (t < 0)
		return json_null();
	return json_pack("{s:s, s:i, s:o}", "name", v->tensors[t].name, "index", (int)t, "shape",
	                 shape_json(&v->tensors[t]));
}

static json_t *clamp_json(float x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

static json_t *view_json(const struct qx_graph_view *v)
{
	json_t *nodes = json_array(), *tensors = json_array();
	for (int n = 0; n < v->n_nodes; n++) {
		const struct qx_view_node *nd = &v->nodes[n];
		json_t *in = json_array(), *out = json_array(), *modes = json_array();
		for (int j = 0; j < nd->n_inputs; j++)
			json_array_append_new(in, tensor_ref(v, nd->inputs[j]));
		for (int j = 0; j < nd->n_outputs; j++)
			json_array_append_new(out, tensor_ref(v, nd->outputs[j]));
		if (nd->modes & QX_MODE_BIT(QX_MODE_FLOAT))
			json_array_append_new(modes, json_string("float"));
		if (nd->modes & QX_MODE_BIT(QX_MODE_STATIC))
			json_array_append_new(modes, json_string("static"));
		if (nd->modes & QX_MODE_BIT(QX_MODE_DYNAMIC))
			json_array_append_new(modes, json_string("dynamic"));
		if (nd->modes & QX_MODE_BIT(QX_MODE_WEIGHT_ONLY))
			json_array_append_new(modes, json_string("weight_only"));
		json_array_append_new(nodes, json_pack(
			"{s:i, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}",
			"index", n, "name", nd->name, "op", nd->op_type, "inputs", in, "outputs", out,
			"weight", nd->weight >= 0 ? json_string(v->tensors[nd->weight].name) : json_null(),
			"bias", nd->bias >= 0 ? json_string(v->tensors[nd->bias].name) : json_null(),
			"modes", modes, "act_min", clamp_json(nd->act_min), "act_max",
			clamp_json(nd->act_max), "keeps_qparams",
			(v->node_flags[n] & QX_VIEW_NODE_KEEPS_QPARAMS) != 0));
	}
	for (int t = 0; t < v->n_tensors; t++) {
		const struct qx_view_tensor *vt = &v->tensors[t];
		json_array_append_new(tensors, json_pack(
			"{s:i, s:s, s:o, s:s, s:b, s:o, s:b, s:b}", "index", t, "name", vt->name,
			"shape", shape_json(vt), "dtype", vt->is_float ? "float32" : "int64",
			"const", vt->is_const != 0, "producer",
			vt->producer >= 0 ? json_string(v->nodes[vt->producer].name) : json_null(),
			"graph_input", vt->is_graph_input != 0, "graph_output", vt->is_graph_output != 0));
	}
	return json_pack("{s:s, s:s, s:I, s:I, s:o, s:o}", "schema", "qx-graph/1", "model",
	                 v->model_path, "opset", (json_int_t)v->opset, "batch", (json_int_t)v->batch,
	                 "nodes", nodes, "tensors", tensors);
}

static void print_text(const struct qx_graph_view *v)
{
	int wn = 4, wo = 2;
	for (int n = 0; n < v->n_nodes; n++) {
		int l = (int)strlen(v->nodes[n].name), o = (int)strlen(v->nodes[n].op_type);
		wn = l > wn ? l : wn;
		wo = o > wo ? o : wo;
	}
	printf("model %s: %d nodes, %d tensors (opset %lld, batch %lld)\n\n", v->model_path,
	       v->n_nodes, v->n_tensors, (long long)v->opset, (long long)v->batch);
	printf("%4s  %-*s  %-*s  %-20s  %-6s  %s\n", "#", wn, "node", wo, "op", "modes", "keeps",
	       "inputs -> outputs");
	char buf[128];
	for (int n = 0; n < v->n_nodes; n++) {
		const struct qx_view_node *nd = &v->nodes[n];
		modes_str(nd->modes, buf, sizeof buf);
		printf("%4d  %-*s  %-*s  %-20s  %-6s  ", n, wn, nd->name, wo, nd->op_type, buf,
		       (v->node_flags[n] & QX_VIEW_NODE_KEEPS_QPARAMS) ? "yes" : "-");
		for (int j = 0; j < nd->n_inputs; j++) {
			if (nd->inputs[j] < 0) {
				printf("%s(none)", j ? ", " : "");
				continue;
			}
			const struct qx_view_tensor *t = &v->tensors[nd->inputs[j]];
			shape_str(t, buf, sizeof buf);
			const char *role = nd->inputs[j] == nd->weight ? " (weight)"
			                 : nd->inputs[j] == nd->bias ? " (bias)" : "";
			printf("%s%s%s%s", j ? ", " : "", t->name, buf, role);
		}
		printf(" -> ");
		for (int j = 0; j < nd->n_outputs; j++) {
			if (nd->outputs[j] < 0)
				continue;
			shape_str(&v->tensors[nd->outputs[j]], buf, sizeof buf);
			printf("%s%s%s", j ? ", " : "", v->tensors[nd->outputs[j]].name, buf);
		}
		if (isfinite(nd->act_min) || isfinite(nd->act_max))
			printf("  clamp [%g, %g]", (double)nd->act_min, (double)nd->act_max);
		printf("\n");
	}
	int wt = 6;
	for (int t = 0; t < v->n_tensors; t++) {
		int l = (int)strlen(v->tensors[t].name);
		wt = l > wt ? l : wt;
	}
	printf("\n%4s  %-*s  %-18s  %-7s  %-7s  %s\n", "#", wt, "tensor", "shape", "kind", "dtype",
	       "producer");
	for (int t = 0; t < v->n_tensors; t++) {
		const struct qx_view_tensor *vt = &v->tensors[t];
		shape_str(vt, buf, sizeof buf);
		const char *kind = vt->is_const ? "const" : vt->is_graph_input ? "input"
		                 : vt->is_graph_output ? "output" : "act";
		printf("%4d  %-*s  %-18s  %-7s  %-7s  %s\n", t, wt, vt->name, buf, kind,
		       vt->is_float ? "float32" : "int64",
		       vt->producer >= 0 ? v->nodes[vt->producer].name : "-");
	}
}

int qx_graph_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int as_json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = 1; break;
		case 'h': fputs(usage, stdout); return QX_EXIT_OK;
		default:
			fprintf(stderr, "qx-bench graph: try 'qx-bench graph --help'\n");
			return QX_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "qx-bench graph: expected one MODEL.onnx (usage: qx-bench graph "
		        "MODEL.onnx [--json])\n");
		return QX_EXIT_USAGE;
	}
	struct qx_graph g = { 0 };
	struct qx_error err = { 0 };
	int rc = qx_graph_load_onnx(argv[optind], &g, &err);
	if (!rc)
		rc = qx_graph_fuse_activations(&g, &err);
	if (rc) {
		fprintf(stderr, "qx-bench graph: %s\n", err.msg);
		qx_graph_free(&g);
		return qx_exit_status(rc);
	}
	struct qx_view_store vs;
	if ((rc = qx_view_build(&g, &vs, &err))) {
		fprintf(stderr, "qx-bench graph: %s\n", err.msg);
		qx_graph_free(&g);
		return qx_exit_status(rc);
	}
	int status = QX_EXIT_OK;
	if (as_json) {
		json_t *root = view_json(&vs.view);
		if (!root || json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(9)) ||
		    fputc('\n', stdout) == EOF) {
			fprintf(stderr, "qx-bench graph: cannot write the JSON answer\n");
			status = QX_EXIT_INTERNAL;
		}
		json_decref(root);
	} else {
		print_text(&vs.view);
	}
	if (fflush(stdout)) {
		fprintf(stderr, "qx-bench graph: cannot write to stdout\n");
		status = QX_EXIT_INTERNAL;
	}
	qx_view_free(&vs);
	qx_graph_free(&g);
	return status;
}
