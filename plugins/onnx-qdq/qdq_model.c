/* onnx-qdq: reading the quantized ONNX model (see qdq_model.h). */
#include "qdq_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct qdq_name *)a)->name, ((const struct qdq_name *)b)->name);
}

const struct qdq_name *qdq_model_find(const struct qdq_model *m, const char *name)
{
	if (!name || !*name || !m->n_names)
		return NULL;
	struct qdq_name key = { .name = name };
	return bsearch(&key, m->names, m->n_names, sizeof key, name_cmp);
}

const Onnx__NodeProto *qdq_model_producer(const struct qdq_model *m, const char *name)
{
	const struct qdq_name *e = qdq_model_find(m, name);
	return e && e->producer >= 0 ? m->graph->node[e->producer] : NULL;
}

const Onnx__TensorProto *qdq_model_const(const struct qdq_model *m, const char *name)
{
	const struct qdq_name *e = qdq_model_find(m, name);
	return e ? e->value : NULL;
}

const char *qdq_node_input(const Onnx__NodeProto *nd, size_t j)
{
	return j < nd->n_input && nd->input[j] ? nd->input[j] : "";
}

int64_t qdq_node_int_attr(const Onnx__NodeProto *nd, const char *name, int64_t dflt)
{
	for (size_t a = 0; a < nd->n_attribute; a++)
		if (nd->attribute[a]->name && strcmp(nd->attribute[a]->name, name) == 0 &&
		    nd->attribute[a]->has_i)
			return nd->attribute[a]->i;
	return dflt;
}

static const Onnx__TensorProto *constant_value(const Onnx__NodeProto *nd)
{
	if (!nd->op_type || strcmp(nd->op_type, "Constant") != 0)
		return NULL;
	for (size_t a = 0; a < nd->n_attribute; a++)
		if (nd->attribute[a]->name && strcmp(nd->attribute[a]->name, "value") == 0)
			return nd->attribute[a]->t;
	return NULL;
}

/* Every name, duplicates included, then sorted and merged. */
static int build_index(struct qdq_model *m)
{
	const Onnx__GraphProto *g = m->graph;
	size_t cap = g->n_initializer + g->n_input;
	for (size_t n = 0; n < g->n_node; n++)
		cap += g->node[n]->n_input + g->node[n]->n_output;
	struct qdq_name *v = calloc(cap ? cap : 1, sizeof *v);
	if (!v)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < g->n_initializer; i++)
		if (g->initializer[i]->name)
			v[k++] = (struct qdq_name){ g->initializer[i]->name, -1, g->initializer[i], 0 };
	for (size_t i = 0; i < g->n_input; i++)
		if (g->input[i]->name)
			v[k++] = (struct qdq_name){ g->input[i]->name, -1, NULL, 0 };
	for (size_t n = 0; n < g->n_node; n++) {
		const Onnx__NodeProto *nd = g->node[n];
		const Onnx__TensorProto *cv = constant_value(nd);
		for (size_t j = 0; j < nd->n_output; j++)
			if (nd->output[j] && *nd->output[j])
				v[k++] = (struct qdq_name){ nd->output[j], (int32_t)n, cv, 0 };
		for (size_t j = 0; j < nd->n_input; j++)
			if (nd->input[j] && *nd->input[j])
				v[k++] = (struct qdq_name){ nd->input[j], -1, NULL, 1 };
	}
	qsort(v, k, sizeof *v, name_cmp);
	size_t out = 0;
	for (size_t i = 0; i < k; i++) {
		if (out && strcmp(v[out - 1].name, v[i].name) == 0) {
			struct qdq_name *e = &v[out - 1];
			if (v[i].producer >= 0)
				e->producer = v[i].producer;
			if (v[i].value)
				e->value = v[i].value;
			e->n_readers += v[i].n_readers;
		} else
			v[out++] = v[i];
	}
	m->names = v;
	m->n_names = out;
	return 0;
}

