/* Fault: exports no qx_plugin_entry (only a misspelt one). */
#define PLUGIN_NAME "no-entry"
#define FAULT_NO_ENTRY
#include "minmax_impl.h"

QX_PLUGIN_EXPORT const struct qx_plugin *qx_plugin_entry_v0(const struct qx_host *host);
QX_PLUGIN_EXPORT const struct qx_plugin *qx_plugin_entry_v0(const struct qx_host *host)
{
	(void)host;
	return &minmax_plugin;
}
