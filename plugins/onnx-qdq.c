/* onnx-qdq: imports a model quantized elsewhere (ONNX QDQ format: ONNX Runtime's quantizer,
 * Intel Neural Compressor, NNCF, qx-bench export) as a plan for the float model it was made
 * from, so that its quantization is measured beside the shipped plugins in one table.
 *
 * The QDQ model's QuantizeLinear / DequantizeLinear qparams are mapped onto the float graph
 * the host gives the plugin (plugins/onnx-qdq/qdq_map.c); nothing is calibrated. What cannot
 * be mapped leaves its node float, with a log line saying why (warnings for nodes the QDQ model
 * runs in int8, info for the rest; -v shows info); a model that maps nothing is an error.
 *
 * Options (docs/plugins.md, docs/export.md "Import"): model: the QDQ .onnx file, required; a
 * relative path starts at the folder of the float model (the suite's model:).
 *
 * A plugin sees only the SDK, so this one reads ONNX itself: it is linked with its own copy of
 * the protobuf-c code generated from onnx.proto (hidden in the .so) and libprotobuf-c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "qx/options.h"
#include "qx/plugin.h"

#include "onnx-qdq/qdq_map.h"
#include "onnx-qdq/qdq_model.h"

static const struct qx_option_decl qdq_options[] = {
	{ .key = "model", .type = QX_OPTION_STRING, .default_value = NULL,
	  .help = "the QDQ ONNX model to import (relative: from the float model's folder)" },
};
#define N_OPTIONS ((int32_t)(sizeof qdq_options / sizeof qdq_options[0]))

struct qdq_state {
	const struct qx_host *host;
	struct qdq_map map;
	char path[4096];
};

/* model: as given when absolute, else from the float model's folder. */
static void resolve_path(const char *value, const char *float_model, char *out, size_t size)
{
	const char *slash = float_model ? strrchr(float_model, '/') : NULL;
	if (value[0] == '/' || !slash)
		snprintf(out, size, "%s", value);
	else
		snprintf(out, size, "%.*s/%s", (int)(slash - float_model), float_model, value);
}

static int qdq_create(const struct qx_host *host, const struct qx_graph_view *view,
                      const struct qx_option *options, int32_t n_options, void **state)
{
	const char *value = qx_option_value(options, n_options, "model");
	if (!value || !*value) {
		host->error(host, "option 'model' is missing (expected the path of the QDQ ONNX model "
		            "to import, e.g. model: fashion_cnn.qdq.onnx)");
		return QX_STATUS_BAD_OPTION;
	}
	struct qdq_state *s = calloc(1, sizeof *s);
	if (!s) {
		host->error(host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	s->host = host;
	resolve_path(value, view->model_path, s->path, sizeof s->path);
	struct stat st;
	if (stat(s->path, &st) || !S_ISREG(st.st_mode)) {
		host->error(host, "option 'model': '%s' %s (expected a QDQ ONNX file; a relative path "
		            "starts at the float model's folder)", s->path,
		            stat(s->path, &st) ? "not found" : "is not a file");
		free(s);
		return QX_STATUS_BAD_OPTION;
	}
	struct qdq_model m;
	char msg[1024];
	int bad = qdq_model_load(&m, s->path, msg, sizeof msg);
	if (!bad) {
		/* The map keeps nothing of the model: view indices and copied text only. */
		bad = qdq_map_build(&m, view, &s->map, msg, sizeof msg);
		qdq_model_free(&m);
	}
	if (bad) {
		host->error(host, "option 'model': %s", msg);
		free(s);
		return QX_STATUS_BAD_OPTION;
	}
	*state = s;
	return QX_STATUS_OK;
}

/* The notes are logged here, not in create(): the host also calls create() alone to check the
 * options before the run, and each note should be shown once. */
static int qdq_prepare(void *state, const struct qx_graph_view *view, struct qx_prepare *out)
{
	struct qdq_state *s = state;
	const struct qdq_map *m = &s->map;
	for (int32_t i = 0; i < m->n_notes; i++)
		s->host->log(s->host, m->notes[i].level, "%s", m->notes[i].text);
	if (m->n_notes_dropped)
		s->host->log(s->host, QX_LOG_WARN, "%d more notes not shown", (int)m->n_notes_dropped);
	s->host->log(s->host, QX_LOG_INFO, "'%s': %d of %d nodes static, %d of %d QuantizeLinear "
	             "mapped", s->path, (int)m->n_static, (int)view->n_nodes,
	             (int)m->n_mapped_quantize, (int)m->n_quantize);
	out->n_observe = 0;
	out->node_modes = m->node_modes;
	return QX_STATUS_OK;
}

static int qdq_calibrate(void *state, const struct qx_batch *batch)
{
	(void)state;
	(void)batch;
	return QX_STATUS_OK; /* nothing to see: prepare observes no tensor, the plan is made */
}

static int qdq_convert(void *state, struct qx_plan *plan)
{
	const struct qdq_map *m = &((struct qdq_state *)state)->map;
	plan->n_tensors = m->n_tensors;
	plan->tensors = m->tensors;
	plan->n_ops = m->n_ops;
	plan->ops = m->ops;
	return QX_STATUS_OK;
}

static void qdq_destroy(void *state)
{
	struct qdq_state *s = state;
	if (!s)
		return;
	qdq_map_free(&s->map);
	free(s);
}

static const struct qx_plugin qdq_plugin = {
	.abi_major = QX_ABI_MAJOR,
	.abi_minor = QX_ABI_MINOR,
	.struct_size = sizeof(struct qx_plugin),
	.name = "onnx-qdq",
	.version = "1.0.0",
	.license = "MIT",
	.description = "Imports an ONNX QDQ model's qparams (ORT, INC, NNCF, qx-bench export) as a "
	               "plan",
	.create = qdq_create,
	.prepare = qdq_prepare,
	.calibrate = qdq_calibrate,
	.convert = qdq_convert,
	.destroy = qdq_destroy,
	.option_decls = qdq_options,
	.n_option_decls = N_OPTIONS,
};

QX_PLUGIN_ENTRY
{
	if (host->abi_major != QX_ABI_MAJOR) {
		host->error(host, "host ABI %u.%u (expected major %d)", host->abi_major,
		            host->abi_minor, QX_ABI_MAJOR);
		return NULL;
	}
	return &qdq_plugin;
}
