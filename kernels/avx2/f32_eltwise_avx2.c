/* The AVX2 + FMA fp32 elementwise ops (f32_eltwise_template.h). */
#include "avx2/f32_avx2_ops.h"
#include "x86/f32_decls_template.h"
#include "x86/f32_eltwise_template.h"
