/* results.json's "machine": kernel, arch, hostname, online CPUs, CPU model, hwloc topology,
 * the instruction-set flags that matter to the kernel sets, thread pinning and which kernel
 * sets this CPU runs (docs/results-format.md). Stable across runs on one machine: compare
 * treats a change in it as another machine. */
#ifndef QX_RESULTS_MACHINE_H
#define QX_RESULTS_MACHINE_H

#include <jansson.h>

#include "measure/topology.h"

/* machine.topology: {"cpu_model", "packages", "numa_nodes", "cores", "pus",
 *  "caches": [{"level", "type", "size_bytes", "line_bytes", "count", "pus_sharing"}...]},
 * a new reference. The same machine gives the same object (compare relies on it). */
json_t *qx_results_topology_json(const struct qx_topology *t);

/* The whole "machine" object, a new reference. */
json_t *qx_results_machine_json(void);

#endif
