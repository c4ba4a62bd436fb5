/* The two 8-bit float formats a plan may use (include/qx/plan.h, ABI minor 3): e4m3fn and e5m2,
 * as ONNX (FLOAT8E4M3FN, FLOAT8E5M2) and the OCP 8-bit float specification define them, with
 * saturating conversion and rounding to nearest, ties to even. The one definition of their
 * arithmetic in the harness: validation, the reference simulation and plan.json use it. */
#ifndef QX_PLAN_FP8_H
#define QX_PLAN_FP8_H

#include <stdint.h>

/* dtype: QX_PLAN_FP8_E4M3FN or QX_PLAN_FP8_E5M2 (anything else is treated as e4m3fn). */

/* The value of code c (NaN for NaN codes, +-inf for e5m2's infinities). */
float qx_fp8_decode(uint8_t c, int dtype);

/* The code nearest x: ties to the even mantissa; |x| beyond the largest finite value (+-inf
 * included) saturates to it, keeping the sign; -0 stays -0; NaN gives the format's NaN (0x7f). */
uint8_t qx_fp8_encode(float x, int dtype);

/* qx_fp8_decode(qx_fp8_encode(x)). */
float qx_fp8_round(float x, int dtype);

/* The largest finite value: 448 (e4m3fn) or 57344 (e5m2). */
float qx_fp8_max(int dtype);

/* The step between the largest finite value and the value below it: 32 (e4m3fn: 448 - 416)
 * or 8192 (e5m2: 57344 - 49152). */
float qx_fp8_top_step(int dtype);

/* Whether code c is a NaN or an infinity (codes a plan may not supply). */
int qx_fp8_code_is_special(uint8_t c, int dtype);

#endif
