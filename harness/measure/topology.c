#include "measure/topology.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <hwloc.h>

static const char *cache_type_name(hwloc_obj_cache_type_t t)
{
	switch (t) {
	case HWLOC_OBJ_CACHE_DATA: return "data";
	case HWLOC_OBJ_CACHE_INSTRUCTION: return "instruction";
	default: return "unified";
	}
}

static int count_of(hwloc_topology_t topo, hwloc_obj_type_t type)
{
	int n = hwloc_get_nbobjs_by_type(topo, type);
	return n < 0 ? 0 : n;
}

static void add_caches(hwloc_topology_t topo, hwloc_obj_type_t type, struct qx_topology *t)
{
	int n = count_of(topo, type);
	if (n == 0 || t->n_caches == QX_TOPOLOGY_MAX_CACHES)
		return;
	hwloc_obj_t first = hwloc_get_obj_by_type(topo, type, 0);
	if (!first || !first->attr)
		return;
	struct qx_cache_kind *c = &t->caches[t->n_caches++];
	c->level = (int)first->attr->cache.depth;
	c->type = cache_type_name(first->attr->cache.type);
	c->size_bytes = first->attr->cache.size;
	c->line_bytes = (int)first->attr->cache.linesize;
	c->count = n;
	c->pus_sharing = first->cpuset ? hwloc_bitmap_weight(first->cpuset) : 0;
}

int qx_topology_get(struct qx_topology *out, struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	hwloc_topology_t topo;
	if (hwloc_topology_init(&topo) != 0)
		return qx_fail(err, QX_EUNSUPPORTED, "topology: hwloc cannot start: %s (expected "
		               "a working hwloc)", strerror(errno));
	if (hwloc_topology_load(topo) != 0) {
		int e = errno;
		hwloc_topology_destroy(topo);
		return qx_fail(err, QX_EUNSUPPORTED, "topology: hwloc cannot read this machine: %s "
		               "(expected a readable /sys/devices/system/cpu)", strerror(e));
	}
	hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
	const char *model = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
	snprintf(out->cpu_model, sizeof out->cpu_model, "%s", model ? model : "");
	out->packages = count_of(topo, HWLOC_OBJ_PACKAGE);
	out->numa_nodes = count_of(topo, HWLOC_OBJ_NUMANODE);
	out->cores = count_of(topo, HWLOC_OBJ_CORE);
	out->pus = count_of(topo, HWLOC_OBJ_PU);
	/* By level, instruction caches next to the data caches of their level. */
	static const hwloc_obj_type_t kinds[] = {
		HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L2ICACHE,
		HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L3ICACHE, HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE,
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		add_caches(topo, kinds[i], out);
	hwloc_topology_destroy(topo);
	return 0;
}
