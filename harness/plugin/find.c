/* Where a plugin named in a suite is looked for: the suite's explicit path, QX_PLUGIN_PATH,
 * the executable's plugins/ folder, ../lib/qx-bench/plugins beside an installed executable,
 * then the build's plugin folder compiled in. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin/host.h"

static int readable(const char *path)
{
	return access(path, R_OK) == 0;
}

/* Tries dir/name.so; on a hit sets *path. Appends dir to the list of places tried. */
static int try_dir(const char *dir, size_t dir_len, const char *name, char **path,
                   char *tried, size_t tried_size)
{
	if (dir_len == 0)
		return 0;
	size_t n = dir_len + strlen(name) + 5;
	char *p = malloc(n);
	if (!p)
		return -1;
	snprintf(p, n, "%.*s/%s.so", (int)dir_len, dir, name);
	if (readable(p)) {
		*path = p;
		return 1;
	}
	free(p);
	size_t used = strlen(tried);
	char quoted[1100];
	snprintf(quoted, sizeof quoted, "%.*s", (int)dir_len, dir);
	for (const char *at = strstr(tried, quoted); at; at = strstr(at + 1, quoted)) {
		char end = at[strlen(quoted)];
		if ((at == tried || at[-1] == ' ') && (end == ',' || end == '\0'))
			return 0; /* listed already (the same folder twice) */
	}
	snprintf(tried + used, tried_size - used, "%s%.*s", used ? ", " : "", (int)dir_len, dir);
	return 0;
}

/* Edit distance (insertions, deletions, substitutions) of two short names; large for long ones. */
static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 99;
	int row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j];
			int best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The plugin in the folders tried (", "-separated) whose name is nearest to name, when it is
 * near enough to be a typo: at most 2 edits, or a third of the name. */
static int closest_plugin(const char *name, const char *tried, char *out, size_t size)
{
	int best = (int)strlen(name) / 3 > 2 ? (int)strlen(name) / 3 : 2;
	int found = 0;
	for (const char *p = tried; *p;) {
		const char *end = strstr(p, ", ");
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char dir[1100];
		snprintf(dir, sizeof dir, "%.*s", (int)n, p);
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			size_t len = strlen(e->d_name);
			if (len < 4 || strcmp(e->d_name + len - 3, ".so"))
				continue;
			char base[256];
			snprintf(base, sizeof base, "%.*s", (int)(len - 3), e->d_name);
			int dist = distance(name, base);
			if (dist <= best && (!found || dist < best)) {
				best = dist;
				found = 1;
				snprintf(out, size, "%s", base);
			}
		}
		if (d)
			closedir(d);
		p += n + (end ? 2 : 0);
	}
	return found;
}

int qx_plugin_find(const struct qx_suite_plugin *spec, char **path, struct qx_error *err)
{
	*path = NULL;
	const char *label = spec->label ? spec->label : spec->name ? spec->name : "?";
	if (spec->path) {
		if (!readable(spec->path))
			return qx_fail(err, QX_ENOENT, "plugin '%s': %s does not exist or is not readable "
			               "(expected a plugin .so)", label, spec->path);
		*path = strdup(spec->path);
		return *path ? 0 : qx_fail_nomem(err, "finding a plugin");
	}
	const char *name = spec->name;
	if (!name || !*name || strchr(name, '/') || name[0] == '.')
		return qx_fail(err, QX_EINVAL, "plugin '%s': name '%s' (expected a plain name like "
		               "static-per-tensor, or path: for a file)", label, name ? name : "");
	char tried[2048] = "";
	int hit = 0;
	const char *env = getenv("QX_PLUGIN_PATH");
	for (const char *dir = env; dir && *dir && !hit;) {
		const char *colon = strchr(dir, ':');
		size_t len = colon ? (size_t)(colon - dir) : strlen(dir);
		hit = try_dir(dir, len, name, path, tried, sizeof tried);
		dir = colon ? colon + 1 : NULL;
	}
	char exe[PATH_MAX];
	ssize_t n = hit ? -1 : readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			snprintf(slash, sizeof exe - (size_t)(slash - exe), "/plugins");
			hit = try_dir(exe, strlen(exe), name, path, tried, sizeof tried);
		}
		/* make install: <prefix>/bin/qx-bench finds <prefix>/lib/qx-bench/plugins. */
		if (!hit && slash) {
			*slash = '\0';
			char *bin = strrchr(exe, '/');
			if (bin) {
				snprintf(bin, sizeof exe - (size_t)(bin - exe), "/lib/qx-bench/plugins");
				hit = try_dir(exe, strlen(exe), name, path, tried, sizeof tried);
			}
		}
	}
#ifdef QX_PLUGIN_DIR_DEFAULT
	if (!hit)
		hit = try_dir(QX_PLUGIN_DIR_DEFAULT, strlen(QX_PLUGIN_DIR_DEFAULT), name, path, tried,
		              sizeof tried);
#endif
	if (hit < 0)
		return qx_fail_nomem(err, "finding a plugin");
	if (!hit) {
		char near[256];
		if (closest_plugin(name, tried, near, sizeof near))
			return qx_fail(err, QX_ENOENT, "plugin '%s': no %s.so in %s (did you mean '%s'?)",
			               label, name, tried[0] ? tried : "any plugin folder", near);
		return qx_fail(err, QX_ENOENT, "plugin '%s': no %s.so in %s (expected a built plugin: "
		               "run make, or set QX_PLUGIN_PATH)", label, name,
		               tried[0] ? tried : "any plugin folder");
	}
	return 0;
}
