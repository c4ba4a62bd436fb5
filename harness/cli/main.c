/* qx-bench: command line. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/run.h"
#include "measure/eval.h"
#include "kernels.h"
#include "suite/suite.h"
#include "util/list.h"

static const char usage[] =
	"usage: qx-bench [options] SUITE.yaml...\n"
	"       qx-bench compare OLD NEW\n"
	"       qx-bench history [options] RESULTS-DIR\n"
	"       qx-bench report [-o OUT.html] RESULTS.json|RUN-FOLDER\n"
	"       qx-bench explain RUN [--plugin LABEL] [--top N] [--by loss|own] [--json]\n"
	"       qx-bench plugin-check PLUGIN.so [--option KEY=VALUE ...]\n"
	"       qx-bench graph MODEL.onnx [--json]\n"
	"       qx-bench export RUN [--plugin LABEL] -o OUT.onnx [--dump N DIR]\n"
	"\n"
	"Quantizes the suite's fp32 ONNX model with each quantization plugin it names and reports,\n"
	"per plugin and kernel set, top-1 accuracy, its drop against fp32, model size and latency.\n"
	"\n"
	"options:\n"
	"  -l, --limit N        evaluate on at most the first N images of the dataset\n"
	"  -p, --plugins LIST   run only these plugins (comma-separated labels from the suite;\n"
	"                       'none' runs fp32 alone)\n"
	"  -k, --kernels LIST   kernel sets instead of the suite's: auto, all, or names among\n"
	"                       scalar, avx2, avx512vnni, avxvnni, neon\n"
	"  -t, --threads LIST   thread counts to measure instead of the suite's (e.g. 1,2)\n"
	"  -b, --batch LIST     batch sizes to measure instead of the suite's (e.g. 1,64)\n"
	"  -j, --jobs N         threads for evaluation, the bit-identity and trust checks and the\n"
	"                       per-layer error (default: every CPU this process may use, at\n"
	"                       most 16; each has its own copy of the model; no result depends\n"
	"                       on it; latency is measured with --threads alone)\n"
	"  -M, --no-measure     skip latency measurement\n"
	"  -S, --sensitivity    after each plugin's row, each int8 node's accuracy cost: the plan\n"
	"                       with that node alone in float, on the first 1000 images (or the\n"
	"                       entry's sensitivity: / fallback: images:)\n"
	"  -F, --fallback B     after each plugin's row, a '<label>+fallback' row: the fewest\n"
	"                       nodes in float (most sensitive first) for a drop <= B points on\n"
	"                       the full evaluation set, measured like any plugin\n"
	"  -o, --results DIR    write results under DIR instead of the suite's results folder\n"
	"  -N, --nightly        tag the run \"nightly\" in results.json, not \"ad-hoc\"\n"
	"                       (tools/qx-nightly does); history --nightly and qx-nightly's\n"
	"                       baselines take only such runs\n"
	"  -Q, --quick          a short interactive run (about 30 s on the default suite): at\n"
	"                       most 2000 images, 1 thread, the smallest batch, 3 short rounds,\n"
	"                       128 check images; marked \"quick\" in results, not for tracking\n"
	"  -q, --quiet          no progress on stderr\n"
	"  -v, --verbose        also the plugins' info and debug log lines on stderr, and each\n"
	"                       measurement's repro line on stdout (always in repro.txt)\n"
	"  -h, --help           this text\n"
	"  -V, --version        version\n"
	"\n"
	"subcommands:\n"
	"  compare OLD NEW          compare two runs (results folders or results.json files):\n"
	"                           accuracy findings and latency verdicts; see docs/nightly.md\n"
	"  history RESULTS-DIR      the runs of one suite: accuracy and latency trends, filters,\n"
	"                           CSV / JSON, history.html (qx-bench history --help)\n"
	"  report RESULTS.json      (re)writes report.html from a results.json\n"
	"  explain RUN              per-layer error of each plugin, worst tensors first, and why\n"
	"                           (qx-bench explain --help)\n"
	"  plugin-check PLUGIN.so   conformance run of a plugin for plugin authors (TAP on stdout;\n"
	"                           --option KEY=VALUE passes options, --model M.onnx, --timeout S)\n"
	"  graph MODEL.onnx         the nodes and tensors as plugins see them (names, shapes,\n"
	"                           modes) (qx-bench graph --help)\n"
	"  export RUN               a run's plan as an ONNX QDQ model that ONNX Runtime runs\n"
	"                           (qx-bench export --help; docs/export.md)\n"
	"\n"
	"environment:\n"
	"  QX_PLUGIN_PATH       colon-separated folders searched for plugins named in suites\n"
	"  QX_DISABLE_KSETS     comma-separated kernel sets to treat as unavailable\n"
	"\n"
	"A list where a suite's plugin entry gives an option value or its own calibration count\n"
	"sweeps: one labelled configuration per combination, e.g. per-channel[qparams=\n"
	"moving_average,count=1024] (docs/suite-format.md, \"Sweeps\").\n"
	"Each run ends with its conclusion (accuracy drop, speedup, Pareto fronts) and writes\n"
	"results/<suite>/<run-id>/: results.json, report.html, gbench.json (Google Benchmark's\n"
	"format), <plugin>.plan.json and repro.txt. A kernel set this CPU lacks, more threads\n"
	"than cores, a plugin that is not installed or an option it refuses is refused before\n"
	"any work (exit 2).\n"
	"Nightly tracking: tools/qx-nightly (docs/nightly.md).\n"
	"\n"
	"exit status:\n"
	"  0  everything ran\n"
	"  1  ran, but a plugin or kernel set failed (its row and stderr say why)\n"
	"  2  bad command line, invalid input (suite, model, dataset) or what cannot run\n"
	"     here: one line on stderr\n"
	"  3  internal error (out of memory, cannot write results, a bug)\n"
	"  130  interrupted (Ctrl-C, SIGTERM, or stdout closed: SIGPIPE, e.g. | head): what was\n"
	"       measured is in results.json, marked \"state\": \"interrupted\"\n"
	"\n"
	"Suite format: docs/suite-format.md. Plugins: docs/plugin-authoring.md.\n";

int qx_plugin_check_main(int argc, char **argv);
int qx_compare_main(int argc, char **argv);
int qx_history_main(int argc, char **argv);
int qx_report_main(int argc, char **argv);
int qx_explain_main(int argc, char **argv);
int qx_graph_main(int argc, char **argv);
int qx_export_main(int argc, char **argv);

static int check_kernel_list(const char *list)
{
	if (!strcmp(list, "auto") || !strcmp(list, "all"))
		return 0;
	if (!*list)
		return -1;
	size_t n;
	const char *item;
	for (const char *p = list; qx_list_next(&p, &item, &n);) {
		int found = 0;
		for (int s = 0; s < QX_KSET_COUNT; s++)
			found |= n == strlen(qx_kset_name((enum qx_kset)s)) &&
			         !strncmp(item, qx_kset_name((enum qx_kset)s), n);
		if (!found)
			return -1;
	}
	return 0;
}

static int parse_limit(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v <= 0)
		return -1;
	*out = v;
	return 0;
}

/* A drop budget in points: a finite number in 0..100, nothing after it. */
static int parse_points(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || !isfinite(v) || v < 0 || v > 100)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "plugin-check") == 0)
		return qx_plugin_check_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "compare") == 0)
		return qx_compare_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "history") == 0)
		return qx_history_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return qx_report_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "explain") == 0)
		return qx_explain_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "graph") == 0)
		return qx_graph_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "export") == 0)
		return qx_export_main(argc - 1, argv + 1);

	static const struct option longopts[] = {
		{ "limit", required_argument, NULL, 'l' },
		{ "plugins", required_argument, NULL, 'p' },
		{ "kernels", required_argument, NULL, 'k' },
		{ "threads", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "no-measure", no_argument, NULL, 'M' },
		{ "sensitivity", no_argument, NULL, 'S' },
		{ "fallback", required_argument, NULL, 'F' },
		{ "results", required_argument, NULL, 'o' },
		{ "nightly", no_argument, NULL, 'N' },
		{ "quick", no_argument, NULL, 'Q' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct qx_run_options opt = { 0 };
	int c;
	while ((c = getopt_long(argc, argv, "l:p:k:t:b:j:MSF:o:NQqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (parse_limit(optarg, &opt.limit)) {
				fprintf(stderr, "qx-bench: --limit '%s': expected a positive integer\n", optarg);
				return QX_EXIT_USAGE;
			}
			break;
		case 'p':
			/* An empty list would silently run fp32 alone: 'none' says that on purpose. */
			if (!optarg[0] || strspn(optarg, ", ") == strlen(optarg)) {
				fprintf(stderr, "qx-bench: --plugins '%s': empty (expected plugin labels "
				        "from the suite, comma-separated, or none for fp32 alone)\n", optarg);
				return QX_EXIT_USAGE;
			}
			opt.only_plugins = optarg;
			break;
		case 'k':
			if (check_kernel_list(optarg)) {
				fprintf(stderr, "qx-bench: --kernels '%s': expected auto, all, or a comma-separated "
				        "list of scalar, avx2, avx512vnni, avxvnni, neon\n", optarg);
				return QX_EXIT_USAGE;
			}
			opt.kernels = optarg;
			break;
		case 't':
			opt.n_threads = qx_list_ints(optarg, opt.threads, 16, 4096);
			if (opt.n_threads < 0) {
				fprintf(stderr, "qx-bench: --threads '%s': expected up to 16 comma-separated "
				        "counts in 1..4096\n", optarg);
				return QX_EXIT_USAGE;
			}
			break;
		case 'b':
			opt.n_batches = qx_list_ints(optarg, opt.batches, 16, 65536);
			if (opt.n_batches < 0) {
				fprintf(stderr, "qx-bench: --batch '%s': expected up to 16 comma-separated "
				        "sizes in 1..65536\n", optarg);
				return QX_EXIT_USAGE;
			}
			break;
		case 'j': {
			int jobs[1];
			if (qx_list_ints(optarg, jobs, 1, QX_EVAL_MAX_THREADS) != 1) {
				fprintf(stderr, "qx-bench: --jobs '%s': expected one count in 1..%d\n", optarg,
				        QX_EVAL_MAX_THREADS);
				return QX_EXIT_USAGE;
			}
			opt.jobs = jobs[0];
			break;
		}
		case 'M': opt.no_measure = 1; break;
		case 'S': opt.sensitivity = 1; break;
		case 'F':
			if (parse_points(optarg, &opt.fallback_max_drop)) {
				fprintf(stderr, "qx-bench: --fallback '%s': expected the accuracy drop allowed "
				        "against fp32, in points: a number in 0..100, e.g. 0.2\n", optarg);
				return QX_EXIT_USAGE;
			}
			opt.fallback = 1;
			break;
		case 'o': opt.results_dir = optarg; break;
		case 'N': opt.nightly = 1; break;
		case 'Q': opt.quick = 1; break;
		case 'q': opt.quiet = 1; break;
		case 'v': opt.verbose = 1; break;
		case 'h': fputs(usage, stdout); return QX_EXIT_OK;
		case 'V': printf("qx-bench %s\n", QX_VERSION); return QX_EXIT_OK;
		default:
			fprintf(stderr, "qx-bench: try 'qx-bench --help'\n");
			return QX_EXIT_USAGE;
		}
	}
	if (opt.quick && opt.nightly) {
		fprintf(stderr, "qx-bench: --quick with --nightly: a quick run is not for tracking "
		        "(expected one of them)\n");
		return QX_EXIT_USAGE;
	}
	if (optind >= argc) {
		fprintf(stderr, "qx-bench: no suite given (usage: qx-bench [options] SUITE.yaml...)\n");
		return QX_EXIT_USAGE;
	}

	int worst = QX_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		struct qx_suite suite;
		struct qx_error err = { 0 };
		int status;
		int rc = qx_suite_load(argv[i], &suite, &err);
		if (rc)
			status = qx_exit_status(rc);
		else
			status = qx_run_suite(&suite, &opt, &err);
		if (status == QX_EXIT_USAGE || status == QX_EXIT_INTERNAL ||
		    status == QX_EXIT_INTERRUPTED)
			fprintf(stderr, "qx-bench: %s\n", err.msg);
		qx_suite_free(&suite);
		/* Worst status wins: interrupted > internal > usage > failures > ok. */
		if (status > worst)
			worst = status;
		if (status == QX_EXIT_INTERRUPTED)
			break;
	}
	return worst;
}
