/* Checked size arithmetic for numbers read from files (ONNX dims, dataset headers): every shape
 * product and element count goes through these, so a hostile dim gives a message naming it,
 * never a wrapped (negative or small) count that passes a later check. */
#ifndef QX_UTIL_CHECKED_H
#define QX_UTIL_CHECKED_H

#include <stdbool.h>
#include <stdint.h>

/* *out = a * b; false (and *out untouched) when the product does not fit in int64_t. */
static inline bool qx_mul_ok(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;
	if (__builtin_mul_overflow(a, b, &r))
		return false;
	*out = r;
	return true;
}

/* *out = a + b; false when the sum does not fit in int64_t. */
static inline bool qx_add_ok(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return false;
	*out = r;
	return true;
}

/* Whether ndim dims describe a tensor of at most limit elements: every dim >= 0 and the product
 * of the nonzero dims <= limit. The nonzero product is bounded, not the element count (which a
 * single 0 makes 0 whatever the other dims are), so that every partial product of these dims
 * (Flatten's, Reshape's, a kernel's outer x inner) stays within limit too. *count (when not NULL)
 * gets the element count. On false, *bad_dim (when not NULL) gets the first negative dim's
 * index, or -1 when the dims are all >= 0 but too many. */
static inline bool qx_dims_within(int ndim, const int64_t *dims, int64_t limit, int64_t *count,
                                  int *bad_dim)
{
	int64_t nonzero = 1;
	bool empty = false;
	for (int i = 0; i < ndim; i++) {
		if (dims[i] < 0) {
			if (bad_dim)
				*bad_dim = i;
			return false;
		}
		if (dims[i] == 0)
			empty = true;
		else if (!qx_mul_ok(nonzero, dims[i], &nonzero) || nonzero > limit) {
			if (bad_dim)
				*bad_dim = -1;
			return false;
		}
	}
	if (count)
		*count = empty ? 0 : nonzero;
	return true;
}

#endif
