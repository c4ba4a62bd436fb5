/* The AVX2 + FMA fp32 convolution (f32_conv_template.h). */
#include "avx2/f32_avx2_ops.h"
#include "x86/f32_decls_template.h"
#include "x86/f32_conv_template.h"
