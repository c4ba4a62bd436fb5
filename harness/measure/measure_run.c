#include "measure/measure_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "measure/runner.h"
#include "measure/gbench_json.h"
#include "measure/gbench_shim.h"
#include "measure/latency.h"
#include "measure/noise.h"
#include "exec/pool.h"
#include "measure/reference.h"
#include "measure/stats.h"
#include "measure/verdict.h"
#include "util/progress.h"
#include "util/interrupt.h"

/* One (model, kernel set) at the group's batch and thread count, and what its rounds gave. */
struct config {
	const struct qx_measure_model *model;
	const struct qx_kernels *k;
	struct qx_runner runner;
	struct qx_model_runner m;
	const float *input;
	float *output;
	int64_t batch;
	int slow;                      /* test-only: run each inference twice (see measure()) */
	int failed;
	int done;                      /* precise enough: no more rounds (see config_precise) */
	struct qx_error err;
	struct qx_gbench_result acc;   /* repetitions merged over the rounds */
	size_t cap_samples;            /* of acc.samples_s and acc.cpu_samples_s alike */
	struct qx_noise_round *noise;  /* per round: what the machine did meanwhile */
	struct qx_speedup speedup;
	int has_speedup;
};

static int run_once(void *ctx)
{
	struct config *c = ctx;
	for (int i = 0; i <= c->slow; i++) {
		int rc = c->m.run(c->m.ctx, c->input, c->batch, c->output, &c->err);
		if (rc)
			return rc;
	}
	return 0;
}

/* Whether the environment variable `var` names this configuration as <label>/<kernels>. */
static int test_names(const char *var, const char *label, const char *kernels)
{
	const char *v = getenv(var);
	if (!v)
		return 0;
	size_t n = strlen(label);
	return strncmp(v, label, n) == 0 && v[n] == '/' && strcmp(v + n + 1, kernels) == 0;
}

/* QX_TEST_SLOW_MEASUREMENT=<label>/<kernels>: a test-only switch that makes that one
 * configuration do twice the work per inference, so tests can check that `qx-bench compare`
 * flags a real slowdown. Documented in docs/measurement.md. */
static int slowed(const char *label, const char *kernels)
{
	return test_names("QX_TEST_SLOW_MEASUREMENT", label, kernels);
}

/* Appends one round's result (one repetition) to c->acc, and what the machine did meanwhile. */
static int merge_round(struct config *c, const struct qx_gbench_result *r,
                       const struct qx_noise_round *round_noise)
{
	struct qx_gbench_result *a = &c->acc;
	int reps = a->repetitions + r->repetitions;
	double *real = realloc(a->rep_real_s, sizeof *real * (size_t)reps);
	if (real)
		a->rep_real_s = real;
	int64_t *iters = realloc(a->rep_iterations, sizeof *iters * (size_t)reps);
	if (iters)
		a->rep_iterations = iters;
	size_t *first = realloc(a->rep_first_sample, sizeof *first * (size_t)(reps + 1));
	if (first)
		a->rep_first_sample = first;
	struct qx_noise_round *noise = realloc(c->noise, sizeof *noise * (size_t)reps);
	if (noise) {
		c->noise = noise;
		for (int i = a->repetitions; i < reps; i++)
			noise[i] = *round_noise;
	}
	if (a->n_samples + r->n_samples > c->cap_samples) {
		size_t cap = 2 * (a->n_samples + r->n_samples);
		double *s = realloc(a->samples_s, sizeof *s * cap);
		if (s)
			a->samples_s = s;
		double *cs = realloc(a->cpu_samples_s, sizeof *cs * cap);
		if (cs)
			a->cpu_samples_s = cs;
		if (s && cs)
			c->cap_samples = cap;
	}
	if (!real || !iters || !first || !noise || a->n_samples + r->n_samples > c->cap_samples)
		return -1;
	if (a->repetitions == 0)
		a->rep_first_sample[0] = 0;
	for (int i = 0; i < r->repetitions; i++) {
		a->rep_real_s[a->repetitions + i] = r->rep_real_s[i];
		a->rep_iterations[a->repetitions + i] = r->rep_iterations[i];
		a->rep_first_sample[a->repetitions + i + 1] = a->n_samples + r->rep_first_sample[i + 1];
	}
	memcpy(a->samples_s + a->n_samples, r->samples_s, sizeof(double) * r->n_samples);
	memcpy(a->cpu_samples_s + a->n_samples, r->cpu_samples_s, sizeof(double) * r->n_samples);
	a->n_samples += r->n_samples;
	a->repetitions = reps;
	if (a->n_warnings == 0 && r->n_warnings > 0) {
		/* Google Benchmark says the same warnings every round: keep the first round's. */
		a->warnings = r->warnings;
		a->n_warnings = r->n_warnings;
		((struct qx_gbench_result *)r)->warnings = NULL;
		((struct qx_gbench_result *)r)->n_warnings = 0;
	}
	a->cpu_scaling_enabled = r->cpu_scaling_enabled;
	return 0;
}

