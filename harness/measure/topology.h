/* The machine's shape as hwloc sees it, for results.json (machine.topology, written by
 * results/results_machine.c) and for
 * `qx-bench compare`, which refuses to compare latency across different shapes.
 *
 * Only the structure is recorded (counts and cache sizes), not the amount of memory or the
 * current clock: those vary between boots of the same machine and would make two runs on one
 * machine look like two machines. */
#ifndef QX_MEASURE_TOPOLOGY_H
#define QX_MEASURE_TOPOLOGY_H

#include <stdint.h>

#include "util/error.h"

#define QX_TOPOLOGY_MAX_CACHES 12

struct qx_cache_kind {
	int level;                 /* 1, 2, 3, ... */
	const char *type;          /* "data", "instruction" or "unified" (static string) */
	uint64_t size_bytes;       /* of one cache of this kind */
	int line_bytes;            /* 0 when hwloc does not know */
	int count;                 /* caches of this kind in the machine */
	int pus_sharing;           /* PUs served by one cache of this kind */
};

struct qx_topology {
	char cpu_model[128];       /* hwloc's CPUModel of the first package, "" when unknown */
	int packages;              /* sockets */
	int numa_nodes;
	int cores;                 /* physical cores this process may use */
	int pus;                   /* hardware threads this process may use */
	int n_caches;
	struct qx_cache_kind caches[QX_TOPOLOGY_MAX_CACHES]; /* by level, then data/instr/unified */
};

/* Reads the topology of this machine (restricted to the CPUs this process may use, like
 * qx_pool_create). QX_EUNSUPPORTED with the reason when hwloc cannot read it. */
int qx_topology_get(struct qx_topology *out, struct qx_error *err);

#endif
