#include "exec/pool.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <hwloc.h>

#define QX_POOL_DEFAULT_SPIN_NS 500000

struct qx_pool_worker {
	struct qx_pool *pool;
	int index;                 /* 1..n-1 */
	pthread_t thread;
	_Atomic int tid;           /* the kernel's thread id, set by the worker when it starts */
};

struct qx_pool {
	int n_threads;
	int pinned;
	_Atomic int64_t spin_ns;       /* read by spinning workers, so atomic */
	hwloc_topology_t topo;
	hwloc_cpuset_t caller_saved;   /* the caller's binding before the pool; NULL when unpinned */
	int *pu;                       /* per thread: bound PU's OS index, -1 when unpinned */
	struct qx_pool_worker *workers;
	int started;                   /* workers running (for cleanup after a failed create) */

	/* The current job. Written by the caller only while every worker is idle (pending == 0),
	 * read by workers after they see a new generation: the atomics below order both. */
	qx_pool_fn fn;
	void *ctx;
	int64_t total;

	_Atomic uint32_t generation;   /* futex word: bumped to publish a job or the stop request */
	_Atomic int sleepers;          /* workers asleep (or about to be) on generation */
	_Atomic uint32_t pending;      /* futex word: workers that have not finished this job */
	_Atomic int caller_waiting;    /* the caller sleeps on pending */
	_Atomic int stop;
};

/* A spin-wait hint (not a compute kernel): lets the sibling hyperthread run and saves power. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static void futex_wait(_Atomic uint32_t *word, uint32_t expected)
{
	/* Returns at once when *word != expected; spurious wake-ups are handled by the callers'
	 * loops, so the result is not needed. */
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word, int count)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spins until *word differs from seen or spin_ns passes; returns whether it changed. */
static int spin_until_changed(_Atomic uint32_t *word, uint32_t seen, int64_t spin_ns)
{
	if (spin_ns <= 0)
		return atomic_load(word) != seen;
	int64_t deadline = 0;
	for (unsigned i = 0;; i++) {
		if (atomic_load_explicit(word, memory_order_acquire) != seen)
			return 1;
		cpu_relax();
		/* Reading the clock every 64 turns keeps the spin cheap. */
		if ((i & 63) == 63) {
			int64_t t = now_ns();
			if (!deadline)
				deadline = t + spin_ns;
			else if (t >= deadline)
				return 0;
		}
	}
}

static int64_t spin_budget(struct qx_pool *p)
{
	return atomic_load_explicit(&p->spin_ns, memory_order_relaxed);
}

static void chunk_of(int64_t total, int n, int i, int64_t *begin, int64_t *end)
{
	int64_t q = total / n, r = total % n;
	*begin = (int64_t)i * q + (i < r ? i : r);
	*end = *begin + q + (i < r ? 1 : 0);
}

static void *worker_main(void *arg)
{
	struct qx_pool_worker *w = arg;
	struct qx_pool *p = w->pool;
	uint32_t seen = 0;
	atomic_store(&w->tid, (int)syscall(SYS_gettid));
	for (;;) {
		if (!spin_until_changed(&p->generation, seen, spin_budget(p))) {
			/* Announce the sleep before checking the word once more (inside futex_wait):
			 * qx_pool_run bumps generation before it reads sleepers, so one of the two
			 * sees the other (both are sequentially consistent). */
			atomic_fetch_add(&p->sleepers, 1);
			while (atomic_load(&p->generation) == seen)
				futex_wait(&p->generation, seen);
			atomic_fetch_sub(&p->sleepers, 1);
		}
		seen = atomic_load(&p->generation);
		if (atomic_load(&p->stop))
			return NULL;
		int64_t begin, end;
		chunk_of(p->total, p->n_threads, w->index, &begin, &end);
		if (begin < end)
			p->fn(p->ctx, begin, end);
		/* The last worker wakes the caller if it went to sleep; same handshake as above. */
		if (atomic_fetch_sub(&p->pending, 1) == 1 && atomic_load(&p->caller_waiting))
			futex_wake(&p->pending, 1);
	}
}

static void stop_workers(struct qx_pool *p)
{
	if (!p->started)
		return;
	atomic_store(&p->stop, 1);
	atomic_fetch_add(&p->generation, 1);
	futex_wake(&p->generation, INT_MAX);
	for (int i = 0; i < p->started; i++)
		pthread_join(p->workers[i].thread, NULL);
	p->started = 0;
}

