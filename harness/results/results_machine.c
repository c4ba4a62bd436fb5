/* results.json's "machine": what the run ran on (results_machine.h). */
#include "results/results_machine.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "exec/pool.h"
#include "kernels.h"
#include "measure/topology.h"

/* Whether this machine pins threads: what a one-thread pool gets from hwloc. */
static int pinning_works(void)
{
	struct qx_pool *pool;
	if (qx_pool_create(1, 1, &pool, NULL))
		return 0;
	int pinned = qx_pool_pinned(pool);
	qx_pool_free(pool);
	return pinned;
}

/* hwloc pads some CPU model strings with spaces. */
static json_t *trimmed(const char *s)
{
	size_t n = strlen(s);
	while (n && s[n - 1] == ' ')
		n--;
	return json_stringn(s, n);
}

/* The CPU's instruction-set flags that matter to the kernel sets, from /proc/cpuinfo ("flags" on
 * x86, "Features" on AArch64), in a fixed order so that two runs on one machine compare equal. */
static json_t *isa_flags_json(void)
{
	static const char *const relevant[] = {
		"sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512dq",
		"avx512cd", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_int8", "asimd", "asimddp",
		"i8mm", "sve",
	};
	json_t *flags = json_array();
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return flags;
	char line[8192];
	char have[8192] = "";
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "flags", 5) == 0 || strncmp(line, "Features", 8) == 0) {
			const char *colon = strchr(line, ':');
			if (colon)
				snprintf(have, sizeof have, " %s ", colon + 1);
			break;
		}
	}
	fclose(f);
	for (char *p = have; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	for (size_t i = 0; i < sizeof relevant / sizeof relevant[0]; i++) {
		char word[64];
		snprintf(word, sizeof word, " %s ", relevant[i]);
		if (strstr(have, word))
			json_array_append_new(flags, json_string(relevant[i]));
	}
	return flags;
}

json_t *qx_results_topology_json(const struct qx_topology *t)
{
	json_t *caches = json_array();
	for (int i = 0; i < t->n_caches; i++) {
		const struct qx_cache_kind *c = &t->caches[i];
		json_array_append_new(caches, json_pack("{s:i, s:s, s:I, s:i, s:i, s:i}",
		                                        "level", c->level, "type", c->type,
		                                        "size_bytes", (json_int_t)c->size_bytes,
		                                        "line_bytes", c->line_bytes, "count", c->count,
		                                        "pus_sharing", c->pus_sharing));
	}
	return json_pack("{s:s, s:i, s:i, s:i, s:i, s:o}", "cpu_model", t->cpu_model,
	                 "packages", t->packages, "numa_nodes", t->numa_nodes, "cores", t->cores,
	                 "pus", t->pus, "caches", caches);
}

json_t *qx_results_machine_json(void)
{
	json_t *m = json_object();
	struct utsname u;
	if (uname(&u) == 0) {
		json_object_set_new(m, "kernel", json_sprintf("%s %s", u.sysname, u.release));
		json_object_set_new(m, "arch", json_string(u.machine));
		json_object_set_new(m, "hostname", json_string(u.nodename));
	}
	json_object_set_new(m, "online_cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	struct qx_topology topo;
	if (qx_topology_get(&topo, NULL) == 0) {
		json_object_set_new(m, "cpu_model", trimmed(topo.cpu_model));
		json_object_set_new(m, "topology", qx_results_topology_json(&topo));
	}
	json_object_set_new(m, "isa_flags", isa_flags_json());
	/* Stable across runs: compare treats a change here as another machine. Each measurement
	 * records the PUs its own pool used. */
	json_object_set_new(m, "pinning", json_pack("{s:b, s:s}", "enabled", pinning_works(), "policy",
	                                            "one thread per core (hwloc)"));
	json_t *sets = json_array();
	for (int s = 0; s < QX_KSET_COUNT; s++) {
		const char *why = NULL;
		int ok = qx_kernels_available((enum qx_kset)s, &why);
		json_t *e = json_object();
		json_object_set_new(e, "name", json_string(qx_kset_name((enum qx_kset)s)));
		json_object_set_new(e, "available", json_boolean(ok));
		if (!ok)
			json_object_set_new(e, "why_not", json_string(why));
		json_array_append_new(sets, e);
	}
	json_object_set_new(m, "kernel_sets", sets);
	return m;
}
