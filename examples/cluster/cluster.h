/* `sheaf cluster`: read, sign, cluster, write. */
#ifndef CLUSTER_CLUSTER_H
#define CLUSTER_CLUSTER_H

#include "options.h"

/* Run the clusterer as the options say; returns the exit status (EXIT_OK,
 * EXIT_SKIPPED or EXIT_FATAL, see xalloc.h). */
int cluster_run(const options *o);

#endif