void qx_pool_free(struct qx_pool *p)
{
	if (!p)
		return;
	stop_workers(p);
	if (p->caller_saved) {
		/* Best effort: the caller gets back the CPUs it had before the pool. */
		hwloc_set_cpubind(p->topo, p->caller_saved, HWLOC_CPUBIND_THREAD);
		hwloc_bitmap_free(p->caller_saved);
	}
	if (p->topo)
		hwloc_topology_destroy(p->topo);
	free(p->workers);
	free(p->pu);
	free(p);
}

/* The PU a pinned thread i is bound to: one PU (the first) of the i-th core, so that the thread
 * does not wander between hyperthreads of its core. */
static hwloc_cpuset_t pu_set_of(hwloc_topology_t topo, hwloc_obj_type_t unit, int i)
{
	hwloc_obj_t obj = hwloc_get_obj_by_type(topo, unit, (unsigned)i);
	if (!obj || !obj->cpuset)
		return NULL;
	hwloc_cpuset_t set = hwloc_bitmap_dup(obj->cpuset);
	if (set)
		hwloc_bitmap_singlify(set);
	return set;
}

static int bind_threads(struct qx_pool *p, hwloc_obj_type_t unit, struct qx_error *err)
{
	for (int i = 0; i < p->n_threads; i++) {
		hwloc_cpuset_t set = pu_set_of(p->topo, unit, i);
		if (!set)
			return qx_fail(err, QX_EINTERNAL, "threads: hwloc has no cpuset for core %d "
			               "(expected one per core)", i);
		p->pu[i] = hwloc_bitmap_first(set);
		int rc;
		if (i == 0) {
			p->caller_saved = hwloc_bitmap_alloc();
			if (!p->caller_saved) {
				hwloc_bitmap_free(set);
				return qx_fail_nomem(err, "pinning threads");
			}
			if (hwloc_get_cpubind(p->topo, p->caller_saved, HWLOC_CPUBIND_THREAD) != 0) {
				int e = errno;
				hwloc_bitmap_free(p->caller_saved);
				p->caller_saved = NULL;
				hwloc_bitmap_free(set);
				return qx_fail(err, QX_EUNSUPPORTED, "threads: cannot read the calling "
				               "thread's CPU binding: %s (expected hwloc thread binding "
				               "support)", strerror(e));
			}
			rc = hwloc_set_cpubind(p->topo, set, HWLOC_CPUBIND_THREAD);
		} else {
			rc = hwloc_set_thread_cpubind(p->topo, p->workers[i - 1].thread, set, 0);
		}
		int e = errno;
		hwloc_bitmap_free(set);
		if (rc != 0)
			return qx_fail(err, QX_EUNSUPPORTED, "threads: cannot pin thread %d to PU %d: "
			               "%s (expected a CPU this process may use)", i, p->pu[i],
			               strerror(e));
	}
	return 0;
}