/* A multi-threaded configuration while other processes competed for the CPUs (the load average
 * of its last round above the CPU count): its times move with its workers' preemption from run
 * to run (measure/verdict.h), so more rounds would not make them comparable; the stopping rule
 * does not wait for it. */
static int contended(const struct config *c, int threads)
{
	int r = c->acc.repetitions;
	return threads > 1 && r > 0 && c->noise[r - 1].load1 > (double)qx_noise_online_cpus();
}

/* Whether c needs no more rounds: its median is known to within target percent (the
 * half-width of its 95% interval over rounds, on the clock compare would decide on: CPU time
 * when the wall time shows preemption, see measure/verdict.h), or it is contended (more rounds
 * do not narrow a spread that comes from other processes). target 0: never. */
static int config_precise(const struct config *c, int threads, double target)
{
	/* QX_TEST_IMPRECISE_MEASUREMENT=<label>/<kernels>: test-only, that configuration is never
	 * precise enough, so a test can see it measured to max_repetitions while the others stop
	 * (docs/measurement.md). */
	if (!(target > 0.0) ||
	    test_names("QX_TEST_IMPRECISE_MEASUREMENT", c->model->label, c->k->name))
		return 0;
	if (contended(c, threads))
		return 1;
	size_t r = (size_t)c->acc.repetitions;
	double *wall = malloc(sizeof *wall * (r ? r : 1)), *cpu = malloc(sizeof *cpu * (r ? r : 1));
	struct qx_median_ci ci = { 0 };
	int ok = wall && cpu && r > 0 && qx_latency_round_medians(&c->acc, 0, wall) == 0 &&
	         qx_latency_round_medians(&c->acc, 1, cpu) == 0;
	if (ok) {
		struct qx_median_ci w, k;
		ok = qx_stats_median_ci(wall, r, 1, &w, NULL) == 0 &&
		     qx_stats_median_ci(cpu, r, 1, &k, NULL) == 0 && k.median > 0;
		ci = ok && w.median / k.median > QX_PREEMPTED_WALL_OVER_CPU ? k : w;
	}
	free(wall);
	free(cpu);
	return ok && ci.median > 0 && (ci.hi - ci.lo) / 2 <= target / 100.0 * ci.median;
}

/* Whether the configuration's wall time shows preemption, by the rule its "noise" summary and
 * compare use: median of the rounds' wall medians over that of their CPU medians. */
static int preempted_config(const struct config *c)
{
	size_t r = (size_t)c->acc.repetitions;
	double *wall = malloc(sizeof *wall * (r ? r : 1)), *cpu = malloc(sizeof *cpu * (r ? r : 1));
	struct qx_median_ci w = { 0 }, k = { 0 };
	int yes = wall && cpu && r > 0 && qx_latency_round_medians(&c->acc, 0, wall) == 0 &&
	          qx_latency_round_medians(&c->acc, 1, cpu) == 0 &&
	          qx_stats_median_ci(wall, r, QX_SPEEDUP_SEED, &w, NULL) == 0 &&
	          qx_stats_median_ci(cpu, r, QX_SPEEDUP_SEED, &k, NULL) == 0 && k.median > 0 &&
	          w.median / k.median > QX_PREEMPTED_WALL_OVER_CPU;
	free(wall);
	free(cpu);
	return yes;
}

/* One line per group on stderr-free stdout: what the machine did while it was measured, so the
 * numbers above are read with it. */
