/* `qx-bench compare OLD NEW` and `qx-bench history DIR`: nightly tracking of results.json
 * files (docs/nightly.md is the user's guide).
 *
 * Both take the subcommand's arguments with argv[0] being the subcommand name (as main.c
 * passes argc - 1, argv + 1), print their report on stdout and one-line errors on stderr
 * ("qx-bench: ..."), and return an exit status (util/exit_status.h: QX_EXIT_OK,
 * QX_EXIT_REGRESSION, QX_EXIT_USAGE, QX_EXIT_INCOMPARABLE). */
#ifndef QX_COMPARE_COMPARE_H
#define QX_COMPARE_COMPARE_H

#include "util/exit_status.h"

/* qx-bench compare [--threshold PCT] [--alpha P] [--min-rounds N] [--force]
 *                  [--json FILE] [--ids N] OLD NEW
 * OLD and NEW are results.json files or run folders holding one. */
int qx_compare_main(int argc, char **argv);

/* qx-bench history [options] DIR (compare/history.h; options in its --help)
 * DIR is results/<suite>/: every run folder in it with a results.json, in time order. Exit 0,
 * 2 when DIR cannot be read, an option is wrong or a filter matches nothing, 3 when it holds
 * no readable run. */
int qx_history_main(int argc, char **argv);

#endif
