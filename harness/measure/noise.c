#include "measure/noise.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* A worker's involuntary switches from /proc/self/task/<tid>/status; -1 when unreadable. */
static int64_t task_nivcsw(int tid)
{
	char path[64], line[128];
	snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	int64_t v = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "nonvoluntary_ctxt_switches: %" SCNd64, &v) == 1)
			break;
	fclose(f);
	return v;
}

static int64_t pool_nivcsw(const struct qx_pool *pool)
{
	struct rusage ru;
	if (getrusage(RUSAGE_THREAD, &ru))
		return -1;
	int64_t sum = ru.ru_nivcsw;
	int tids[256];
	int n = pool ? qx_pool_worker_tids(pool, tids, 256) : 0;
	for (int i = 0; i < n; i++) {
		int64_t v = tids[i] > 0 ? task_nivcsw(tids[i]) : -1;
		if (v < 0)
			return -1;
		sum += v;
	}
	return sum;
}

static void read_stat(struct qx_noise_snapshot *s)
{
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return;
	uint64_t v[10] = { 0 };
	int got = fscanf(f, "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
	                 " %" SCNu64 " %" SCNu64, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
	                 &v[7]);
	fclose(f);
	if (got < 5)
		return;
	/* user nice system idle iowait irq softirq steal: guest time is already in user. */
	for (int i = 0; i < 8; i++)
		s->cpu_total += v[i];
	s->cpu_idle = v[3] + v[4];
	s->cpu_steal = got >= 8 ? v[7] : 0;
}

void qx_noise_snapshot(const struct qx_pool *pool, struct qx_noise_snapshot *out)
{
	memset(out, 0, sizeof *out);
	out->nivcsw = pool_nivcsw(pool);
	read_stat(out);
	out->load1 = -1.0;
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &out->load1) != 1)
			out->load1 = -1.0;
		fclose(f);
	}
}

void qx_noise_round(const struct qx_noise_snapshot *a, const struct qx_noise_snapshot *b,
                    struct qx_noise_round *out)
{
	out->nivcsw = a->nivcsw >= 0 && b->nivcsw >= a->nivcsw ? b->nivcsw - a->nivcsw : -1;
	out->load1 = b->load1;
	out->reference_ms = -1.0;
	out->busy = out->steal = -1.0;
	/* /proc/stat counts in jiffies (10 ms): a round shorter than a few of them says little,
	 * but a round is min_time long (0.1 s and up), so some ticks have passed. */
	if (a->cpu_total && b->cpu_total > a->cpu_total) {
		/* Counters can step back: a tickless kernel's iowait (part of idle here) is known to,
		 * and then idle or steal can move by more than the total did. Deltas are taken signed
		 * and both shares kept within 0..1, the fractions results.json promises. */
		double total = (double)(b->cpu_total - a->cpu_total);
		double idle = (double)b->cpu_idle - (double)a->cpu_idle;
		double steal = (double)b->cpu_steal - (double)a->cpu_steal;
		out->busy = 1.0 - idle / total;
		out->steal = steal / total;
		out->busy = out->busy < 0.0 ? 0.0 : out->busy > 1.0 ? 1.0 : out->busy;
		out->steal = out->steal < 0.0 ? 0.0 : out->steal > 1.0 ? 1.0 : out->steal;
	}
}

int qx_noise_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}