static void print_group_noise(const struct config *cfg, int n, int rounds, int min_rounds,
                              int max_rounds)
{
	double load = -1, busy_sum = 0, steal_sum = 0;
	int busy_n = 0, preempted = 0, measured = 0, fewest = rounds;
	int64_t switches = 0, inferences = 0;
	for (int i = 0; i < n; i++) {
		const struct config *c = &cfg[i];
		if (c->failed)
			continue;
		measured++;
		for (int r = 0; r < c->acc.repetitions; r++) {
			const struct qx_noise_round *z = &c->noise[r];
			if (z->load1 > load)
				load = z->load1;
			if (z->busy >= 0) {
				busy_sum += z->busy;
				steal_sum += z->steal;
				busy_n++;
			}
			if (z->nivcsw > 0)
				switches += z->nivcsw;
		}
		inferences += (int64_t)c->acc.n_samples;
		preempted += preempted_config(c);
		fewest = c->acc.repetitions < fewest ? c->acc.repetitions : fewest;
	}
	if (!measured)
		return;
	char span[64];
	if (fewest == rounds)
		snprintf(span, sizeof span, "these %d rounds", rounds);
	else
		snprintf(span, sizeof span, "these %d to %d rounds per measurement", fewest, rounds);
	printf("  machine during %s (%d..%d): load %.2f on %d CPUs, CPUs %.0f%% busy, "
	       "steal %.1f%%, %.2f involuntary switches per inference; %d of %d measurements "
	       "preempted (wall > %.2f x CPU time)\n", span, min_rounds, max_rounds, load,
	       qx_noise_online_cpus(), busy_n ? 100.0 * busy_sum / busy_n : -1.0,
	       busy_n ? 100.0 * steal_sum / busy_n : -1.0,
	       inferences ? (double)switches / (double)inferences : 0.0, preempted, measured,
	       QX_PREEMPTED_WALL_OVER_CPU);
}

