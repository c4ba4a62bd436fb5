/* Registry of kernel sets and the run-time CPU check that decides which may run here.
 *
 * The program is built for the baseline of its architecture; each set's files carry their own
 * target flags, so nothing here may call into a set before qx_kernels_available() said yes. */
#include "kernels.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

extern const struct qx_kernels_f32 qx_f32_scalar;
extern const struct qx_kernels_q8 qx_q8_scalar;
#if defined(__x86_64__)
extern const struct qx_kernels_f32 qx_f32_avx2;
extern const struct qx_kernels_f32 qx_f32_avx512;
extern const struct qx_kernels_q8 qx_q8_avx2;
extern const struct qx_kernels_q8 qx_q8_avx512vnni;
extern const struct qx_kernels_q8 qx_q8_avxvnni;
#endif
#if defined(__aarch64__)
extern const struct qx_kernels_q8 qx_q8_neon;
#endif

/* fp32: each x86 set has FMA fp32 kernels of its vector width (AVX-VNNI is a 256-bit set); NEON
 * reuses scalar fp32 (its fp32 kernels do not exist yet). */
static const struct qx_kernels sets[QX_KSET_COUNT] = {
	[QX_KSET_SCALAR] = { QX_KSET_SCALAR, "scalar", "portable C", &qx_f32_scalar, &qx_q8_scalar },
#if defined(__x86_64__)
	[QX_KSET_AVX2] = { QX_KSET_AVX2, "avx2", "AVX2 + FMA", &qx_f32_avx2, &qx_q8_avx2 },
	[QX_KSET_AVX512VNNI] = { QX_KSET_AVX512VNNI, "avx512vnni", "AVX-512 (F, BW, VL, DQ) + AVX512-VNNI",
	                         &qx_f32_avx512, &qx_q8_avx512vnni },
	[QX_KSET_AVXVNNI] = { QX_KSET_AVXVNNI, "avxvnni", "AVX2 + FMA + AVX-VNNI", &qx_f32_avx2,
	                      &qx_q8_avxvnni },
#endif
#if defined(__aarch64__)
	[QX_KSET_NEON] = { QX_KSET_NEON, "neon", "AArch64 Advanced SIMD", &qx_f32_scalar, &qx_q8_neon },
#endif
};

static const char *const set_names[QX_KSET_COUNT] = {
	"scalar", "avx2", "avx512vnni", "avxvnni", "neon",
};

#if defined(__x86_64__)
/* AVX-VNNI is CPUID leaf 7 sub-leaf 1, EAX bit 4. Read directly: clang 14's
 * __builtin_cpu_supports does not know "avxvnni". The OS saves ymm state when AVX2 passed the
 * check before this one (__builtin_cpu_supports tests XGETBV too). */
static int cpu_has_avxvnni(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid_count(7, 1, &a, &b, &c, &d))
		return 0;
	return (a >> 4) & 1u;
}
#endif

/* What the CPU lacks for set, or NULL when it can run it. Test hook: QX_DISABLE_KSETS (a
 * comma-separated list of set names) pretends the CPU lacks them, so the "unavailable" paths are
 * testable on any machine. */
static const char *cpu_lacks(enum qx_kset set)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	switch (set) {
	case QX_KSET_AVX2:
		if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
			return "CPU lacks AVX2/FMA";
		break;
	case QX_KSET_AVX512VNNI:
		if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
		    !__builtin_cpu_supports("avx512vl") || !__builtin_cpu_supports("avx512dq"))
			return "CPU lacks AVX-512 (F/BW/VL/DQ)";
		if (!__builtin_cpu_supports("avx512vnni"))
			return "CPU lacks AVX512-VNNI";
		break;
	case QX_KSET_AVXVNNI:
		if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
			return "CPU lacks AVX2/FMA";
		if (!cpu_has_avxvnni())
			return "CPU lacks AVX-VNNI";
		break;
	default:
		break;
	}
#endif
	(void)set;
	return NULL;
}

static int disabled_by_env(enum qx_kset set)
{
	const char *list = getenv("QX_DISABLE_KSETS");
	if (!list)
		return 0;
	size_t len = strlen(set_names[set]);
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == len && strncmp(p, set_names[set], n) == 0)
			return 1;
		p += n + (end != NULL);
	}
	return 0;
}

const struct qx_kernels *qx_kernels_get(enum qx_kset set)
{
	if ((unsigned)set >= QX_KSET_COUNT || !sets[set].name)
		return NULL;
	return &sets[set];
}

const char *qx_kset_name(enum qx_kset set)
{
	return (unsigned)set < QX_KSET_COUNT ? set_names[set] : "?";
}

int qx_kernels_available(enum qx_kset set, const char **why)
{
	const char *reason = NULL;
	if ((unsigned)set >= QX_KSET_COUNT)
		reason = "no such kernel set";
	else if (!sets[set].name)
		reason = "not built for this architecture";
	else if (disabled_by_env(set))
		reason = "disabled by QX_DISABLE_KSETS";
	else
		reason = cpu_lacks(set);
	if (why)
		*why = reason;
	return reason == NULL;
}

const struct qx_kernels *qx_kernels_by_name(const char *name)
{
	if (strcmp(name, "auto") == 0)
		return qx_kernels_best();
	for (int s = 0; s < QX_KSET_COUNT; s++)
		if (strcmp(name, set_names[s]) == 0)
			return qx_kernels_get((enum qx_kset)s);
	return NULL;
}

const enum qx_kset qx_kset_speed_order[QX_KSET_COUNT] = {
	QX_KSET_AVX512VNNI, QX_KSET_AVXVNNI, QX_KSET_AVX2, QX_KSET_NEON, QX_KSET_SCALAR,
};

const struct qx_kernels *qx_kernels_best(void)
{
	for (int i = 0; i < QX_KSET_COUNT; i++)
		if (qx_kernels_available(qx_kset_speed_order[i], NULL))
			return &sets[qx_kset_speed_order[i]];
	return &sets[QX_KSET_SCALAR];
}
