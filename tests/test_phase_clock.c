/* The phase clock (util/phase_clock.h), driven with made-up clock readings: time goes to the
 * innermost open phase, so nested phases are not counted twice and the phases add up to the
 * run's time; time with no phase open is "other"; unbalanced or too deep nesting neither
 * crashes nor loses time; and the real clocks move forward. */
#include <math.h>
#include <string.h>

#include "support/tap.h"
#include "util/phase_clock.h"

static double sum_wall(const struct qx_phase_clock *c)
{
	double s = 0.0;
	for (int p = 0; p < QX_PHASE_COUNT; p++)
		s += c->wall[p];
	return s;
}

static double sum_cpu(const struct qx_phase_clock *c)
{
	double s = 0.0;
	for (int p = 0; p < QX_PHASE_COUNT; p++)
		s += c->cpu[p];
	return s;
}

int main(void)
{
	tap_plan(0);
	struct qx_phase_clock c;
	/* t=100: start; 101: load (2 s, 1 CPU); 103: other 1 s; 104: investigation, 105: its
	 * evaluation (3 s, 6 CPU on two threads), 108: back in investigation 1 s; 109: leave. */
	qx_phase_clock_start_at(&c, 100.0, 10.0);
	qx_phase_enter_at(&c, QX_PHASE_LOAD, 101.0, 10.5);
	qx_phase_leave_at(&c, 103.0, 11.5);
	qx_phase_enter_at(&c, QX_PHASE_INVESTIGATION, 104.0, 12.0);
	qx_phase_enter_at(&c, QX_PHASE_EVALUATION, 105.0, 13.0);
	qx_phase_leave_at(&c, 108.0, 19.0);
	qx_phase_update_at(&c, 108.5, 19.5);
	ok(c.wall[QX_PHASE_INVESTIGATION] == 1.5 && c.depth == 1,
	   "an update mid-phase counts the time so far to the open phase (%g s)",
	   c.wall[QX_PHASE_INVESTIGATION]);
	qx_phase_leave_at(&c, 109.0, 20.0);
	ok(c.wall[QX_PHASE_LOAD] == 2.0 && c.cpu[QX_PHASE_LOAD] == 1.0,
	   "load: 2 s wall, 1 s CPU (got %g, %g)", c.wall[QX_PHASE_LOAD], c.cpu[QX_PHASE_LOAD]);
	ok(c.wall[QX_PHASE_EVALUATION] == 3.0 && c.cpu[QX_PHASE_EVALUATION] == 6.0,
	   "a nested evaluation: its own 3 s wall, 6 s CPU (got %g, %g)",
	   c.wall[QX_PHASE_EVALUATION], c.cpu[QX_PHASE_EVALUATION]);
	ok(c.wall[QX_PHASE_INVESTIGATION] == 2.0 && c.cpu[QX_PHASE_INVESTIGATION] == 2.0,
	   "the enclosing investigation: 2 s, its nested evaluation left out (got %g, %g)",
	   c.wall[QX_PHASE_INVESTIGATION], c.cpu[QX_PHASE_INVESTIGATION]);
	ok(c.wall[QX_PHASE_OTHER] == 2.0, "no phase open: 2 s of other (got %g)",
	   c.wall[QX_PHASE_OTHER]);
	ok(qx_phase_clock_wall(&c) == 9.0 && sum_wall(&c) == 9.0 && qx_phase_clock_cpu(&c) == 10.0 &&
	   sum_cpu(&c) == 10.0, "the phases add up to the run: 9 s wall, 10 s CPU (got %g = %g, %g = %g)",
	   qx_phase_clock_wall(&c), sum_wall(&c), qx_phase_clock_cpu(&c), sum_cpu(&c));

	/* A leave with nothing open, then nesting deeper than tracked: time still all counted. */
	qx_phase_clock_start_at(&c, 0.0, 0.0);
	qx_phase_leave_at(&c, 1.0, 1.0);
	ok(c.depth == 0 && c.wall[QX_PHASE_OTHER] == 1.0, "a leave with no phase open: other, depth 0");
	for (int i = 0; i < QX_PHASE_MAX_DEPTH + 3; i++)
		qx_phase_enter_at(&c, i % 2 ? QX_PHASE_TRUST : QX_PHASE_LATENCY, 2.0 + i, 2.0 + i);
	for (int i = 0; i < QX_PHASE_MAX_DEPTH + 3; i++)
		qx_phase_leave_at(&c, 20.0 + i, 20.0 + i);
	double t = qx_phase_clock_wall(&c);
	ok(c.depth == 0 && t == 30.0 && fabs(sum_wall(&c) - t) < 1e-12,
	   "nesting %d deep (%d tracked): every second counted once (%g of %g)",
	   QX_PHASE_MAX_DEPTH + 3, QX_PHASE_MAX_DEPTH, sum_wall(&c), t);
	qx_phase_enter_at(&c, (enum qx_phase)99, 31.0, 31.0);
	qx_phase_leave_at(&c, 32.0, 32.0);
	ok(c.wall[QX_PHASE_OTHER] > 1.0 && !strcmp(qx_phase_key((enum qx_phase)99), "other"),
	   "a phase out of range counts as other");

	/* Keys: one per phase, distinct, as schemas/results.schema.json lists them. */
	int distinct = 1;
	for (int a = 0; a < QX_PHASE_COUNT; a++)
		for (int b = a + 1; b < QX_PHASE_COUNT; b++)
			distinct &= strcmp(qx_phase_key((enum qx_phase)a), qx_phase_key((enum qx_phase)b)) != 0;
	ok(distinct, "%d phases, %d distinct keys", QX_PHASE_COUNT, QX_PHASE_COUNT);

	/* The real clocks: a busy loop moves wall and CPU time forward, into the open phase. */
	qx_phase_clock_start(&c);
	qx_phase_enter(&c, QX_PHASE_EVALUATION);
	volatile double x = 0.0;
	for (long i = 0; i < 20000000; i++)
		x += 1e-9;
	qx_phase_leave(&c);
	qx_phase_enter(NULL, QX_PHASE_TRUST);
	qx_phase_leave(NULL);
	ok(c.wall[QX_PHASE_EVALUATION] > 0.0 && c.cpu[QX_PHASE_EVALUATION] > 0.0 &&
	   qx_phase_clock_wall(&c) >= c.wall[QX_PHASE_EVALUATION],
	   "real clocks: %g s wall, %g s CPU in the open phase (a NULL clock is ignored)",
	   c.wall[QX_PHASE_EVALUATION], c.cpu[QX_PHASE_EVALUATION]);
	return tap_done();
}
