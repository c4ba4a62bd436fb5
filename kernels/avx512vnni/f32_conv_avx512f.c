/* The AVX-512F + FMA fp32 convolution (f32_conv_template.h). */
#include "avx512vnni/f32_avx512f_ops.h"
#include "x86/f32_decls_template.h"
#include "x86/f32_conv_template.h"
