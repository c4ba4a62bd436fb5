/* qx-bench history: the runs of one suite, chosen and filtered once (history.c), then written
 * as text (history_text.c), CSV / JSON / folder list (history_data.c) or a page of trend
 * charts (history_html.c). Every writer reads the same struct, so the views never disagree. */
#ifndef QX_COMPARE_HISTORY_H
#define QX_COMPARE_HISTORY_H

#include <stdint.h>
#include <stdio.h>

#include "compare/run_view.h"
#include "util/error.h"

#define QX_HIST_MAX_MACHINES 26   /* lettered A..Z; later machines show as '?' */

struct qx_hist_run {
	char *folder;              /* DIR/<run folder>, as found */
	struct qx_run_view view;
	char *machine_key;         /* qx_run_view_machine_key, or NULL */
	int machine;               /* index into the distinct machines, -1 past Z */
	int64_t images;            /* images evaluated (fp32's, else the first system's), -1 */
	const char *git;           /* build.git_revision, "" when absent */
	int index;                 /* 1-based position among the runs shown: "#3" */
	char state[48];            /* "finished", "PARTIAL: interrupted (SIGPIPE)", ... */
};

/* One latency measurement across runs: system label, kernel set, threads, batch. */
struct qx_hist_meas {
	char *name;                /* label/kernels/threads:T/batch:B, owned */
	const char *label, *kernels;/* borrowed from the first run that has it */
	int threads, batch;
};

struct qx_history {
	const char *dir;
	struct qx_hist_run *runs;  /* the runs shown, oldest first */
	int n_runs;
	int n_found;               /* runs found before --nightly / --good / --last */
	const char **systems;      /* labels (fp32 first when present), after --plugin */
	int n_systems;
	struct qx_hist_meas *meas; /* after --plugin, --kernels, --threads, --batch */
	int n_meas;
	int machine_run[QX_HIST_MAX_MACHINES]; /* a run on each machine, to describe it */
	int n_machines;
};

/* The measurement column m in run r, or NULL when that run does not have it. */
const struct qx_run_view_measurement *qx_hist_cell(const struct qx_hist_run *r,
                                                   const struct qx_hist_meas *m);

/* 'A'.. for the run's machine, '?' past Z. */
char qx_hist_machine_letter(const struct qx_hist_run *r);


/* Accuracy of system label in run r as "92.49", "92.49!" (MISTRUSTED: its int8 result failed
 * the reference check), "error", "-" (absent) or "?". */
void qx_hist_accuracy(const struct qx_hist_run *r, const char *label, char *buf, size_t size);

/* Writers; each returns 0, or -1 when writing failed. */
int qx_history_print_text(const struct qx_history *h, FILE *out);
int qx_history_print_csv(const struct qx_history *h, FILE *out);
int qx_history_print_json(const struct qx_history *h, FILE *out);
int qx_history_print_folders(const struct qx_history *h, FILE *out);
/* history.html: one trend chart per measurement and per system's accuracy. */
int qx_history_write_html(const struct qx_history *h, const char *path, struct qx_error *err);

#endif
