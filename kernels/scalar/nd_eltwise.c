/* Elementwise float / int64 math with numpy broadcasting (kernels/nd_ops.h). Transcendentals
 * come from libm (expf, tanhf, erff, sqrtf, powf), as PyTorch's reference CPU path. */
#include "nd_ops.h"

#include <math.h>

/* One loop per op, the op picked once, so that the compiler vectorizes each (libm calls stay
 * scalar). */
#define UNARY_LOOP(expr)                                                                      \
	do {                                                                                      \
		for (int64_t i = 0; i < n; i++) {                                                     \
			float v = x[i];                                                                   \
			y[i] = (expr);                                                                    \
		}                                                                                     \
	} while (0)

static inline float clampf(float v, float lo, float hi)
{
	v = v < lo ? lo : v;
	return v > hi ? hi : v;
}

/* 1 / (1 + exp(-v)) without overflow: exp of minus the magnitude, then the matching branch. */
static inline float sigmoid(float v)
{
	float e = expf(v < 0.0f ? v : -v);
	return v < 0.0f ? e / (1.0f + e) : 1.0f / (1.0f + e);
}

void qx_nd_unary_f32(enum qx_nd_unop op, float alpha, float beta, const float *x, float *y,
                     int64_t n)
{
	switch (op) {
	case QX_ND_RELU: UNARY_LOOP(v < 0.0f ? 0.0f : v); break;
	case QX_ND_SIGMOID: UNARY_LOOP(sigmoid(v)); break;
	case QX_ND_HARDSIGMOID: UNARY_LOOP(clampf(alpha * v + beta, 0.0f, 1.0f)); break;
	/* PyTorch's x * relu6(x + 3) / 6 */
	case QX_ND_HARDSWISH: UNARY_LOOP(v * clampf(v + 3.0f, 0.0f, 6.0f) / 6.0f); break;
	case QX_ND_TANH: UNARY_LOOP(tanhf(v)); break;
	case QX_ND_LEAKYRELU: UNARY_LOOP(v < 0.0f ? alpha * v : v); break;
	case QX_ND_SQRT: UNARY_LOOP(sqrtf(v)); break;
	case QX_ND_ERF: UNARY_LOOP(erff(v)); break;
	case QX_ND_CLIP: UNARY_LOOP(clampf(v, alpha, beta)); break;
	}
}

#undef UNARY_LOOP

void qx_nd_bcast_strides(int r, int ndim, const int64_t *dims, int64_t *strides)
{
	int64_t st = 1;
	for (int i = 0; i < r; i++)
		strides[i] = 0;
	for (int i = ndim - 1; i >= 0; i--) {
		strides[r - ndim + i] = dims[i] == 1 ? 0 : st;
		st *= dims[i];
	}
}

static float binop_f32(enum qx_nd_binop op, float a, float b)
{
	switch (op) {
	case QX_ND_ADD: return a + b;
	case QX_ND_SUB: return a - b;
	case QX_ND_MUL: return a * b;
	case QX_ND_DIV: return a / b;
	case QX_ND_POW: return powf(a, b);
	case QX_ND_PRELU: return a < 0.0f ? a * b : a;
	}
	return 0.0f;
}

/* One row of the innermost dim, per dtype. */
struct row_fn {
	enum qx_nd_binop op;
	int bad;   /* int64: set on division by zero */
	void (*row)(struct row_fn *f, const void *a, int64_t ia, const void *b, int64_t ib,
	            void *y, int64_t n);
};

/* One op over a row, the op picked once: a[j * ia] op b[j * ib]. */
#define ROW_LOOP(expr)                                                                        \
	do {                                                                                      \
		if (ia == 1 && ib == 1) {                                                             \
			for (int64_t j = 0; j < n; j++) {                                                 \
				float p = a[j], q = b[j];                                                     \
				y[j] = (expr);                                                                \
			}                                                                                 \
		} else if (ia == 1 && ib == 0) { /* a plane and one value (squeeze-excitation) */    \
			float q = b[0];                                                                   \
			for (int64_t j = 0; j < n; j++) {                                                 \
				float p = a[j];                                                               \
				y[j] = (expr);                                                                \
			}                                                                                 \
		} else if (ia == 0 && ib == 1) {                                                      \
			float p = a[0];                                                                   \
			for (int64_t j = 0; j < n; j++) {                                                 \
				float q = b[j];                                                               \
				y[j] = (expr);                                                                \
			}                                                                                 \
		} else {                                                                              \
			for (int64_t j = 0; j < n; j++) {                                                 \
				float p = a[j * ia], q = b[j * ib];                                           \
				y[j] = (expr);                                                                \
			}                                                                                 \
		}                                                                                     \
	} while (0)

