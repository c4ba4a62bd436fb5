/* The AVX-512F + FMA fp32 elementwise ops (f32_eltwise_template.h). */
#include "avx512vnni/f32_avx512f_ops.h"
#include "x86/f32_decls_template.h"
#include "x86/f32_eltwise_template.h"
