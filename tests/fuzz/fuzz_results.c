/* results.json as its three readers take it: `qx-bench report` (qx_rep_load, then the whole page
 * with its SVG charts, written to /dev/null), and `compare` / `history` (qx_run_view_load). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "compare/run_view.h"
#include "fuzz/memfile.h"
#include "report/html_out.h"
#include "report/page.h"
#include "report/report_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	const char *path = fuzz_memfile(0, data, size);
	struct qx_error err;
	struct qx_rep r;
	if (qx_rep_load(path, &r, &err) == 0) {
		struct qx_html h = { devnull, 0 };
		qx_report_page(&h, &r);
		qx_rep_free(&r);
	}
	struct qx_run_view v;
	if (qx_run_view_load(path, &v, &err) == 0) {
		char *key = qx_run_view_machine_key(&v);
		free(key);
	}
	qx_run_view_free(&v);
	return 0;
}