static void row_f32(struct row_fn *f, const void *va, int64_t ia, const void *vb, int64_t ib,
                    void *vy, int64_t n)
{
	const float *a = va, *b = vb;
	float *y = vy;
	switch (f->op) {
	case QX_ND_ADD: ROW_LOOP(p + q); break;
	case QX_ND_SUB: ROW_LOOP(p - q); break;
	case QX_ND_MUL: ROW_LOOP(p * q); break;
	case QX_ND_DIV: ROW_LOOP(p / q); break;
	default:
		for (int64_t j = 0; j < n; j++)
			y[j] = binop_f32(f->op, a[j * ia], b[j * ib]);
	}
}

#undef ROW_LOOP

static void row_i64(struct row_fn *f, const void *va, int64_t ia, const void *vb, int64_t ib,
                    void *vy, int64_t n)
{
	const int64_t *a = va, *b = vb;
	int64_t *y = vy;
	for (int64_t j = 0; j < n; j++) {
		int64_t p = a[j * ia], q = b[j * ib];
		switch (f->op) {
		case QX_ND_ADD: y[j] = (int64_t)((uint64_t)p + (uint64_t)q); break;
		case QX_ND_SUB: y[j] = (int64_t)((uint64_t)p - (uint64_t)q); break;
		case QX_ND_MUL: y[j] = (int64_t)((uint64_t)p * (uint64_t)q); break;
		case QX_ND_DIV:
			if (q == 0 || (p == INT64_MIN && q == -1)) {
				f->bad = 1;
				y[j] = 0;
			} else {
				y[j] = p / q;
			}
			break;
		default:
			f->bad = 1;
			y[j] = 0;
		}
	}
}

/* Walks the broadcast result row by row (the innermost dim), handing each row to f. Adjacent
 * dims that both operands step through alike are merged first, so that rows are long (an
 * [N,C,H,W] * [N,C,1,1] product walks rows of H*W). */
static void bcast_walk(struct row_fn *f, size_t esz, int r, const int64_t *ydims_in,
                       const char *a, const int64_t *sa_in, const char *b, const int64_t *sb_in,
                       char *y)
{
	int64_t ydims[QX_ND_MAX_DIMS], sa[QX_ND_MAX_DIMS], sb[QX_ND_MAX_DIMS];
	int m = 0;
	for (int d = 0; d < r; d++) {
		if (m > 0 && sa[m - 1] == sa_in[d] * ydims_in[d] && sb[m - 1] == sb_in[d] * ydims_in[d]) {
			ydims[m - 1] *= ydims_in[d];
			sa[m - 1] = sa_in[d];
			sb[m - 1] = sb_in[d];
			continue;
		}
		ydims[m] = ydims_in[d];
		sa[m] = sa_in[d];
		sb[m] = sb_in[d];
		m++;
	}
	r = m;
	if (r == 0) {
		f->row(f, a, 0, b, 0, y, 1);
		return;
	}
	int64_t total = 1, idx[QX_ND_MAX_DIMS] = { 0 };
	for (int i = 0; i < r; i++)
		total *= ydims[i];
	int64_t inner = ydims[r - 1];
	for (int64_t done = 0; done < total; done += inner) {
		int64_t oa = 0, ob = 0;
		for (int d = 0; d < r - 1; d++) {
			oa += idx[d] * sa[d];
			ob += idx[d] * sb[d];
		}
		f->row(f, a + (size_t)oa * esz, sa[r - 1], b + (size_t)ob * esz, sb[r - 1],
		       y + (size_t)done * esz, inner);
		for (int d = r - 2; d >= 0; d--) {
			if (++idx[d] < ydims[d])
				break;
			idx[d] = 0;
		}
	}
}

void qx_nd_binary_f32(enum qx_nd_binop op, int r, const int64_t *ydims, const float *a,
                      const int64_t *sa, const float *b, const int64_t *sb, float *y)
{
	struct row_fn f = { op, 0, row_f32 };
	bcast_walk(&f, sizeof(float), r, ydims, (const char *)a, sa, (const char *)b, sb, (char *)y);
}

int qx_nd_binary_i64(enum qx_nd_binop op, int r, const int64_t *ydims, const int64_t *a,
                     const int64_t *sa, const int64_t *b, const int64_t *sb, int64_t *y)
{
	struct row_fn f = { op, 0, row_i64 };
	bcast_walk(&f, sizeof(int64_t), r, ydims, (const char *)a, sa, (const char *)b, sb,
	           (char *)y);
	return f.bad ? -1 : 0;
}
