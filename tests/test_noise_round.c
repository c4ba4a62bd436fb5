/* qx_noise_round (measure/noise.c): the busy and steal shares of a round stay fractions in
 * 0..1, the range results.json's schema promises, even where /proc/stat's counters step back
 * (a tickless kernel's iowait does), and are exact where they do not. */
#include <math.h>

#include "measure/noise.h"
#include "support/tap.h"

static struct qx_noise_snapshot snap(uint64_t total, uint64_t idle, uint64_t steal)
{
	return (struct qx_noise_snapshot){ .nivcsw = 0, .cpu_total = total, .cpu_idle = idle,
	                                   .cpu_steal = steal, .load1 = 1.0 };
}

int main(void)
{
	tap_plan(0);
	struct qx_noise_round r;
	struct qx_noise_snapshot a = snap(1000, 600, 10), b = snap(1100, 650, 20);
	qx_noise_round(&a, &b, &r);
	ok(fabs(r.busy - 0.5) < 1e-12 && fabs(r.steal - 0.1) < 1e-12,
	   "100 ticks, 50 idle, 10 stolen: busy 0.5, steal 0.1 (got %g, %g)", r.busy, r.steal);

	/* iowait stepped back by 30 while 10 ticks passed: idle fell, busy would be 4 */
	a = snap(1000, 600, 10);
	b = snap(1010, 570, 10);
	qx_noise_round(&a, &b, &r);
	ok(r.busy >= 0.0 && r.busy <= 1.0, "idle stepping back: busy %g stays in 0..1", r.busy);

	/* steal moved by more than the total (other counters stepped back) */
	a = snap(1000, 600, 10);
	b = snap(1005, 600, 40);
	qx_noise_round(&a, &b, &r);
	ok(r.steal >= 0.0 && r.steal <= 1.0, "steal beyond the total: steal %g stays in 0..1",
	   r.steal);

	/* steal stepped back: a share below 0 is no share */
	a = snap(1000, 600, 50);
	b = snap(1100, 650, 40);
	qx_noise_round(&a, &b, &r);
	ok(r.steal >= 0.0 && r.steal <= 1.0, "steal stepping back: steal %g stays in 0..1",
	   r.steal);

	/* idle grew by more than the total: busy 0, not negative */
	a = snap(1000, 600, 10);
	b = snap(1010, 640, 10);
	qx_noise_round(&a, &b, &r);
	ok(r.busy == 0.0, "idle beyond the total: busy %g is 0", r.busy);

	/* no ticks passed: unknown, not a share */
	a = snap(1000, 600, 10);
	qx_noise_round(&a, &a, &r);
	ok(r.busy == -1.0 && r.steal == -1.0, "no ticks: busy and steal unknown (-1)");
	return tap_done();
}
