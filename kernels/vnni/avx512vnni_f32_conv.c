/* The AVX-512F + FMA fp32 convolution (f32_conv_template.h). */
#include "vnni/avx512vnni_f32_isa.h"
#include "avx2/f32_decls_template.h"
#include "avx2/f32_conv_template.h"
