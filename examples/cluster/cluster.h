/* `sheaf cluster`: read, sign, cluster, write. */
#ifndef CLUSTER_CLUSTER_H
#define CLUSTER_CLUSTER_H

#include "options.h"

/* Separates an id from what makes its key unique in the index (see the
 * top of cluster.c): a key's id is what comes before it. */
#define CLUSTER_KEY_SEP '\x1F'

/* Run the clusterer as the options say; returns the exit status (EXIT_OK,
 * EXIT_SKIPPED or EXIT_FATAL, see xalloc.h). */
int cluster_run(const options *o);

#endif
