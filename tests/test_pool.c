/* The measurement building blocks: hwloc topology, the pinned thread pool (every index exactly
 * once, chunks where pool.h says, threads really on their PUs, no oversubscription, the
 * caller's binding restored) and the Google Benchmark shim and latency record (the requested
 * repetitions, positive times, Google Benchmark's JSON). No assertion depends on timing. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "measure/gbench_shim.h"
#include "measure/latency.h"
#include "exec/pool.h"
#include "measure/topology.h"
#include "results/results_latency.h"
#include "results/results_machine.h"
#include "support/tap.h"

static int allowed_cpus(cpu_set_t *set)
{
	CPU_ZERO(set);
	return sched_getaffinity(0, sizeof *set, set) == 0 ? CPU_COUNT(set) : -1;
}

static int cores;

static void test_topology(void)
{
	struct qx_topology t;
	struct qx_error err = { 0 };
	ok(qx_topology_get(&t, &err) == 0, "topology read: %s", err.msg);
	cpu_set_t set;
	int cpus = allowed_cpus(&set);
	ok(t.pus == cpus, "PUs (%d) are the CPUs this process may use (%d, sched_getaffinity)",
	   t.pus, cpus);
	ok(t.cores >= 1 && t.cores <= t.pus && t.packages >= 1 && t.numa_nodes >= 1,
	   "%d package(s), %d NUMA node(s), %d core(s), %d PU(s)", t.packages, t.numa_nodes,
	   t.cores, t.pus);
	int sane = 1;
	for (int i = 0; i < t.n_caches; i++)
		sane &= t.caches[i].level >= 1 && t.caches[i].size_bytes > 0 && t.caches[i].count >= 1;
	ok(sane, "%d cache kind(s), each with a level, a size and a count", t.n_caches);
	json_t *j = qx_results_topology_json(&t);
	ok(j && json_integer_value(json_object_get(j, "cores")) == t.cores &&
	   json_is_array(json_object_get(j, "caches")) &&
	   json_array_size(json_object_get(j, "caches")) == (size_t)t.n_caches,
	   "topology JSON carries the counts and caches");
	struct qx_topology again;
	qx_topology_get(&again, NULL);
	json_t *j2 = qx_results_topology_json(&again);
	ok(json_equal(j, j2), "the same machine gives the same topology JSON");
	json_decref(j);
	json_decref(j2);
	cores = t.cores;
}

/* Each index counts its visits; each call records which thread ran it and where. */
struct cover {
	_Atomic int *hits;
	int64_t total;
	pthread_t caller;
	_Atomic int calls_off_caller;
	_Atomic int bad_cpu;           /* a chunk ran on a PU other than its thread's */
	_Atomic int bad_chunk;         /* a chunk other than the one pool.h promises */
	const int *pu;                 /* per thread, or NULL */
	int threads;
};

static void cover_fn(void *ctx, int64_t begin, int64_t end)
{
	struct cover *c = ctx;
	/* Which thread is this? pool.h: thread i gets [i q + min(i, r), ... + q + (i < r)). */
	int64_t q = c->total / c->threads, r = c->total % c->threads;
	int thread = -1;
	for (int i = 0; i < c->threads; i++) {
		int64_t b = i * q + (i < r ? i : r), e = b + q + (i < r);
		if (b == begin && e == end && b < e)
			thread = i;
	}
	if (thread < 0)
		atomic_fetch_add(&c->bad_chunk, 1);
	if ((thread == 0) != !!pthread_equal(pthread_self(), c->caller))
		atomic_fetch_add(&c->calls_off_caller, 1);
	if (c->pu && thread >= 0 && c->pu[thread] >= 0 && sched_getcpu() != c->pu[thread])
		atomic_fetch_add(&c->bad_cpu, 1);
	for (int64_t i = begin; i < end; i++)
		atomic_fetch_add(&c->hits[i], 1);
}

/* Runs totals of every awkward size; returns 1 when every index was hit exactly once each
 * time and every chunk was the promised one on the promised thread and PU. */
