// Google Benchmark 1.7.1 behind a C API (gbench_shim.h says what it promises).
//
// How the shim knows which calls belong to the reported repetitions: Google Benchmark runs the
// benchmark function once per "run" of N iterations. Before the first repetition it runs the
// warm-up and then probing runs of growing N until one lasts min_time; that last run is
// repetition 0, and every further repetition is exactly one run with the same N (no memory
// manager is registered, random interleaving is off). So the last `repetitions` runs are the
// reported ones: the shim keeps only those and checks their iteration counts against the
// reporter's, failing loudly if a future Google Benchmark breaks that assumption.
#include "measure/gbench_shim.h"

#include <time.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <fstream>
#include <iostream>
#include <mutex>
#include <new>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

namespace {

std::mutex g_lock;
bool g_initialized = false;
std::set<std::string> g_warned;   // context warnings already printed on stderr

void initialize_once()
{
	if (g_initialized)
		return;
	// Explicit flags win over BENCHMARK_* environment variables: none of them may change what
	// is measured (warm-up, interleaving, aggregates only), where output goes, or turn the
	// run into a listing.
	static char arg0[] = "qx-bench";
	static char out[] = "--benchmark_out=";
	static char list[] = "--benchmark_list_tests=false";
	static char warmup[] = "--benchmark_min_warmup_time=0";
	static char shuffle[] = "--benchmark_enable_random_interleaving=false";
	static char agg[] = "--benchmark_report_aggregates_only=false";
	static char dagg[] = "--benchmark_display_aggregates_only=false";
	static char perf[] = "--benchmark_perf_counters=";
	static char verbosity[] = "--v=0";
	char *argv[] = { arg0, out, list, warmup, shuffle, agg, dagg, perf, verbosity, nullptr };
	int argc = (int)(sizeof argv / sizeof argv[0]) - 1;
	benchmark::Initialize(&argc, argv);
	g_initialized = true;
}

struct RepRun {
	int64_t index;
	int64_t iterations;
	double real_s;             // real time per iteration
	bool error;
	std::string error_message;
};

// Keeps what the shim needs from Google Benchmark's reports, and forwards everything to the
// JSON and console reporters when asked for.
class CaptureReporter : public benchmark::BenchmarkReporter {
public:
	std::vector<RepRun> runs;
	std::vector<std::string> warnings;
	int scaling = -1;
	benchmark::BenchmarkReporter *json = nullptr;
	benchmark::BenchmarkReporter *console = nullptr;

	bool ReportContext(const Context &context) override
	{
		std::ostringstream text;
		PrintBasicContext(&text, context);
		std::istringstream lines(text.str());
		for (std::string line; std::getline(lines, line);)
			if (line.find("WARNING") != std::string::npos)
				warnings.push_back(line);
		switch (context.cpu_info.scaling) {
		case benchmark::CPUInfo::ENABLED: scaling = 1; break;
		case benchmark::CPUInfo::DISABLED: scaling = 0; break;
		default: scaling = -1; break;
		}
		if (json)
			json->ReportContext(context);
		if (console)
			console->ReportContext(context);
		return true;
	}

	void ReportRuns(const std::vector<Run> &reports) override
	{
		for (const Run &r : reports) {
			if (r.run_type != Run::RT_Iteration)
				continue;
			RepRun rr;
			rr.index = r.repetition_index;
			rr.iterations = (int64_t)r.iterations;
			rr.error = r.error_occurred;
			rr.error_message = r.error_message;
			rr.real_s = r.error_occurred ? 0.0
			            : r.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(r.time_unit);
			runs.push_back(rr);
		}
		if (json)
			json->ReportRuns(reports);
		if (console)
			console->ReportRuns(reports);
	}

