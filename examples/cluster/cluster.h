/* `sheaf cluster`: read, sign, cluster, write. */
#ifndef CLUSTER_CLUSTER_H
#define CLUSTER_CLUSTER_H

#include "options.h"

/* Run the clusterer as the options say; returns the exit status (EXIT_OK,
 * EXIT_SKIPPED or EXIT_FATAL, see xalloc.h). */
int cluster_run(const options *o);

/* Why id[0..len) cannot be an id (invalid UTF-8, a control character, an
 * unpaired surrogate escape, empty), worded into buf[0..n); NULL when it
 * can. from_path: the id is the file's name. Shared with sheaf-mpi. */
const char *id_problem(const char *id, size_t len, unsigned surrogate,
                       int from_path, char *buf, size_t n);

#endif
