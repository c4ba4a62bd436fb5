/* plan.json for a plugin's result: its metadata as the plan's origin; the format itself is
 * plan/plan_file.c's. */
#include "plugin/host.h"
#include "plan/plan_file.h"

int qx_plan_write_json(const struct qx_plugin_result *res, const struct qx_graph *g,
                       const char *path, struct qx_error *err)
{
	struct qx_plan_origin o = {
		.label = res->label, .path = res->path, .name = res->name, .version = res->version,
		.license = res->license, .description = res->description,
		.abi_major = res->abi_major, .abi_minor = res->abi_minor,
		.calib_images = res->calib_images, .calib_batches = res->calib_batches,
		.calibrate_s = res->calibrate_s,
	};
	return qx_plan_file_write(&o, g, &res->plan, path, err);
}