int qx_pool_create(int n_threads, int pin, struct qx_pool **out, struct qx_error *err)
{
	*out = NULL;
	if (n_threads < 1)
		return qx_fail(err, QX_EINVAL, "threads: %d threads asked (expected at least 1)",
		               n_threads);
	struct qx_pool *p = calloc(1, sizeof *p);
	if (!p)
		return qx_fail_nomem(err, "creating the thread pool");
	p->n_threads = n_threads;
	p->pinned = pin != 0;
	atomic_init(&p->spin_ns, QX_POOL_DEFAULT_SPIN_NS);
	if (hwloc_topology_init(&p->topo) != 0 || hwloc_topology_load(p->topo) != 0) {
		int e = errno;
		if (p->topo)
			hwloc_topology_destroy(p->topo);
		p->topo = NULL;
		qx_pool_free(p);
		return qx_fail(err, QX_EUNSUPPORTED, "threads: hwloc cannot read this machine's "
		               "topology: %s (expected a readable /sys/devices/system/cpu)",
		               strerror(e));
	}
	/* hwloc drops the PUs this process may not use (taskset, cgroups), so these are the cores
	 * we may run on. A machine hwloc reports without cores (some VMs) counts its PUs instead. */
	hwloc_obj_type_t unit = HWLOC_OBJ_CORE;
	int cores = hwloc_get_nbobjs_by_type(p->topo, HWLOC_OBJ_CORE);
	if (cores <= 0) {
		unit = HWLOC_OBJ_PU;
		cores = hwloc_get_nbobjs_by_type(p->topo, HWLOC_OBJ_PU);
	}
	if (n_threads > cores) {
		qx_pool_free(p);
		return qx_fail(err, QX_EINVAL, "threads: %d threads asked but this process may use "
		               "%d core%s (expected at most %d: qx-bench does not put two threads on "
		               "one core)", n_threads, cores, cores == 1 ? "" : "s", cores);
	}
	p->pu = malloc(sizeof *p->pu * (size_t)n_threads);
	p->workers = calloc((size_t)(n_threads > 1 ? n_threads - 1 : 1), sizeof *p->workers);
	if (!p->pu || !p->workers) {
		qx_pool_free(p);
		return qx_fail_nomem(err, "creating the thread pool");
	}
	for (int i = 0; i < n_threads; i++)
		p->pu[i] = -1;
	for (int i = 1; i < n_threads; i++) {
		struct qx_pool_worker *w = &p->workers[i - 1];
		w->pool = p;
		w->index = i;
		int rc = pthread_create(&w->thread, NULL, worker_main, w);
		if (rc) {
			qx_pool_free(p);
			return qx_fail(err, QX_ENOMEM, "threads: cannot start worker thread %d: %s "
			               "(expected the OS to allow %d threads)", i, strerror(rc),
			               n_threads);
		}
		p->started++;
	}
	/* Each worker publishes its thread id as its first act; waiting for them here means
	 * qx_pool_worker_tids never hands out a 0 to a measurement's first round. */
	for (int i = 1; i < n_threads; i++)
		while (atomic_load(&p->workers[i - 1].tid) == 0)
			sched_yield();
	if (p->pinned) {
		int rc = bind_threads(p, unit, err);
		if (rc) {
			qx_pool_free(p);
			return rc;
		}
	}
	*out = p;
	return 0;
}

int qx_pool_worker_tids(const struct qx_pool *p, int *tids, int n)
{
	int k = 0;
	for (int i = 1; i < p->n_threads && k < n; i++)
		tids[k++] = atomic_load((_Atomic int *)&p->workers[i - 1].tid);
	return k;
}

void qx_pool_run(struct qx_pool *p, int64_t total, qx_pool_fn fn, void *ctx)
{
	if (total <= 0)
		return;
	if (p->n_threads == 1) {
		fn(ctx, 0, total);
		return;
	}
	p->fn = fn;
	p->ctx = ctx;
	p->total = total;
	atomic_store(&p->pending, (uint32_t)(p->n_threads - 1));
	atomic_fetch_add(&p->generation, 1);
	if (atomic_load(&p->sleepers) > 0)
		futex_wake(&p->generation, INT_MAX);

	int64_t begin, end;
	chunk_of(total, p->n_threads, 0, &begin, &end);
	if (begin < end)
		fn(ctx, begin, end);

	uint32_t left = atomic_load(&p->pending);
	if (left == 0)
		return;
	if (spin_until_changed(&p->pending, left, spin_budget(p))) {
		/* Some worker finished; spin on for the others within the same budget. */
		int64_t deadline = now_ns() + spin_budget(p);
		while ((left = atomic_load(&p->pending)) != 0 && now_ns() < deadline)
			cpu_relax();
		if (left == 0)
			return;
	}
	atomic_store(&p->caller_waiting, 1);
	while ((left = atomic_load(&p->pending)) != 0)
		futex_wait(&p->pending, left);
	atomic_store(&p->caller_waiting, 0);
}

int qx_pool_threads(const struct qx_pool *p)
{
	return p->n_threads;
}

int qx_pool_pinned(const struct qx_pool *p)
{
	return p->pinned;
}

int qx_pool_describe(const struct qx_pool *p, int *pu_os_index, int n)
{
	for (int i = 0; i < n && i < p->n_threads; i++)
		pu_os_index[i] = p->pu[i];
	return p->n_threads;
}

void qx_pool_set_spin_ns(struct qx_pool *p, int64_t spin_ns)
{
	atomic_store_explicit(&p->spin_ns, spin_ns < 0 ? 0 : spin_ns, memory_order_relaxed);
}
