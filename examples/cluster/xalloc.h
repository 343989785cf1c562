/*
 * Allocation that cannot fail: out of memory, the clusterer reports it and
 * exits with status 3 (EXIT_FATAL), after the atexit handlers have removed
 * any temporary output file. Only the main thread allocates.
 */
#ifndef CLUSTER_XALLOC_H
#define CLUSTER_XALLOC_H

#include <stddef.h>

/* Exit statuses, documented in --help. */
enum {
    EXIT_OK = 0,      /* everything was clustered */
    EXIT_SKIPPED = 1, /* some input was skipped (or --strict stopped) */
    EXIT_USAGE = 2,   /* bad command line; nothing was read */
    EXIT_FATAL = 3    /* output not written: I/O error, out of memory */
};

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
/* n elements of size bytes, checked for overflow. */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);

/* Report out-of-memory and exit(EXIT_FATAL). */
void die_nomem(void);

#endif
