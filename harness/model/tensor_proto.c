/* ONNX TensorProto -> constant tensor data (initializers, Constant nodes, test data files). */
#include "model/graph_build.h"
#include "util/checked.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *qx_onnx_dtype_name(int32_t data_type)
{
	static const char *const names[] = {
		"undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64", "string",
		"bool", "float16", "double", "uint32", "uint64", "complex64", "complex128", "bfloat16",
	};
	if (data_type < 0 || (size_t)data_type >= sizeof names / sizeof names[0])
		return "unknown";
	return names[data_type];
}

/* Number of elements the dims promise, or -1 when a dim is negative or above 2^31 - 1, or the
 * nonzero dims multiply past 2^40 (qx_dims_within: so that no partial product of these dims,
 * nor a byte count of the data, can overflow, even when another dim is 0). */
static int64_t proto_numel(const Onnx__TensorProto *tp)
{
	if (tp->n_dims > QX_MAX_DIMS)
		return -1;
	int64_t n;
	for (size_t i = 0; i < tp->n_dims; i++)
		if (tp->dims[i] > INT32_MAX)
			return -1;
	if (!qx_dims_within((int)tp->n_dims, tp->dims, (int64_t)1 << 40, &n, NULL))
		return -1;
	return n;
}

int qx_tensor_from_proto(const Onnx__TensorProto *tp, int allow_i64, struct qx_tensor *t,
                         const char *file, const char *place, struct qx_error *err)
{
	int32_t dt = tp->has_data_type ? tp->data_type : 0;
	int external = tp->has_data_location &&
	               tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	if (external || tp->n_external_data > 0)
		return qx_fail(err, QX_EUNSUPPORTED,
		               "%s: %s: tensor data stored in an external file (expected data inside the "
		               "model file)", file, place);
	if (tp->segment)
		return qx_fail(err, QX_EUNSUPPORTED, "%s: %s: segmented tensor (expected one piece)",
		               file, place);
	int is_i64 = dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
	if (dt != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && !(is_i64 && allow_i64))
		return qx_fail(err, QX_EUNSUPPORTED, "%s: %s: tensor of dtype %s (expected float%s)",
		               file, place, qx_onnx_dtype_name(dt),
		               allow_i64 ? " or int64" : "");
	if (tp->n_dims > QX_MAX_DIMS)
		return qx_fail(err, QX_EUNSUPPORTED, "%s: %s: tensor has %zu dims (expected at most %d)",
		               file, place, tp->n_dims, QX_MAX_DIMS);
	int64_t n = proto_numel(tp);
	if (n < 0)
		return qx_fail(err, QX_EINVAL, "%s: %s: tensor has a negative or huge dim (expected "
		               "dims >= 0 with at most 2^40 elements)", file, place);
	size_t elem = is_i64 ? sizeof(int64_t) : sizeof(float);
	size_t have;
	const void *src;
	if (tp->has_raw_data) {
		if (tp->raw_data.len != (size_t)n * elem)
			return qx_fail(err, QX_EINVAL,
			               "%s: %s: raw_data holds %zu bytes for %lld elements (expected %zu)",
			               file, place, tp->raw_data.len, (long long)n, (size_t)n * elem);
		src = tp->raw_data.data;
		have = (size_t)n;
	} else if (is_i64) {
		src = tp->int64_data;
		have = tp->n_int64_data;
	} else {
		src = tp->float_data;
		have = tp->n_float_data;
	}
	if (have != (size_t)n)
		return qx_fail(err, QX_EINVAL, "%s: %s: tensor holds %zu values for %lld elements "
		               "(expected one value per element)", file, place, have, (long long)n);
	/* raw_data is little-endian; x86 and ARM Linux are too, so a copy is the conversion. */
	void *data = malloc(n ? (size_t)n * elem : 1);
	if (!data)
		return qx_fail_nomem(err, "reading a tensor");
	if (n)
		memcpy(data, src, (size_t)n * elem);
	t->dtype = is_i64 ? QX_DT_I64 : QX_DT_F32;
	t->ndim = (int)tp->n_dims;
	for (int i = 0; i < t->ndim; i++)
		t->dims[i] = tp->dims[i];
	t->is_const = 1;
	free(t->data);
	free(t->i64);
	t->data = is_i64 ? NULL : data;
	t->i64 = is_i64 ? data : NULL;
	return 0;
}

/* Reads a whole file into memory; *len gets its size. */
static int read_file_impl(const char *path, uint8_t **buf, size_t *len, struct qx_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return qx_fail(err, errno == ENOENT ? QX_ENOENT : QX_EIO, "%s: cannot open: %s", path,
		               strerror(errno));
	size_t cap = 1 << 16, n = 0;
	uint8_t *data = malloc(cap);
	while (data) {
		n += fread(data + n, 1, cap - n, f);
		if (n < cap)
			break;
		uint8_t *grown = realloc(data, cap * 2);
		if (!grown) {
			free(data);
			data = NULL;
			break;
		}
		data = grown;
		cap *= 2;
	}
	int failed = ferror(f);
	fclose(f);
	if (!data)
		return qx_fail_nomem(err, "reading a file");
	if (failed) {
		free(data);
		return qx_fail(err, QX_EIO, "%s: read error", path);
	}
	*buf = data;
	*len = n;
	return 0;
}

int qx_read_whole_file(const char *path, uint8_t **buf, size_t *len, struct qx_error *err)
{
	return read_file_impl(path, buf, len, err);
}

int qx_tensor_proto_load(const char *path, int *ndim, int64_t dims[QX_MAX_DIMS], float **data,
                         struct qx_error *err)
{
	uint8_t *buf;
	size_t len;
	int rc = read_file_impl(path, &buf, &len, err);
	if (rc)
		return rc;
	Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, buf);
	free(buf);
	if (!tp)
		return qx_fail(err, QX_EINVAL, "%s: not a valid ONNX tensor (protobuf parse failed at "
		               "%zu bytes)", path, len);
	struct qx_tensor t = { 0 };
	rc = qx_tensor_from_proto(tp, 0, &t, path, "tensor", err);
	onnx__tensor_proto__free_unpacked(tp, NULL);
	if (rc)
		return rc;
	*ndim = t.ndim;
	for (int i = 0; i < t.ndim; i++)
		dims[i] = t.dims[i];
	*data = t.data;
	return 0;
}
