/* ONNX model builder for the graph tests: protobuf-c structs in an arena, written to mb_dir.
 * Every allocation lives until mb_write, which frees them all. */
#ifndef QX_TEST_ONNX_BUILDER_H
#define QX_TEST_ONNX_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "exec/exec_f32.h"
#include "kernels.h"
#include "model/graph.h"
#include "onnx/onnx.pb-c.h"

/* Where mb_write puts models (the test's mkdtemp folder). */
extern const char *mb_dir;

/* mb_frand's state: tests save, seed and restore it to give two models the same values. */
extern uint64_t mb_rng;

struct arena {
	void **p;
	int n, cap;
};

#define MAX_ITEMS 32

struct mb {
	struct arena a;
	Onnx__ModelProto m;
	Onnx__GraphProto g;
	Onnx__OperatorSetIdProto opset;
	Onnx__OperatorSetIdProto *opsets[1];
	Onnx__NodeProto *nodes[MAX_ITEMS];
	Onnx__TensorProto *inits[MAX_ITEMS];
	Onnx__ValueInfoProto *ins[MAX_ITEMS], *outs[MAX_ITEMS];
};

void *arena_alloc(struct arena *a, size_t size);
char *arena_str(struct arena *a, const char *s);
void arena_free(struct arena *a);
void mb_init(struct mb *b, int64_t opset);
char **mb_split(struct arena *a, const char *list, size_t *n);
Onnx__NodeProto *mb_node(struct mb *b, const char *op, const char *name, const char *in,
                         const char *out);
Onnx__AttributeProto *mb_attr(struct mb *b, Onnx__NodeProto *n, const char *key,
                              Onnx__AttributeProto__AttributeType type);
void mb_attr_int(struct mb *b, Onnx__NodeProto *n, const char *key, int64_t v);
void mb_attr_float(struct mb *b, Onnx__NodeProto *n, const char *key, float v);
void mb_attr_ints(struct mb *b, Onnx__NodeProto *n, const char *key, int count, ...);
void mb_attr_str(struct mb *b, Onnx__NodeProto *n, const char *key, const char *v);
Onnx__TensorProto *mb_new_tensor(struct mb *b, const char *name, int32_t dtype, int ndim,
                                 const int64_t *dims);
int64_t mb_count(int ndim, const int64_t *dims);
void mb_init_f32(struct mb *b, const char *name, int ndim, const int64_t *dims,
                 const float *data, int raw);
void mb_init_i64(struct mb *b, const char *name, int n, const int64_t *vals);
Onnx__ValueInfoProto *mb_value_info(struct mb *b, const char *name, int32_t dtype, int ndim,
                                    const int64_t *dims);
void mb_input(struct mb *b, const char *name, int32_t dtype, int ndim, const int64_t *dims);
void mb_output(struct mb *b, const char *name);
void mb_write(struct mb *b, const char *name, char *path, size_t path_len, size_t keep_bytes);
float mb_frand(void);
void mb_fill(float *p, int64_t n, float lo, float hi);
int mb_count_op(const struct qx_graph *g, enum qx_op op);
const struct qx_kernels *mb_scalar(void);
int mb_run1(const struct qx_graph *g, int64_t batch, const float *x, int o, float *y, int64_t n);
/* The shape (ndim, dims) output o had in the last mb_run1's executor: the graph keeps its own. */
const struct qx_tensor *mb_last_output(void);
double mb_max_rel_diff(const float *a, const float *b, int64_t n);

#endif
