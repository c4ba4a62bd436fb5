/* The AVX2 + FMA fp32 matrix product (f32_matmul_template.h). */
#include "avx2/f32_avx2_ops.h"
#include "x86/f32_decls_template.h"
#include "x86/f32_matmul_template.h"
