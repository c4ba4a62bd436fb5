/* dlopen, the entry point, and the ABI checks (GStreamer / LV2 style: refuse another major or a
 * newer minor; never read past the plugin's struct_size). */
#include "plugin/loader.h"

#include "plugin/decl.h"

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

uint32_t qx_plugin_struct_size_for_minor(uint32_t minor)
{
	/* One line per minor, each the offset just past the last field that minor added. */
	static const uint32_t sizes[] = {
		[0] = (uint32_t)offsetof(struct qx_plugin, option_decls),
		[1] = (uint32_t)offsetof(struct qx_plugin, option_decls), /* a view field only */
		[2] = (uint32_t)sizeof(struct qx_plugin), /* option_decls, n_option_decls */
		[3] = (uint32_t)sizeof(struct qx_plugin), /* struct qx_plan fields only */
	};
	return minor < sizeof sizes / sizeof sizes[0] ? sizes[minor] : 0;
}

static int check_text(const char *what, const char *s, struct qx_error *err)
{
	if (!s || !*s)
		return qx_fail(err, QX_EPLUGIN, "metadata '%s' is %s (expected a non-empty string)",
		               what, s ? "empty" : "NULL");
	return 0;
}

static int check_vtable(const struct qx_plugin *vt, struct qx_error *err)
{
	int rc = check_text("name", vt->name, err);
	if (!rc)
		rc = check_text("version", vt->version, err);
	if (!rc)
		rc = check_text("license", vt->license, err);
	if (!rc)
		rc = check_text("description", vt->description, err);
	if (rc)
		return rc;
	const char *missing = !vt->create ? "create" : !vt->prepare ? "prepare"
	                    : !vt->calibrate ? "calibrate" : !vt->convert ? "convert"
	                    : !vt->destroy ? "destroy" : NULL;
	if (missing)
		return qx_fail(err, QX_EPLUGIN, "callback '%s' is NULL (expected every callback of "
		               "struct qx_plugin)", missing);
	return qx_option_decls_check(vt->option_decls, vt->n_option_decls, err);
}

static int load(const char *path, const struct qx_host *host, struct qx_plugin_lib *lib,
                struct qx_error *err)
{
	dlerror();
	lib->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib->dl) {
		const char *why = dlerror();
		return qx_fail(err, QX_EPLUGIN, "cannot load: %s", why ? why : "dlopen failed");
	}
	dlerror();
	void *sym = dlsym(lib->dl, QX_PLUGIN_ENTRY_SYMBOL);
	const char *why = dlerror();
	if (why || !sym)
		return qx_fail(err, QX_EPLUGIN, "no entry point: %s (expected the plugin to define "
		               "it with QX_PLUGIN_ENTRY)", why ? why : QX_PLUGIN_ENTRY_SYMBOL " is NULL");
	qx_plugin_entry_fn entry;
	memcpy(&entry, &sym, sizeof entry); /* object to function pointer, as POSIX allows */
	const struct qx_plugin *raw = entry(host);
	if (!raw)
		return qx_fail(err, QX_EPLUGIN, "its entry point returned no plugin");
	lib->raw = raw;
	/* abi_major, abi_minor and struct_size are the three fields every version has. */
	if (raw->abi_major != QX_ABI_MAJOR || raw->abi_minor > QX_ABI_MINOR)
		return qx_fail(err, QX_EPLUGIN, "built for plugin ABI %u.%u (expected ABI %d.x with "
		               "x <= %d: this qx-bench has ABI %d.%d)", raw->abi_major,
		               raw->abi_minor, QX_ABI_MAJOR, QX_ABI_MINOR, QX_ABI_MAJOR,
		               QX_ABI_MINOR);
	uint32_t want = qx_plugin_struct_size_for_minor(raw->abi_minor);
	if (raw->struct_size != want)
		return qx_fail(err, QX_EPLUGIN, "struct qx_plugin has struct_size %u (expected %u for "
		               "ABI %u.%u)", raw->struct_size, want, raw->abi_major, raw->abi_minor);
	memset(&lib->vt, 0, sizeof lib->vt);
	memcpy(&lib->vt, raw, raw->struct_size < sizeof lib->vt ? raw->struct_size
	                                                         : sizeof lib->vt);
	return check_vtable(&lib->vt, err);
}

int qx_plugin_load(const char *path, const struct qx_host *host, struct qx_plugin_lib *lib,
                   struct qx_error *err)
{
	memset(lib, 0, sizeof *lib);
	int rc = load(path, host, lib, err);
	if (rc)
		qx_plugin_unload(lib);
	return rc;
}

void qx_plugin_unload(struct qx_plugin_lib *lib)
{
	if (lib->dl)
		dlclose(lib->dl);
	memset(lib, 0, sizeof *lib);
}
