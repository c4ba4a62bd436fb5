#include "report/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/page.h"
#include "report/report_data.h"
#include "util/atomic_write.h"
#include "util/exit_status.h"

char *qx_report_default_path(const char *results_json_path)
{
	const char *slash = strrchr(results_json_path, '/');
	size_t dir_len = slash ? (size_t)(slash - results_json_path) + 1 : 0;
	char *out = malloc(dir_len + sizeof "report.html");
	if (!out)
		return NULL;
	memcpy(out, results_json_path, dir_len);
	memcpy(out + dir_len, "report.html", sizeof "report.html");
	return out;
}

static int fill_page(FILE *f, void *ctx)
{
	struct qx_html h = { f, 0 };
	qx_report_page(&h, ctx);
	return h.failed;
}

/* Writes the page into a temporary file beside path, then renames it over path. */
static int write_atomically(const struct qx_rep *r, const char *path, struct qx_error *err)
{
	return qx_atomic_write(path, "the report", fill_page, (void *)r, err);
}

int qx_report_write(const char *results_json_path, const char *html_path, struct qx_error *err)
{
	char *owned = NULL;
	if (!html_path) {
		owned = qx_report_default_path(results_json_path);
		if (!owned)
			return qx_fail_nomem(err, "naming the report");
		html_path = owned;
	}
	struct qx_rep r;
	int rc = qx_rep_load(results_json_path, &r, err);
	if (!rc) {
		rc = write_atomically(&r, html_path, err);
		qx_rep_free(&r);
	}
	free(owned);
	return rc;
}

static const char report_usage[] =
	"usage: qx-bench report [-o OUT.html] RESULTS.json|RUN-FOLDER\n"
	"\n"
	"Writes report.html (tables and charts, one self-contained file) from a run's results.json,\n"
	"beside it unless -o says where. docs/report.md describes the page.\n";

int qx_report_main(int argc, char **argv)
{
	const char *out = NULL, *in = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(report_usage, stdout);
			return QX_EXIT_OK;
		} else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "qx-bench: report: %s needs a file name\n", a);
				return QX_EXIT_USAGE;
			}
			out = argv[i];
		} else if (strncmp(a, "--output=", 9) == 0) {
			out = a + 9;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "qx-bench: report: unknown option '%s' (try 'qx-bench report "
			        "--help')\n", a);
			return QX_EXIT_USAGE;
		} else if (in) {
			fprintf(stderr, "qx-bench: report: one results.json at a time (got '%s' and "
			        "'%s')\n", in, a);
			return QX_EXIT_USAGE;
		} else {
			in = a;
		}
	}
	if (!in) {
		fprintf(stderr, "qx-bench: report: no results.json given (usage: qx-bench report "
		        "[-o OUT.html] RESULTS.json|RUN-FOLDER)\n");
		return QX_EXIT_USAGE;
	}
	/* A run folder stands for the results.json in it. */
	char *path = NULL;
	struct stat st;
	if (stat(in, &st) == 0 && S_ISDIR(st.st_mode)) {
		size_t len = strlen(in) + sizeof "/results.json";
		path = malloc(len);
		if (!path) {
			fprintf(stderr, "qx-bench: out of memory\n");
			return QX_EXIT_INTERNAL;
		}
		snprintf(path, len, "%s", in);
		size_t end = strlen(path);
		while (end > 1 && path[end - 1] == '/')
			path[--end] = '\0';
		snprintf(path + end, len - end, "/results.json");
	}
	const char *json_path = path ? path : in;
	char *html = out ? NULL : qx_report_default_path(json_path);
	struct qx_error err = { 0 };
	int rc = !out && !html ? qx_fail_nomem(&err, "naming the report")
	                       : qx_report_write(json_path, out ? out : html, &err);
	if (rc)
		fprintf(stderr, "qx-bench: %s\n", err.msg);
	else
		printf("report written to %s\n", out ? out : html);
	free(html);
	free(path);
	return qx_exit_status(rc);
}
