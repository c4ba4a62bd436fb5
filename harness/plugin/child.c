/* fork + pipe + poll with a deadline + SIGKILL + waitpid. */
#include "plugin/child.h"
#include "util/interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* LeakSanitizer's switch, present only in sanitizer builds: the child's allocations die with
 * it, so checking them at a plugin's exit() would only add noise (and change its status). */
extern void __lsan_disable(void) __attribute__((weak));

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

const char *qx_signal_name(int sig)
{
	static const struct { int sig; const char *name; } names[] = {
		{ SIGSEGV, "SIGSEGV" }, { SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" },
		{ SIGILL, "SIGILL" }, { SIGABRT, "SIGABRT" }, { SIGKILL, "SIGKILL" },
		{ SIGTERM, "SIGTERM" }, { SIGPIPE, "SIGPIPE" }, { SIGTRAP, "SIGTRAP" },
		{ SIGSYS, "SIGSYS" }, { SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" },
		{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" },
		{ SIGUSR1, "SIGUSR1" }, { SIGUSR2, "SIGUSR2" }, { SIGALRM, "SIGALRM" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].sig == sig)
			return names[i].name;
	static char buf[32];
	snprintf(buf, sizeof buf, "signal %d", sig);
	return buf;
}

static void child_setup(pid_t parent)
{
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127); /* the parent died before prctl took effect */
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS };
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		sigaction(fatal[i], &sa, NULL);
	int null = open("/dev/null", O_RDONLY);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	dup2(STDERR_FILENO, STDOUT_FILENO);
	if (__lsan_disable)
		__lsan_disable();
}

static int append(struct qx_child_result *res, size_t *cap, const char *buf, size_t n)
{
	if (res->len + n + 1 > *cap) {
		size_t want = (*cap ? *cap * 2 : 65536);
		while (want < res->len + n + 1)
			want *= 2;
		char *grown = realloc(res->data, want);
		if (!grown)
			return -1;
		res->data = grown;
		*cap = want;
	}
	memcpy(res->data + res->len, buf, n);
	res->len += n;
	res->data[res->len] = '\0';
	return 0;
}

/* Reads until EOF or the deadline. Returns 1 at EOF, 0 at the deadline, -1 on error. */
static int collect(int fd, double deadline, struct qx_child_result *res)
{
	size_t cap = 0;
	char buf[65536];
	for (;;) {
		double left = deadline - now_s();
		if (left <= 0 || qx_interrupted())
			return 0;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		/* Wake at least every 100 ms to notice Ctrl-C (the handler uses SA_RESTART). */
		int ms = left > 0.1 ? 100 : (int)(left * 1000.0) + 1;
		int r = poll(&p, 1, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			continue; /* re-check the deadline */
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 1;
		if (append(res, &cap, buf, (size_t)n))
			return -1;
	}
}

/* Waits until the child has ended or the deadline passed, without reaping it (a zombie keeps
 * its process group's id reserved, so the group can still be killed safely). 1: ended. */
static int ended_by(pid_t pid, double deadline)
{
	for (;;) {
		siginfo_t info;
		memset(&info, 0, sizeof info);
		int r = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT);
		if ((r == 0 && info.si_pid == pid) || (r < 0 && errno != EINTR))
			return 1;
		if (now_s() >= deadline || qx_interrupted())
			return 0;
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
}

int qx_child_run(qx_child_fn fn, void *ctx, size_t shared_size, double timeout_s,
                 void *shared_out, struct qx_child_result *res, struct qx_error *err)
{
	memset(res, 0, sizeof *res);
	size_t map_size = shared_size ? shared_size : 1;
	void *shared = mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	                    -1, 0);
	if (shared == MAP_FAILED)
		return qx_fail(err, QX_EIO, "cannot map memory shared with the plugin process: %s",
		               strerror(errno));
	int fds[2];
	if (pipe2(fds, O_CLOEXEC)) {
		munmap(shared, map_size);
		return qx_fail(err, QX_EIO, "cannot create a pipe for the plugin process: %s",
		               strerror(errno));
	}
	fflush(NULL); /* or the child's stdio would repeat the parent's buffered output */
	double start = now_s();
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		munmap(shared, map_size);
		return qx_fail(err, QX_EIO, "cannot fork the plugin process: %s", strerror(e));
	}
	if (pid == 0) {
		close(fds[0]);
		child_setup(parent);
		int status = fn(ctx, fds[1], shared);
		close(fds[1]);
		_exit(status);
	}
	close(fds[1]);
	setpgid(pid, pid); /* also done by the child; whichever runs first wins the race */
	double deadline = start + (timeout_s > 0 ? timeout_s : 1e9);
	int got = collect(fds[0], deadline, res);
	int read_errno = errno;
	close(fds[0]);
	int ended = got >= 0 && ended_by(pid, deadline);
	/* Whatever the plugin left running in its process group goes too. */
	kill(-pid, SIGKILL);
	if (!ended)
		kill(pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	res->seconds = now_s() - start;
	if (got < 0) {
		free(res->data);
		res->data = NULL;
		munmap(shared, map_size);
		return qx_fail(err, QX_EIO, "reading the plugin process's reply failed: %s",
		               strerror(read_errno));
	}
	if (!ended && qx_interrupted()) {
		free(res->data);
		res->data = NULL;
		munmap(shared, map_size);
		return qx_fail(err, QX_EINTERRUPTED, "interrupted while the plugin ran (its process "
		               "was killed)");
	}
	if (!ended) {
		res->end = QX_CHILD_TIMED_OUT;
	} else if (WIFSIGNALED(status)) {
		res->end = QX_CHILD_SIGNALED;
		res->signal = WTERMSIG(status);
	} else {
		res->end = QX_CHILD_EXITED;
		res->exit_status = WEXITSTATUS(status);
	}
	if (shared_out && shared_size)
		memcpy(shared_out, shared, shared_size);
	munmap(shared, map_size);
	if (!res->data) {
		res->data = calloc(1, 1);
		if (!res->data)
			return qx_fail_nomem(err, "reading the plugin's reply");
	}
	return 0;
}
