/* gbench.json: Google Benchmark's JSON layout for qx-bench's interleaved rounds (gbench_json.h). */
#include "measure/gbench_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "measure/stats.h"

json_t *qx_gbench_json_new(void)
{
	return json_pack("{s:[]}", "benchmarks");
}

/* Keeps Google Benchmark's own "context" (machine, load, library build) from the first round's
 * JSON file; its "benchmarks" are rebuilt per configuration by qx_gbench_json_add. */
void qx_gbench_json_keep_context(json_t *combined, const char *part)
{
	json_t *doc = json_load_file(part, 0, NULL);
	unlink(part);
	if (!doc)
		return;
	if (!json_object_get(combined, "context") && json_object_get(doc, "context"))
		json_object_set(combined, "context", json_object_get(doc, "context"));
	json_decref(doc);
}

static json_t *gbench_entry(const char *name, int family, int reps, json_int_t iterations,
                            double real_ns, double cpu_ns)
{
	return json_pack("{s:s, s:i, s:i, s:s, s:i, s:i, s:I, s:f, s:f, s:s}", "name", name,
	                 "family_index", family, "per_family_instance_index", 0, "run_name", name,
	                 "repetitions", reps, "threads", 1, "iterations", iterations, "real_time",
	                 real_ns, "cpu_time", cpu_ns, "time_unit", "ns");
}

/* One configuration's rounds as Google Benchmark 1.7.1's JSONReporter writes a benchmark with
 * repetitions: one "iteration" entry per repetition under one name (the rounds are its
 * repetitions), then the mean, median, stddev and cv aggregates over them, times in ns per
 * iteration. Google Benchmark's compare.py matches by name and runs its U test over the
 * repetitions, so a name must not change between runs and every round must be under it. Its
 * real_time is Google Benchmark's own wall time per iteration of that round; cpu_time is the
 * calling thread's CPU time per inference averaged over the round (the shim's clock). */
void qx_gbench_json_add(json_t *combined, const struct qx_gbench_result *a, const char *name)
{
	json_t *list = json_object_get(combined, "benchmarks");
	int family = 0;
	size_t i;
	json_t *b;
	json_array_foreach(list, i, b)
		family += !strcmp(json_string_value(json_object_get(b, "aggregate_name")) ?
		                  json_string_value(json_object_get(b, "aggregate_name")) : "", "mean");
	int reps = a->repetitions;
	double *real = malloc(sizeof *real * (size_t)(reps ? reps : 1));
	double *cpu = malloc(sizeof *cpu * (size_t)(reps ? reps : 1));
	if (!real || !cpu || reps == 0) {
		free(real);
		free(cpu);
		return;
	}
	for (int r = 0; r < reps; r++) {
		size_t lo = a->rep_first_sample[r], hi = a->rep_first_sample[r + 1];
		double sum = 0.0;
		for (size_t k = lo; k < hi; k++)
			sum += a->cpu_samples_s[k];
		real[r] = a->rep_real_s[r] * 1e9;
		cpu[r] = hi > lo ? sum / (double)(hi - lo) * 1e9 : 0.0;
		json_t *e = gbench_entry(name, family, reps, (json_int_t)a->rep_iterations[r], real[r],
		                         cpu[r]);
		json_object_set_new(e, "run_type", json_string("iteration"));
		json_object_set_new(e, "repetition_index", json_integer(r));
		json_array_append_new(list, e);
	}
	struct qx_summary sr, sc;
	if (qx_stats_summarize(real, (size_t)reps, &sr, NULL) == 0 &&
	    qx_stats_summarize(cpu, (size_t)reps, &sc, NULL) == 0) {
		const char *agg[] = { "mean", "median", "stddev", "cv" };
		double rv[] = { sr.mean, sr.median, sr.stddev, sr.cv };
		double cv[] = { sc.mean, sc.median, sc.stddev, sc.cv };
		for (int k = 0; k < 4; k++) {
			char full[300];
			snprintf(full, sizeof full, "%s_%s", name, agg[k]);
			json_t *e = gbench_entry(full, family, reps, reps, rv[k], cv[k]);
			json_object_set_new(e, "run_name", json_string(name));
			json_object_set_new(e, "run_type", json_string("aggregate"));
			json_object_set_new(e, "aggregate_name", json_string(agg[k]));
			json_object_set_new(e, "aggregate_unit", json_string(k == 3 ? "percentage"
			                                                              : "time"));
			json_array_append_new(list, e);
		}
	}
	free(real);
	free(cpu);
}