	void Finalize() override
	{
		if (json)
			json->Finalize();
		if (console)
			console->Finalize();
	}
};

// The calls of the last `keep` runs of the benchmark function.
struct Collector {
	const qx_gbench_spec *spec;
	size_t keep;
	std::deque<std::vector<double>> runs;      // wall time per call
	std::deque<std::vector<double>> cpu_runs;  // the calling thread's CPU time per call
	std::deque<int64_t> iterations;
	int failed_rc = 0;
};

double seconds_between(const timespec &a, const timespec &b)
{
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
}

void run_benchmark_body(benchmark::State &state, Collector *col)
{
	std::vector<double> times, cpu;
	if (col->failed_rc) {
		// An earlier run failed: later repetitions stop at once instead of failing again.
		state.SkipWithError("an earlier inference failed");
		return;
	}
	for (auto _ : state) {
		// The thread CPU clock brackets the wall clock: a time slice given to another process
		// inside the call shows in the wall time only, which is how a reader tells preemption
		// from slower code.
		timespec c0, t0, t1, c1;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int rc = col->spec->run_once(col->spec->ctx);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
		if (rc != 0) {
			col->failed_rc = rc;
			state.SkipWithError("inference failed");
			break;
		}
		times.push_back(seconds_between(t0, t1));
		cpu.push_back(seconds_between(c0, c1));
	}
	col->runs.push_back(std::move(times));
	col->cpu_runs.push_back(std::move(cpu));
	col->iterations.push_back((int64_t)state.iterations());
	while (col->runs.size() > col->keep) {
		col->runs.pop_front();
		col->cpu_runs.pop_front();
		col->iterations.pop_front();
	}
}

int check_spec(const qx_gbench_spec *spec, qx_error *err)
{
	if (!spec->name || !spec->name[0])
		return qx_fail(err, QX_EINVAL, "benchmark: empty name (expected e.g. "
		               "\"plugin/kernels/threads:1/batch:1\")");
	if (!spec->run_once)
		return qx_fail(err, QX_EINVAL, "%s: no run_once callback (expected a function)",
		               spec->name);
	if (!(spec->warmup_s >= 0.0))
		return qx_fail(err, QX_EINVAL, "%s: warm-up %g s (expected >= 0)", spec->name,
		               spec->warmup_s);
	if (!(spec->min_time_s > 0.0))
		return qx_fail(err, QX_EINVAL, "%s: minimum time %g s (expected > 0)", spec->name,
		               spec->min_time_s);
	if (spec->repetitions < 1)
		return qx_fail(err, QX_EINVAL, "%s: %d repetitions (expected >= 1)", spec->name,
		               spec->repetitions);
	return 0;
}

template <typename T> T *copy_out(const std::vector<T> &v)
{
	T *p = (T *)malloc((v.empty() ? 1 : v.size()) * sizeof(T));
	if (!p)
		throw std::bad_alloc();
	if (!v.empty())
		memcpy(p, v.data(), v.size() * sizeof(T));
	return p;
}

int measure_locked(const qx_gbench_spec *spec, qx_gbench_result *out, qx_error *err)
{
	initialize_once();

	std::ofstream json_file;
	benchmark::JSONReporter json;
	std::ostringstream sink;   // what Google Benchmark says outside the reports
	if (spec->json_path) {
		json_file.open(spec->json_path, std::ios::out | std::ios::trunc);
		if (!json_file.is_open())
			return qx_fail(err, QX_EIO, "%s: cannot write Google Benchmark JSON: %s "
			               "(expected a writable path)", spec->json_path, strerror(errno));
		json.SetOutputStream(&json_file);
		json.SetErrorStream(&sink);
	}
	benchmark::ConsoleReporter console(benchmark::ConsoleReporter::OO_Tabular);
	console.SetOutputStream(&std::cerr);
	console.SetErrorStream(&std::cerr);

	CaptureReporter capture;
	capture.SetOutputStream(&sink);
	capture.SetErrorStream(&sink);
	if (spec->json_path)
		capture.json = &json;
	if (spec->console)
		capture.console = &console;

	Collector col;
	col.spec = spec;
	col.keep = (size_t)spec->repetitions;

	benchmark::ClearRegisteredBenchmarks();
	benchmark::RegisterBenchmark(spec->name, run_benchmark_body, &col)
		->MinWarmUpTime(spec->warmup_s)
		->MinTime(spec->min_time_s)
		->Repetitions(spec->repetitions)
		->ReportAggregatesOnly(false)
		->UseRealTime()
		->Unit(benchmark::kMillisecond);
	size_t matched = benchmark::RunSpecifiedBenchmarks(&capture, std::string("."));
	benchmark::ClearRegisteredBenchmarks();

	if (spec->json_path) {
		json_file.close();
		if (json_file.fail())
			return qx_fail(err, QX_EIO, "%s: writing Google Benchmark JSON failed "
			               "(expected a writable path with room)", spec->json_path);
	}
	if (col.failed_rc)
		return qx_fail(err, col.failed_rc < 0 ? col.failed_rc : QX_EINTERNAL,
		               "%s: inference failed while measuring (run_once returned %d)",
		               spec->name, col.failed_rc);
	if (matched != 1 || capture.runs.size() != (size_t)spec->repetitions) {
		std::string said = sink.str();
		return qx_fail(err, QX_EINTERNAL, "%s: Google Benchmark ran %zu benchmark(s) with %zu "
		               "reported repetition(s)%s%s (expected 1 with %d)", spec->name, matched,
		               capture.runs.size(), said.empty() ? "" : ": ", said.c_str(),
		               spec->repetitions);
	}
	for (size_t r = 0; r < capture.runs.size(); r++) {
		const RepRun &run = capture.runs[r];
		if (run.error)
			return qx_fail(err, QX_EINTERNAL, "%s: Google Benchmark reports an error in "
			               "repetition %zu: %s (expected none)", spec->name, r,
			               run.error_message.c_str());
		if (r >= col.iterations.size() || col.iterations[r] != run.iterations ||
		    col.runs[r].size() != (size_t)run.iterations)
			return qx_fail(err, QX_EINTERNAL, "%s: repetition %zu reports %lld iterations "
			               "but the shim timed %lld calls (expected the last %d runs to be "
			               "the repetitions: has Google Benchmark's runner changed?)",
			               spec->name, r, (long long)run.iterations,
			               (long long)(r < col.runs.size() ? col.runs[r].size() : 0),
			               spec->repetitions);
	}

	std::vector<double> rep_real, samples, cpu_samples;
	std::vector<int64_t> rep_iters;
	std::vector<size_t> first;
	for (size_t r = 0; r < capture.runs.size(); r++) {
		rep_real.push_back(capture.runs[r].real_s);
		rep_iters.push_back(capture.runs[r].iterations);
		first.push_back(samples.size());
		samples.insert(samples.end(), col.runs[r].begin(), col.runs[r].end());
		cpu_samples.insert(cpu_samples.end(), col.cpu_runs[r].begin(), col.cpu_runs[r].end());
	}
	first.push_back(samples.size());

	out->repetitions = spec->repetitions;
	out->rep_real_s = copy_out(rep_real);
	out->rep_iterations = copy_out(rep_iters);
	out->samples_s = copy_out(samples);
	out->cpu_samples_s = copy_out(cpu_samples);
	out->n_samples = samples.size();
	out->rep_first_sample = copy_out(first);
	out->cpu_scaling_enabled = capture.scaling;
	out->warnings = (char **)calloc(capture.warnings.size() + 1, sizeof(char *));
	if (!out->warnings)
		throw std::bad_alloc();
	for (const std::string &w : capture.warnings) {
		char *s = strdup(w.c_str());
		if (!s)
			throw std::bad_alloc();
		out->warnings[out->n_warnings++] = s;
		// Each warning once per process on stderr, unless the console table showed it.
		if (!spec->console && !spec->quiet && g_warned.insert(w).second)
			fprintf(stderr, "qx-bench: google-benchmark: %s\n", w.c_str());
	}
	return 0;
}

} // namespace

extern "C" int qx_gbench_measure(const struct qx_gbench_spec *spec, struct qx_gbench_result *out,
                                 struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	int rc = check_spec(spec, err);
	if (rc)
		return rc;
	try {
		std::lock_guard<std::mutex> hold(g_lock);
		rc = measure_locked(spec, out, err);
	} catch (const std::bad_alloc &) {
		rc = qx_fail_nomem(err, "measuring latency");
	} catch (const std::exception &e) {
		rc = qx_fail(err, QX_EINTERNAL, "%s: Google Benchmark failed: %s (expected no "
		             "exception)", spec->name, e.what());
	} catch (...) {
		rc = qx_fail(err, QX_EINTERNAL, "%s: Google Benchmark failed with an unknown "
		             "exception (expected none)", spec->name);
	}
	if (rc)
		qx_gbench_result_free(out);
	return rc;
}

extern "C" void qx_gbench_result_free(struct qx_gbench_result *r)
{
	if (!r)
		return;
	free(r->rep_real_s);
	free(r->rep_iterations);
	free(r->samples_s);
	free(r->cpu_samples_s);
	free(r->rep_first_sample);
	for (int i = 0; i < r->n_warnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	memset(r, 0, sizeof *r);
}
