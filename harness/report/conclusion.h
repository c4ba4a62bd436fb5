/* The answer a run ends with: per plugin, its accuracy drop against fp32 and its speedup on
 * the fastest kernel set at each measured (batch, threads), and which plugins are on the
 * Pareto fronts of accuracy against latency and of accuracy against model size (a sweep's
 * configurations are plugins like any other; a quick run says so first). Read from the run's results.json document, so the
 * conclusion can never say something the record does not. */
#ifndef QX_CONCLUSION_H
#define QX_CONCLUSION_H

#include <stdio.h>

#include <jansson.h>

/* Prints the conclusion of results document root (borrowed) to out. kernels names the set
 * accuracy and speedups are read on (the run's fastest). A plugin whose row is an error or
 * whose result is MISTRUSTED is listed as such and is never on the front; a simulated plan (no
 * int8 kernel runs it) shows "no kernel" for its speedups, is never on the latency front and
 * may be on the size front. */
void qx_conclusion_print(json_t *root, const char *kernels, FILE *out);

#endif
