#include "util/exit_status.h"

#include "util/error.h"

int qx_exit_status(int err_code)
{
	switch (err_code) {
	case QX_OK: return QX_EXIT_OK;
	case QX_EINVAL:
	case QX_ENOENT:
	case QX_EUNSUPPORTED: return QX_EXIT_USAGE;
	case QX_EPLUGIN: return QX_EXIT_FAILURES;
	case QX_EINTERRUPTED: return QX_EXIT_INTERRUPTED;
	default: return QX_EXIT_INTERNAL;
	}
}
