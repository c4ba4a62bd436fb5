/* Hand-made quantization plans for executor tests: min/max observers over one fp32 run, in the
 * shape a plugin's plan takes after the host validated it. */
#ifndef QX_TEST_PLAN_H
#define QX_TEST_PLAN_H

#include "exec/exec_f32.h"
#include "plan/plan.h"

/* Every node static (Conv/Gemm/MatMul weights int8 symmetric per output channel, activations
 * uint8 from their range in f's last run, keep-qparams ops copying their input's), or with
 * dynamic_linear only the Gemm/MatMul nodes, dynamic (0..127). -1 when out of memory. */
int test_plan_make(struct qx_graph *g, struct qx_exec_f32 *f, struct qx_quant_plan *p,
                   int dynamic_linear);
void test_plan_free(struct qx_quant_plan *p);

#endif
