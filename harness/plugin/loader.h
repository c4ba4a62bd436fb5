/* Loads a plugin .so and checks its vtable against the ABI rules of include/qx/plugin.h. */
#ifndef QX_PLUGIN_LOADER_H
#define QX_PLUGIN_LOADER_H

#include <stdint.h>

#include "qx/plugin.h"
#include "util/error.h"

struct qx_plugin_lib {
	void *dl;                       /* dlopen handle */
	const struct qx_plugin *raw;    /* the plugin's own vtable */
	struct qx_plugin vt;            /* a copy of its first struct_size bytes, rest zeroed */
};

/* The size struct qx_plugin has in ABI QX_ABI_MAJOR.minor, or 0 for a minor this host does not
 * know. A plugin must declare exactly the size of its minor. */
uint32_t qx_plugin_struct_size_for_minor(uint32_t minor);

/* dlopen(path), dlsym(QX_PLUGIN_ENTRY_SYMBOL), calls the entry with host, checks the version,
 * struct_size, metadata and callbacks. Messages (without the plugin's name, which the caller
 * adds) say what is wrong and what was expected, e.g.
 *     built for plugin ABI 2.0 (expected ABI 1.x with x <= 0: this qx-bench has ABI 1.0)
 * Reads nothing of the vtable past its struct_size. On failure the library is closed. */
int qx_plugin_load(const char *path, const struct qx_host *host, struct qx_plugin_lib *lib,
                   struct qx_error *err);

/* dlclose. */
void qx_plugin_unload(struct qx_plugin_lib *lib);

#endif