static int covers_exactly_once(struct qx_pool *pool, const int *pu, int rounds)
{
	static const int64_t totals[] = { 1, 2, 3, 5, 7, 64, 1000, 4099 };
	int good = 1;
	for (int round = 0; round < rounds; round++) {
		for (size_t t = 0; t < sizeof totals / sizeof totals[0]; t++) {
			int64_t total = totals[t];
			struct cover c = { 0 };
			c.hits = calloc((size_t)total, sizeof *c.hits);
			c.total = total;
			c.caller = pthread_self();
			c.pu = pu;
			c.threads = qx_pool_threads(pool);
			qx_pool_run(pool, total, cover_fn, &c);
			for (int64_t i = 0; i < total; i++)
				if (c.hits[i] != 1) {
					if (good)
						diag("total %lld: index %lld hit %d times", (long long)total,
						     (long long)i, c.hits[i]);
					good = 0;
				}
			if (c.bad_chunk || c.calls_off_caller || c.bad_cpu) {
				if (good)
					diag("total %lld: %d unexpected chunks, %d on the wrong thread, %d "
					     "on the wrong PU", (long long)total, c.bad_chunk,
					     c.calls_off_caller, c.bad_cpu);
				good = 0;
			}
			free(c.hits);
		}
	}
	return good;
}

static void never_called(void *ctx, int64_t begin, int64_t end)
{
	(void)begin;
	(void)end;
	(*(int *)ctx)++;
}

static void test_pool(int threads, int pin)
{
	struct qx_pool *pool;
	struct qx_error err = { 0 };
	cpu_set_t before, during, after;
	allowed_cpus(&before);
	int rc = qx_pool_create(threads, pin, &pool, &err);
	ok(rc == 0, "pool of %d thread(s), %s: %s", threads, pin ? "pinned" : "unpinned", err.msg);
	if (rc)
		return;
	int pu[64];
	ok(qx_pool_describe(pool, pu, 64) == threads && qx_pool_threads(pool) == threads &&
	   qx_pool_pinned(pool) == (pin != 0), "describe: %d thread(s)", threads);
	int distinct = 1;
	for (int i = 0; i < threads; i++) {
		if (!pin)
			distinct &= pu[i] == -1;
		else
			distinct &= pu[i] >= 0 && CPU_ISSET(pu[i], &before);
		for (int j = 0; j < i; j++)
			distinct &= !pin || pu[i] != pu[j];
	}
	ok(distinct, pin ? "each thread on its own allowed PU" : "unpinned threads report PU -1");
	if (pin) {
		allowed_cpus(&during);
		ok(CPU_COUNT(&during) == 1 && CPU_ISSET(pu[0], &during),
		   "the caller is bound to thread 0's PU (%d) while the pool lives", pu[0]);
	}
	ok(covers_exactly_once(pool, pin ? pu : NULL, 3), "every index exactly once, right chunks "
	   "on the right threads%s (spinning)", pin ? " and PUs" : "");
	/* Without spinning every hand-over goes through the futex: the sleep/wake path. */
	qx_pool_set_spin_ns(pool, 0);
	ok(covers_exactly_once(pool, pin ? pu : NULL, 40), "every index exactly once through "
	   "futex sleeps and wake-ups");
	qx_pool_set_spin_ns(pool, 500000);
	int calls = 0;
	qx_pool_run(pool, 0, never_called, &calls);
	qx_pool_run(pool, -3, never_called, &calls);
	ok(calls == 0, "total <= 0 calls nothing");

	json_t *j = qx_results_pool_json(pool);
	ok(json_integer_value(json_object_get(j, "threads")) == threads &&
	   json_is_true(json_object_get(j, "pinned")) == (pin != 0) &&
	   (!pin || json_array_size(json_object_get(j, "pus")) == (size_t)threads),
	   "pool JSON: threads, pinned, PUs");
	json_decref(j);
	qx_pool_free(pool);
	allowed_cpus(&after);
	ok(CPU_EQUAL(&before, &after), "the caller's CPU binding is restored by qx_pool_free");
}

