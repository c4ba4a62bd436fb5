/* Progress lines on stderr for long steps, only when stderr is a terminal and not --quiet. */
#ifndef QX_PROGRESS_H
#define QX_PROGRESS_H

#include <stdint.h>

struct qx_progress {
	int enabled;
	const char *what;          /* e.g. "fp32 evaluation" */
};

void qx_progress_init(struct qx_progress *p, const char *what, int quiet);
/* Matches qx_eval_run's progress callback. */
void qx_progress_update(void *p, int64_t done, int64_t total);
/* Clears the line. */
void qx_progress_end(struct qx_progress *p);

#endif
