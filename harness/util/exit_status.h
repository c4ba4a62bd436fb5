/* Every exit status qx-bench returns, for every subcommand, in one place (README and each
 * subcommand's --help document them). The numbers are shared; what 1 and 3 mean depends on
 * the subcommand, so each meaning has its own name. */
#ifndef QX_UTIL_EXIT_STATUS_H
#define QX_UTIL_EXIT_STATUS_H

enum qx_exit {
	QX_EXIT_OK = 0,              /* everything ran (compare, history: no regression) */
	QX_EXIT_FAILURES = 1,        /* run: ran, but a plugin or kernel set failed (its row says
	                              * why); plugin-check: a check failed */
	QX_EXIT_REGRESSION = 1,      /* compare, history: an accuracy drop, a plugin that fails
	                              * now, a system gone from NEW, or a latency regression */
	QX_EXIT_USAGE = 2,           /* bad command line or invalid input (suite, model, dataset,
	                              * plugin, results file) */
	QX_EXIT_INTERNAL = 3,        /* run, report, graph, export: out of memory, I/O error
	                              * writing results, or a bug */
	QX_EXIT_INCOMPARABLE = 3,    /* compare, history: different machines or suites (without
	                              * --force), nothing in common, a partial OLD / NEW, or most
	                              * latency rows inconclusive; a regression found in what
	                              * could be compared still gives QX_EXIT_REGRESSION */
	QX_EXIT_INTERRUPTED = 130,   /* SIGINT / SIGTERM: stopped, partial results written */
};

/* Maps an error code (enum qx_err_code, util/error.h) to the exit status above. */
int qx_exit_status(int err_code);

#endif