static void test_pool_errors(void)
{
	struct qx_pool *pool = (struct qx_pool *)&pool;
	struct qx_error err = { 0 };
	ok(qx_pool_create(cores + 1, 1, &pool, &err) == QX_EINVAL && pool == NULL,
	   "more threads than cores is refused: %s", err.msg);
	char want[64];
	snprintf(want, sizeof want, "%d threads asked", cores + 1);
	ok(strstr(err.msg, want) &&
	   strstr(err.msg, "expected at most"), "the message gives both counts");
	ok(qx_pool_create(0, 0, &pool, &err) == QX_EINVAL, "zero threads refused: %s", err.msg);
	qx_pool_free(NULL);
}

/* ---- Google Benchmark shim ---- */

struct work {
	int calls;
	int fail_after;                /* > 0: fail on that call */
	struct qx_pool *pool;
	volatile double sink;
};

static void spin_chunk(void *ctx, int64_t begin, int64_t end)
{
	struct work *w = ctx;
	double s = 0.0;
	for (int64_t i = begin; i < end; i++)
		s += (double)i * 1e-9;
	if (s < 0)
		w->sink = s;
}

static int one_inference(void *ctx)
{
	struct work *w = ctx;
	w->calls++;
	if (w->fail_after && w->calls >= w->fail_after)
		return QX_EUNSUPPORTED;
	if (w->pool)
		qx_pool_run(w->pool, 20000, spin_chunk, w);
	else
		spin_chunk(w, 0, 20000);
	return 0;
}

static char tmpdir[64];

static void test_gbench(void)
{
	struct work w = { 0 };
	char json_path[128];
	snprintf(json_path, sizeof json_path, "%s/gbench.json", tmpdir);
	struct qx_gbench_spec spec = {
		.name = "test/scalar/threads:1/batch:1",
		.run_once = one_inference,
		.ctx = &w,
		.warmup_s = 0.005,
		.min_time_s = 0.01,
		.repetitions = 3,
		.json_path = json_path,
	};
	struct qx_gbench_result res;
	struct qx_error err = { 0 };
	int rc = qx_gbench_measure(&spec, &res, &err);
	ok(rc == 0, "Google Benchmark measured: %s", err.msg);
	ok(res.repetitions == 3 && res.rep_first_sample, "three repetitions reported");
	int positive = 1;
	size_t iters = 0;
	for (int r = 0; r < res.repetitions && rc == 0; r++) {
		positive &= res.rep_real_s[r] > 0.0 && res.rep_iterations[r] > 0;
		positive &= res.rep_first_sample[r + 1] - res.rep_first_sample[r] ==
		            (size_t)res.rep_iterations[r];
		iters += (size_t)res.rep_iterations[r];
	}
	for (size_t i = 0; i < res.n_samples; i++)
		positive &= res.samples_s[i] > 0.0 && res.samples_s[i] < 10.0;
	ok(rc == 0 && positive && res.n_samples == iters && iters > 0,
	   "positive times, one sample per reported iteration (%zu)", res.n_samples);
	ok((size_t)w.calls >= res.n_samples, "warm-up and probing calls are not samples "
	   "(%d calls, %zu samples)", w.calls, res.n_samples);
	ok(res.cpu_scaling_enabled >= -1 && res.cpu_scaling_enabled <= 1 &&
	   (res.n_warnings == 0 || strstr(res.warnings[0], "WARNING")),
	   "context warnings captured (%d)", res.n_warnings);
	for (int i = 0; i < res.n_warnings; i++)
		diag("%s", res.warnings[i]);

	json_error_t jerr;
	json_t *doc = json_load_file(json_path, 0, &jerr);
	ok(doc != NULL, "Google Benchmark JSON parses: %s", doc ? "" : jerr.text);
	json_t *benchmarks = json_object_get(doc, "benchmarks");
	size_t i;
	json_t *b;
	int iterations = 0, aggregates = 0, named = 1;
	json_array_foreach(benchmarks, i, b) {
		const char *type = json_string_value(json_object_get(b, "run_type"));
		if (type && !strcmp(type, "iteration"))
			iterations++;
		else if (type && !strcmp(type, "aggregate"))
			aggregates++;
		const char *name = json_string_value(json_object_get(b, "run_name"));
		named &= name && strstr(name, "test/scalar/threads:1/batch:1") == name;
	}
	ok(json_is_object(json_object_get(doc, "context")) && iterations == 3 && aggregates >= 3 &&
	   named, "JSON: context, 3 repetitions and aggregates under the given name "
	   "(%d, %d)", iterations, aggregates);
	json_decref(doc);
	qx_gbench_result_free(&res);

	/* Measured on a pinned two-thread pool, where there are two cores. */
	if (cores >= 2) {
		struct qx_pool *pool;
		qx_pool_create(2, 1, &pool, &err);
		struct work pw = { .pool = pool };
		spec.ctx = &pw;
		spec.json_path = NULL;
		spec.repetitions = 2;
		spec.name = "test/scalar/threads:2/batch:1";
		rc = qx_gbench_measure(&spec, &res, &err);
		ok(rc == 0 && res.repetitions == 2 && res.n_samples > 0, "measured through a pinned "
		   "pool: %zu samples %s", res.n_samples, err.msg);
		qx_gbench_result_free(&res);
		qx_pool_free(pool);
	} else {
		tap_skip(1, "one core: no two-thread pool");
	}

	/* A failing inference stops the measurement with its own code. */
	struct work fw = { .fail_after = 5 };
	spec.ctx = &fw;
	spec.name = "test/failing";
	rc = qx_gbench_measure(&spec, &res, &err);
	ok(rc == QX_EUNSUPPORTED && strstr(err.msg, "test/failing") && res.samples_s == NULL,
	   "a failing run_once is reported with its code: %s", err.msg);
	ok(fw.calls == 5, "and no call after the failure (%d calls)", fw.calls);

	spec.ctx = &w;
	spec.repetitions = 0;
	ok(qx_gbench_measure(&spec, &res, &err) == QX_EINVAL && strstr(err.msg, "repetitions"),
	   "zero repetitions refused: %s", err.msg);
	spec.repetitions = 1;
	spec.min_time_s = 0.0;
	ok(qx_gbench_measure(&spec, &res, &err) == QX_EINVAL, "zero minimum time refused");
	spec.min_time_s = 0.01;
	spec.json_path = "/nonexistent-dir/x.json";
	ok(qx_gbench_measure(&spec, &res, &err) == QX_EIO && strstr(err.msg, "/nonexistent-dir"),
	   "unwritable JSON path: %s", err.msg);
}

