/* The kernel table: every function the fp32 and int8 executors call, one table per kernel set.
 *
 * kernels/scalar/ is the reference; kernels/avx2/, kernels/avx512vnni/ (its fp32 kernels are
 * AVX-512F), kernels/avxvnni/ and kernels/neon/ fill the same tables with the same results (int8
 * bit-identical to scalar). Code the x86 sets share (templates, the int8 weight packer) lies in
 * kernels/x86/. Nothing outside kernels/ knows an intrinsic. A set is compiled with its own
 * target flags and
 * runs only where qx_kernels_available() says the CPU has it. */
#ifndef QX_KERNELS_H
#define QX_KERNELS_H

#include "kernels_f32.h"
#include "kernels_q8.h"

enum qx_kset {
	QX_KSET_SCALAR,
	QX_KSET_AVX2,
	QX_KSET_AVX512VNNI,
	QX_KSET_AVXVNNI,
	QX_KSET_NEON,
	QX_KSET_COUNT
};

struct qx_kernels {
	enum qx_kset set;
	const char *name;                /* "scalar", "avx2", "avx512vnni", "avxvnni", "neon" */
	const char *isa;                 /* what the CPU needs, e.g. "AVX2 + FMA" */
	const struct qx_kernels_f32 *f32;
	const struct qx_kernels_q8 *q8;
};

/* Every set, fastest first: the order qx_kernels_best picks from and a run measures sets in. */
extern const enum qx_kset qx_kset_speed_order[QX_KSET_COUNT];

/* The set's name ("scalar", "avx2", ...), valid for every set, built in or not. */
const char *qx_kset_name(enum qx_kset set);

/* The table for a set, or NULL when this build does not contain it (e.g. neon on x86). */
const struct qx_kernels *qx_kernels_get(enum qx_kset set);

/* Whether the set is built in and this CPU (and OS) can run it. When not, *why (if not NULL)
 * says why in a few words, e.g. "CPU lacks AVX512-VNNI" or "not built for this architecture".
 * The environment variable QX_DISABLE_KSETS=avx2,avx512vnni pretends the CPU lacks those sets
 * (tests use it to exercise the unavailable path on any machine). */
int qx_kernels_available(enum qx_kset set, const char **why);

/* The set named name ("auto" is the fastest available), or NULL. */
const struct qx_kernels *qx_kernels_by_name(const char *name);

/* The fastest available set. Never NULL: scalar always runs. */
const struct qx_kernels *qx_kernels_best(void);

#endif
