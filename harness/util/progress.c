#include "util/progress.h"

#include <stdio.h>
#include <unistd.h>

void qx_progress_init(struct qx_progress *p, const char *what, int quiet)
{
	p->what = what;
	p->enabled = !quiet && isatty(STDERR_FILENO);
}

void qx_progress_update(void *arg, int64_t done, int64_t total)
{
	struct qx_progress *p = arg;
	if (!p->enabled)
		return;
	fprintf(stderr, "\r%s: %lld/%lld (%d%%)", p->what, (long long)done, (long long)total,
	        total ? (int)(100 * done / total) : 100);
	fflush(stderr);
}

void qx_progress_end(struct qx_progress *p)
{
	if (p->enabled)
		fprintf(stderr, "\r\033[K");
}
