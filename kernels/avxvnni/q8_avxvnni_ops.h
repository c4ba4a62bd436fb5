/* The AVX-VNNI int8 set's q8v_* operations for the int8 templates: the VEX-encoded 256-bit
 * vpdpbusd (u8 x s8 -> s32, four products per lane, no saturation), 8 output channels per ymm;
 * tiles of 6 pixels x 16 channels (12 accumulators + 2 weight vectors + 1 broadcast of the 16
 * ymm registers) or 12 x 8. The 8-bit input helpers are shared with the AVX2 set's 0..127 form
 * (x86/q8_ymm8_ops.h). Compiled only into kernels/avxvnni/ (-mavx2 -mfma -mavxvnni). */
#ifndef QX_KERNELS_AVXVNNI_Q8_AVXVNNI_OPS_H
#define QX_KERNELS_AVXVNNI_Q8_AVXVNNI_OPS_H

#include "q8_common.h"
#include "x86/q8_ymm_ops.h"
#include "x86/q8_ymm8_ops.h"

#define Q8_FN(name) avxvnni_##name
#define Q8_LANES 8
#define Q8_KGROUP 4
#define Q8_ELEM uint8_t
#define Q8_WELEM int8_t
#define Q8_WIDE 0
#define Q8_NB_MAX 2
#define Q8_MR(nb) ((nb) == 2 ? 6 : 12)

/* {vex} vpdpbusd through asm with the accumulator tied in place: with the intrinsic, GCC 12
 * copies every accumulator to a scratch register on each step. */
Q8_OP q8_vec q8v_dot(q8_vec acc, q8_vec a, q8_vec w)
{
	__asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(a), "x"(w));
	return acc;
}

#endif