static void shuffle(int *order, int n, uint64_t *state)
{
	for (int i = n - 1; i > 0; i--) {
		*state = *state * 6364136223846793005ull + 1442695040888963407ull;
		int j = (int)((*state >> 33) % (uint64_t)(i + 1));
		int t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

static int label_w(const struct qx_measure_request *req)
{
	return req->label_width > 0 ? req->label_width : 20;
}

static void print_row(const struct qx_measure_request *req, const struct config *c, int threads,
                      const struct qx_latency_record *m)
{
	if (c->failed) {
		printf("%-*s %-11s %3d %5lld  error: %s\n", label_w(req), c->model->label, c->k->name,
		       threads,
		       (long long)c->batch, c->err.msg);
		return;
	}
	double median = m->wall.median, p99 = m->wall.p99, cv = m->wall.cv;
	char speed[64] = "";
	if (c->has_speedup)
		snprintf(speed, sizeof speed, "%.2fx [%.2f, %.2f]", c->speedup.ratio, c->speedup.lo,
		         c->speedup.hi);
	printf("%-*s %-11s %3d %5lld %11.4f %11.4f %6.1f%% %10.0f  %s\n", label_w(req),
	       c->model->label,
	       c->k->name, threads, (long long)c->batch, median, p99, 100.0 * cv,
	       (double)c->batch * 1e3 / median, speed);
	/* Half the screen of repro lines hid the table: a file always, stdout with --verbose. */
	for (int i = 0; i < 2; i++) {
		FILE *f = i ? (req->repro_stdout ? stdout : NULL) : req->repro_file;
		if (f)
			fprintf(f, "%s%s --plugins %s --kernels %s --threads %d --batch %lld --quiet\n",
			        i ? "  __REPRO: " : "", req->repro_prefix,
			        c->model->plan ? c->model->label : "none", c->k->name, threads,
			        (long long)c->batch);
	}
}

/* Builds the configuration's runner at the group's batch on the group's pool: split by images
 * across the threads where that keeps the bits, else by each op's rows (measure/runner.h). */
static int config_init(struct config *c, const struct qx_measure_request *req,
                       struct qx_pool *pool, const float *input, float *output)
{
	c->input = input;
	c->output = output;
	c->slow = slowed(c->model->label, c->k->name);
	int rc = qx_runner_init_threaded(&c->runner, req->graph, c->model->plan, c->batch, c->k,
	                                 req->data, pool, &c->err);
	if (rc)
		return rc;
	c->m = qx_runner_model(&c->runner);
	return 0;
}

static int measure_group(const struct qx_measure_request *req, int batch, int threads,
                         json_t *gbench, int *failures, struct qx_error *err)
{
	const struct qx_suite *s = req->suite;
	int n = req->n_models * req->n_sets;
	struct config *cfg = calloc((size_t)n, sizeof *cfg);
	int *order = malloc(sizeof(int) * (size_t)n);
	int64_t image_floats = (int64_t)req->data->c * req->data->h * req->data->w;
	float *input = calloc((size_t)(batch * image_floats), sizeof(float));
	float *output = malloc(sizeof(float) * (size_t)(batch * req->data->n_classes));
	if (!cfg || !order || !input || !output) {
		free(cfg);
		free(order);
		free(input);
		free(output);
		return qx_fail_nomem(err, "preparing measurements");
	}
	int64_t have = batch < req->data->count ? batch : req->data->count;
	qx_dataset_preprocess(req->data, &s->preprocess, 0, have, input);

	struct qx_pool *pool = NULL;
	struct qx_error pool_err = { 0 };
	int pool_rc = qx_pool_create(threads, 1, &pool, &pool_err);
	int rc = 0;
	for (int i = 0; i < n; i++) {
		struct config *c = &cfg[i];
		c->model = &req->models[i / req->n_sets];
		c->k = req->sets[i % req->n_sets];
		c->batch = batch;
		order[i] = i;
		if (pool_rc) {
			c->failed = 1;
			c->err = pool_err;
		} else if (config_init(c, req, pool, input, output)) {
			if (c->err.code == QX_ENOMEM)
				rc = qx_fail_nomem(err, "building a model to measure");
			c->failed = 1;
		}
	}

	char part[4200], what[96];
	snprintf(part, sizeof part, "%s.part", req->gbench_json_path);
	snprintf(what, sizeof what, "measuring batch %d, %d thread%s", batch, threads,
	         threads == 1 ? "" : "s");
	struct qx_progress prog;
	qx_progress_init(&prog, what, req->quiet);
	/* Rounds: at least measure.repetitions, then more for each configuration until its median
	 * is known to within ci_target percent (95% interval over its rounds) or max_repetitions
	 * is reached: a quiet machine stops early, a busy one measures longer, up to a bound. */
	int min_rounds = s->measure.repetitions;
	int max_rounds = s->measure.max_repetitions ? s->measure.max_repetitions : 2 * min_rounds;
	int64_t runs_done = 0, runs_total = (int64_t)n * max_rounds;
	uint64_t seed = 0x5eed0000u + (uint64_t)batch * 131u + (uint64_t)threads;
	int rounds = 0;
	for (int round = 0; !rc && round < max_rounds; round++) {
		/* Past the minimum, each configuration stops on its own once precise: one imprecise
		 * row no longer keeps the whole group (its scalar batch-64 rows, 0.2 s a round each)
		 * measuring. The ones left stay interleaved with each other. */
		int left = 0;
		for (int i = 0; i < n; i++) {
			struct config *c = &cfg[i];
			if (!c->failed && !c->done && round >= min_rounds)
				c->done = config_precise(c, threads, s->measure.ci_target_percent);
			left += !c->failed && !c->done;
		}
		if (!left)
			break;
		shuffle(order, n, &seed);
		for (int j = 0; j < n && !rc; j++) {
			struct config *c = &cfg[order[j]];
			if (qx_interrupted()) {
				rc = qx_fail(err, QX_EINTERRUPTED, "interrupted during measurement");
				break;
			}
			if (c->failed || c->done)
				continue;
			char name[256];
			struct qx_latency_spec ls = { .system = c->model->label, .kernels = c->k->name,
			                              .threads = threads, .batch = batch };
			qx_latency_name(&ls, name, sizeof name, NULL);
			int want_context = !json_object_get(gbench, "context");
			struct qx_gbench_spec gs = {
				.name = name, .run_once = run_once, .ctx = c,
				.warmup_s = round == 0 ? s->measure.warmup_s : 0.0,
				.min_time_s = s->measure.min_time_s, .repetitions = 1,
				.json_path = want_context ? part : NULL, .quiet = req->quiet,
			};
			struct qx_gbench_result res;
			struct qx_noise_snapshot before, after;
			struct qx_noise_round noise;
			/* How fast the machine itself is right now, on this thread: compare divides it
			 * out when it drifted between two runs (measure/reference.h). */
			double reference_ms = qx_reference_ms();
			qx_noise_snapshot(pool_rc ? NULL : pool, &before);
			if (qx_gbench_measure(&gs, &res, &c->err)) {
				c->failed = 1;
				continue;
			}
			qx_noise_snapshot(pool_rc ? NULL : pool, &after);
			qx_noise_round(&before, &after, &noise);
			noise.reference_ms = reference_ms;
			if (merge_round(c, &res, &noise))
				rc = qx_fail_nomem(err, "recording measurements");
			qx_gbench_result_free(&res);
			if (want_context)
				qx_gbench_json_keep_context(gbench, part);
			qx_progress_update(&prog, ++runs_done, runs_total);
		}
		rounds = round + 1;
	}
	for (int i = 0; !rc && i < n; i++)
		if (!cfg[i].failed) {
			char name[256];
			struct qx_latency_spec ls = { .system = cfg[i].model->label,
			                              .kernels = cfg[i].k->name, .threads = threads,
			                              .batch = batch };
			qx_latency_name(&ls, name, sizeof name, NULL);
			qx_gbench_json_add(gbench, &cfg[i].acc, name);
		}
	qx_progress_end(&prog);
	/* fp32 on the same kernel set is what each int8 model's speedup is against. */
	for (int i = 0; !rc && i < n; i++) {
		struct config *c = &cfg[i], *ref = &cfg[i % req->n_sets];
		if (c->failed || !c->model->plan || ref->model->plan || ref->failed)
			continue;
		c->has_speedup = qx_stats_speedup(c->acc.samples_s, c->acc.n_samples, ref->acc.samples_s,
		                                  ref->acc.n_samples, &c->speedup, NULL) == 0;
	}
	for (int i = 0; !rc && i < n; i++) {
		struct config *c = &cfg[i];
		struct qx_latency_spec ls = {
			.system = c->model->label, .kernels = c->k->name, .threads = threads,
			.batch = batch, .warmup_s = s->measure.warmup_s,
			.min_time_s = s->measure.min_time_s, .repetitions = s->measure.repetitions,
			.gbench_json_path = req->gbench_json_path, .pool = pool_rc ? NULL : pool,
			.noise = c->noise,
		};
		struct qx_latency_record rec;
		memset(&rec, 0, sizeof rec);
		if (!c->failed && qx_latency_summarize(&ls, &c->acc, &rec, &c->err))
			c->failed = 1;
		struct qx_measurement m = {
			.kernels = c->k->name, .threads = threads, .batch = batch,
			.error = c->failed ? c->err.msg : NULL, .latency = c->failed ? NULL : &rec,
			.speedup = !c->failed && c->has_speedup ? &c->speedup : NULL,
			.test_slowed = !c->failed && c->slow,
			.parallel = c->failed ? NULL : qx_runner_parallel_name(c->runner.parallel),
		};
		if (c->failed)
			(*failures)++;
		print_row(req, c, threads, &rec);
		if (req->measured)
			rc = req->measured(req->arg, (int)(c->model - req->models), &m, err);
		qx_latency_record_free(&rec);
	}
	if (!rc)
		print_group_noise(cfg, n, rounds, min_rounds, max_rounds);
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		qx_runner_free(&cfg[i].runner);
		qx_gbench_result_free(&cfg[i].acc);
		free(cfg[i].noise);
	}
	if (pool)
		qx_pool_free(pool);
	free(cfg);
	free(order);
	free(input);
	free(output);
	return rc;
}

int qx_measure_all(const struct qx_measure_request *req, int *failures, struct qx_error *err)
{
	json_t *gbench = qx_gbench_json_new();
	printf("\nlatency (ms per batch; interleaved, %d repetitions of >= %.2f s each)\n",
	       req->suite->measure.repetitions, req->suite->measure.min_time_s);
	printf("%-*s %-11s %3s %5s %11s %11s %7s %10s  %s\n", label_w(req), "model", "kernels",
	       "thr", "batch",
	       "median ms", "p99 ms", "cv", "images/s", "speedup vs fp32 (95% CI)");
	int rc = 0;
	for (int b = 0; !rc && b < req->n_batches; b++)
		for (int t = 0; !rc && t < req->n_threads; t++) {
			rc = measure_group(req, req->batches[b], req->threads[t], gbench, failures, err);
			if (!rc && json_dump_file(gbench, req->gbench_json_path, JSON_INDENT(2)))
				rc = qx_fail(err, QX_EIO, "%s: cannot write", req->gbench_json_path);
			if (!rc && req->group_done)
				rc = req->group_done(req->arg, err);
		}
	json_decref(gbench);
	return rc;
}
