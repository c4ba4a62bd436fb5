/* Runs a function in a forked child with a wall-clock limit, so that whatever it does (crash,
 * hang, exit) the caller learns how it ended and carries on. The child writes its result to a
 * pipe and may keep progress notes in a shared memory block the parent reads afterwards. */
#ifndef QX_PLUGIN_CHILD_H
#define QX_PLUGIN_CHILD_H

#include <stddef.h>

#include "util/error.h"

/* The child's work: writes its result to out_fd, may update shared (shared_size bytes, zeroed
 * before the fork), returns the child's exit status. Runs with stdout redirected to stderr,
 * stdin from /dev/null, default handlers for fatal signals (so a crash is seen as the signal
 * even under a sanitizer), leak checking off, in its own process group. */
typedef int (*qx_child_fn)(void *ctx, int out_fd, void *shared);

enum qx_child_end {
	QX_CHILD_EXITED,                /* exit_status is set */
	QX_CHILD_SIGNALED,              /* signal is set */
	QX_CHILD_TIMED_OUT,             /* killed (SIGKILL, with its process group) at the limit */
};

struct qx_child_result {
	enum qx_child_end end;
	int exit_status;
	int signal;
	char *data;                     /* everything written to out_fd, malloc'ed, NUL-terminated */
	size_t len;
	double seconds;                 /* wall time from fork to reap */
};

/* Forks, runs fn(ctx, fd, shared) in the child, collects the pipe until EOF, reaps the child;
 * kills it when timeout_s passes first. shared is copied back into shared_out (shared_size
 * bytes) after the child is gone. Returns 0 (however the child ended: see res), or QX_EIO /
 * QX_ENOMEM when the fork, pipe or memory could not be had. Free res->data with free(). */
int qx_child_run(qx_child_fn fn, void *ctx, size_t shared_size, double timeout_s,
                 void *shared_out, struct qx_child_result *res, struct qx_error *err);

/* "SIGSEGV", "SIGABRT", ...; "signal 42" for others (in a static buffer). */
const char *qx_signal_name(int sig);

#endif