int qdq_model_load(struct qdq_model *m, const char *path, char *msg, size_t size)
{
	memset(m, 0, sizeof *m);
	snprintf(m->path, sizeof m->path, "%s", path);
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(msg, size, "'%s': %s (expected a QDQ ONNX model)", path, strerror(errno));
		return -1;
	}
	size_t cap = 1 << 20, len = 0;
	uint8_t *buf = malloc(cap);
	while (buf) {
		len += fread(buf + len, 1, cap - len, f);
		if (len < cap)
			break;
		uint8_t *nb = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	int bad = ferror(f);
	fclose(f);
	if (!buf || bad) {
		free(buf);
		snprintf(msg, size, "'%s': %s", path, bad ? "read error" : "out of memory reading it");
		return -1;
	}
	m->proto = onnx__model_proto__unpack(NULL, len, buf);
	free(buf);
	if (!m->proto || !m->proto->graph || m->proto->graph->n_node == 0 ||
	    !m->proto->has_ir_version) {
		snprintf(msg, size, "'%s' is not an ONNX model (%s; expected a QDQ ONNX model)",
		         path, m->proto ? "no graph or no nodes" : "protobuf parse failed");
		qdq_model_free(m);
		return -1;
	}
	m->graph = m->proto->graph;
	for (size_t i = 0; i < m->graph->n_initializer; i++) {
		const Onnx__TensorProto *t = m->graph->initializer[i];
		if (t->has_data_location &&
		    t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
			snprintf(msg, size, "'%s': initializer '%s' is stored as external data (expected "
			         "every initializer inside the file)", path, t->name ? t->name : "?");
			qdq_model_free(m);
			return -1;
		}
	}
	if (build_index(m)) {
		snprintf(msg, size, "'%s': out of memory indexing it", path);
		qdq_model_free(m);
		return -1;
	}
	return 0;
}

void qdq_model_free(struct qdq_model *m)
{
	if (m->proto)
		onnx__model_proto__free_unpacked(m->proto, NULL);
	free(m->names);
	m->proto = NULL;
	m->graph = NULL;
	m->names = NULL;
	m->n_names = 0;
}

const char *qdq_dtype_name(int32_t dtype)
{
	static char other[32];
	switch (dtype) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return "float";
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: return "uint8";
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return "int8";
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: return "uint16";
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: return "int16";
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return "int32";
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: return "float16";
	case 17: case 18: case 19: case 20: return "float8";
	case 21: return "uint4";
	case 22: return "int4";
	default:
		snprintf(other, sizeof other, "ONNX type %d", (int)dtype);
		return other;
	}
}

static int element_size(int32_t dtype)
{
	switch (dtype) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return 4;
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return 1;
	default: return 0;
	}
}

int qdq_values_read(const Onnx__TensorProto *t, struct qdq_values *v, char *msg, size_t size)
{
	memset(v, 0, sizeof *v);
	v->dtype = t->data_type;
	int es = element_size(t->data_type);
	if (!es) {
		snprintf(msg, size, "'%s' is %s (expected float, int8, uint8 or int32)",
		         t->name ? t->name : "?", qdq_dtype_name(t->data_type));
		return -1;
	}
	if (t->n_dims > 8) {
		snprintf(msg, size, "'%s' has %zu dimensions (expected at most 8)", t->name, t->n_dims);
		return -1;
	}
	v->ndim = (int32_t)t->n_dims;
	v->numel = 1;
	for (size_t d = 0; d < t->n_dims; d++) {
		if (t->dims[d] < 0 || (t->dims[d] && v->numel > INT32_MAX / t->dims[d])) {
			snprintf(msg, size, "'%s' has a bad shape", t->name ? t->name : "?");
			return -1;
		}
		v->dims[d] = t->dims[d];
		v->numel *= t->dims[d];
	}
	size_t n = (size_t)v->numel;
	size_t have = t->has_raw_data ? t->raw_data.len / (size_t)es
	            : t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ? t->n_float_data
	                                                                     : t->n_int32_data;
	if (have != n || (t->has_raw_data && t->raw_data.len % (size_t)es)) {
		snprintf(msg, size, "'%s' holds %zu values for %zu elements of its shape",
		         t->name ? t->name : "?", have, n);
		return -1;
	}
	if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
		v->f = malloc((n ? n : 1) * sizeof *v->f);
		if (!v->f)
			goto nomem;
		if (t->has_raw_data)
			memcpy(v->f, t->raw_data.data, n * 4); /* little-endian, as ONNX stores it */
		else
			memcpy(v->f, t->float_data, n * 4);
		return 0;
	}
	v->i = malloc((n ? n : 1) * sizeof *v->i);
	if (!v->i)
		goto nomem;
	for (size_t k = 0; k < n; k++) {
		if (!t->has_raw_data)
			v->i[k] = t->int32_data[k];
		else if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__UINT8)
			v->i[k] = t->raw_data.data[k];
		else if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT8)
			v->i[k] = (int8_t)t->raw_data.data[k];
		else
			memcpy(&v->i[k], t->raw_data.data + 4 * k, 4);
	}
	return 0;
nomem:
	snprintf(msg, size, "out of memory reading '%s'", t->name ? t->name : "?");
	return -1;
}

void qdq_values_free(struct qdq_values *v)
{
	free(v->f);
	free(v->i);
	v->f = NULL;
	v->i = NULL;
}
