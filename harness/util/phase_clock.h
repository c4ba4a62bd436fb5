/* Where a run's time goes: wall and CPU seconds per phase (calibration, evaluation, the checks,
 * latency, ...), so that a user asking why a suite takes as long as it does gets the answer
 * measured, in results.json's "timing" and on the last line of the run.
 *
 * Phases nest (a fallback row's evaluation runs inside the investigation): time goes to the
 * innermost phase open at the moment, so the phases' times add up to the run's exactly, with
 * QX_PHASE_OTHER for the time no phase was open. CPU time is the process's, every thread's,
 * plus that of its reaped children (the plugins' isolated calibration processes). */
#ifndef QX_UTIL_PHASE_CLOCK_H
#define QX_UTIL_PHASE_CLOCK_H

enum qx_phase {
	QX_PHASE_OTHER,           /* no phase open: setup between phases, printing */
	QX_PHASE_LOAD,            /* the model, datasets and suite checks */
	QX_PHASE_FP32,            /* the fp32 baseline's evaluation */
	QX_PHASE_CALIBRATION,     /* plugins: prepare, calibrate, convert (child processes) */
	QX_PHASE_EVALUATION,      /* each plan's accuracy over the images */
	QX_PHASE_TRUST,           /* the int8 model against the reference simulation */
	QX_PHASE_LAYER_ERROR,     /* the per-layer error */
	QX_PHASE_BIT_IDENTITY,    /* every other kernel set against scalar */
	QX_PHASE_INVESTIGATION,   /* sensitivity and fallback: their own evaluations */
	QX_PHASE_LATENCY,         /* the measurements */
	QX_PHASE_WRITING,         /* results.json and report.html, after every step */
	QX_PHASE_COUNT
};

/* The deepest nesting tracked; deeper phases count to the one at this depth. */
#define QX_PHASE_MAX_DEPTH 8

struct qx_phase_clock {
	double wall[QX_PHASE_COUNT];   /* seconds, exclusive of nested phases */
	double cpu[QX_PHASE_COUNT];
	double start_wall, start_cpu;  /* when qx_phase_clock_start ran */
	double last_wall, last_cpu;    /* the last switch */
	enum qx_phase stack[QX_PHASE_MAX_DEPTH];
	int depth;                     /* open phases; 0: QX_PHASE_OTHER runs */
};

/* Starts the clock (every phase at 0, none open). */
void qx_phase_clock_start(struct qx_phase_clock *c);

/* Opens phase p inside whatever is open, and closes the innermost open phase. A NULL clock is
 * ignored (code shared with callers that keep no clock). */
void qx_phase_enter(struct qx_phase_clock *c, enum qx_phase p);
void qx_phase_leave(struct qx_phase_clock *c);

/* Brings the open phase's time up to now (before reading the figures mid-run). */
void qx_phase_clock_update(struct qx_phase_clock *c);

/* The run so far: wall and CPU seconds since the start (the phases' sums, as of the last
 * update). */
double qx_phase_clock_wall(const struct qx_phase_clock *c);
double qx_phase_clock_cpu(const struct qx_phase_clock *c);

/* The phase's key in results.json ("evaluation", "bit_identity", ...) and its words in the
 * run's last line ("evaluation", "bit identity", ...). */
const char *qx_phase_key(enum qx_phase p);
const char *qx_phase_words(enum qx_phase p);

/* The same bookkeeping at given clock readings: what the functions above do with the clocks'
 * current values (tests drive it with made-up ones). */
void qx_phase_clock_start_at(struct qx_phase_clock *c, double wall, double cpu);
void qx_phase_enter_at(struct qx_phase_clock *c, enum qx_phase p, double wall, double cpu);
void qx_phase_leave_at(struct qx_phase_clock *c, double wall, double cpu);
void qx_phase_update_at(struct qx_phase_clock *c, double wall, double cpu);

#endif
