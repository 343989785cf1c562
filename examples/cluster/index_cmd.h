/* `sheaf index`: verify or dump a stored index. */
#ifndef CLUSTER_INDEX_CMD_H
#define CLUSTER_INDEX_CMD_H

#include <stdio.h>

/* argv[0] is "index"; returns the exit status. */
int index_main(int argc, char **argv);
void index_help(FILE *f);

#endif