static void test_latency(void)
{
	/* A made-up Google Benchmark result: 2 repetitions, 6 samples (seconds). */
	double samples[] = { 0.004, 0.002, 0.003, 0.001, 0.005, 0.006 };
	double rep_real[] = { 0.003, 0.004 };
	int64_t rep_iters[] = { 3, 3 };
	size_t first[] = { 0, 3, 6 };
	char w0[] = "***WARNING*** CPU scaling is enabled";
	char *warnings[] = { w0 };
	struct qx_gbench_result res = {
		.repetitions = 2, .rep_real_s = rep_real, .rep_iterations = rep_iters,
		.samples_s = samples, .n_samples = 6, .rep_first_sample = first,
		.warnings = warnings, .n_warnings = 1, .cpu_scaling_enabled = 1,
	};
	struct qx_latency_spec spec = {
		.system = "minmax", .kernels = "avx2", .threads = 1, .batch = 4,
		.warmup_s = 0.5, .min_time_s = 1.0, .repetitions = 2, .max_samples = 4,
	};
	json_t *m;
	struct qx_error err = { 0 };
	ok(qx_results_latency_json(&spec, &res, &m, &err) == 0, "latency record built: %s", err.msg);
	/* ms: 4 2 3 1 5 6 -> sorted 1 2 3 4 5 6: median 3.5, p90 = 5 + 0.5 * 1 = 5.5 */
	ok(json_real_value(json_object_get(m, "median")) == 3.5 &&
	   json_real_value(json_object_get(m, "p90")) == 5.5 &&
	   json_integer_value(json_object_get(m, "n")) == 6,
	   "statistics in ms over all 6 samples");
	ok(!strcmp(json_string_value(json_object_get(m, "unit")), "ms/batch") &&
	   json_integer_value(json_object_get(m, "batch")) == 4 &&
	   !strcmp(json_string_value(json_object_get(m, "gbench_name")),
	           "minmax/avx2/threads:1/batch:4"), "unit, batch and Google Benchmark name");
	json_t *kept = json_object_get(m, "samples");
	/* 4 of 6, evenly spaced: indices 0, 1, 3, 4 -> 4 2 1 5 ms */
	ok(json_array_size(kept) == 4 && json_real_value(json_array_get(kept, 2)) == 1.0 &&
	   json_real_value(json_array_get(kept, 3)) == 5.0 &&
	   json_is_true(json_object_get(m, "samples_thinned")), "samples thinned evenly to 4");
	json_t *reps = json_object_get(m, "repetitions");
	ok(json_array_size(reps) == 2 &&
	   json_real_value(json_object_get(json_array_get(reps, 0), "median")) == 3.0 &&
	   json_real_value(json_object_get(json_array_get(reps, 1), "real_ms")) == 4.0,
	   "per repetition: median and Google Benchmark's time");
	ok(json_is_true(json_object_get(m, "cpu_scaling")) &&
	   json_array_size(json_object_get(m, "warnings")) == 1, "warnings carried");
	json_decref(m);

	struct work w = { 0 };
	spec.run_once = one_inference;
	spec.ctx = &w;
	spec.warmup_s = 0.0;
	spec.min_time_s = 0.005;
	spec.max_samples = 0;
	struct qx_gbench_result measured;
	int rc = qx_latency_measure(&spec, &measured, &err);
	if (rc == 0) {
		rc = qx_results_latency_json(&spec, &measured, &m, &err);
		qx_gbench_result_free(&measured);
	}
	ok(rc == 0 && json_real_value(json_object_get(m, "median")) > 0.0 &&
	   json_array_size(json_object_get(m, "repetitions")) == 2,
	   "measured end to end: median %g ms", rc ? 0.0 : json_real_value(json_object_get(m,
	   "median")));
	if (rc == 0)
		json_decref(m);
	spec.threads = 0;
	ok(qx_latency_measure(&spec, &measured, &err) == QX_EINVAL, "threads 0 refused: %s", err.msg);

	/* With the pool named: recorded, and its thread count must match. */
	struct qx_pool *pool;
	if (qx_pool_create(1, 1, &pool, &err) == 0) {
		spec.threads = 1;
		spec.pool = pool;
		rc = qx_results_latency_json(&spec, &res, &m, &err);
		json_t *pj = rc ? NULL : json_object_get(m, "pool");
		ok(rc == 0 && json_integer_value(json_object_get(pj, "threads")) == 1 &&
		   json_array_size(json_object_get(pj, "pus")) == 1, "the pool is recorded");
		if (rc == 0)
			json_decref(m);
		spec.threads = 2;
		ok(qx_results_latency_json(&spec, &res, &m, &err) == QX_EINVAL && strstr(err.msg, "pool"),
		   "threads other than the pool's refused: %s", err.msg);
		qx_pool_free(pool);
	} else {
		tap_skip(2, "no pinned pool: %s", err.msg);
	}
}

int main(void)
{
	tap_plan(0);
	snprintf(tmpdir, sizeof tmpdir, "/tmp/qx-test-pool-XXXXXX");
	if (!mkdtemp(tmpdir))
		return tap_skip_all("cannot create a temporary folder");
	test_topology();
	test_pool(1, 0);
	test_pool(1, 1);
	if (cores >= 2) {
		test_pool(2, 1);
		test_pool(2, 0);
	} else {
		tap_skip(2, "one core: no two-thread pool");
	}
	test_pool_errors();
	test_gbench();
	test_latency();
	char path[128];
	snprintf(path, sizeof path, "%s/gbench.json", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return tap_done();
}
