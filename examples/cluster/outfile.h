/*
 * The output file: buffered writes whose every error is caught, and, for
 * -o FILE, an atomic replace: the data goes to a temporary file beside
 * FILE, is flushed to disk, and only then renamed over FILE, so FILE is
 * either the old one or the complete new one, never a torn mix. A
 * temporary left by an error, an exit or SIGINT/SIGTERM/SIGHUP is
 * removed.
 */
#ifndef CLUSTER_OUTFILE_H
#define CLUSTER_OUTFILE_H

#include <stddef.h>

typedef struct outfile {
    int fd;
    const char *name; /* for messages: the path or "<stdout>" */
    char *target;     /* atomic mode: the file to replace */
    char *buf;
    size_t len;
    int err; /* errno of the first failed write; later writes do nothing */
} outfile;

/* Start writing to path (NULL: standard output). A path that names a
 * device or pipe (/dev/null, /dev/stdout) is written directly; anything
 * else atomically. Returns 0, or -1 after reporting why. */
int outfile_open(outfile *o, const char *path);

void outfile_write(outfile *o, const char *p, size_t n);
void outfile_puts(outfile *o, const char *s);

/* Flush, sync and (atomic mode) rename into place. Returns 0, or -1 after
 * reporting the first error, with no temporary left behind. */
int outfile_commit(outfile *o);

/* Give up: close, and remove the temporary file if any. */
void outfile_discard(outfile *o);

/* Remove the temporary file of an atomic write in progress, if any, and
 * nothing else: safe in a signal handler. */
void outfile_remove_temporary(void);

#endif
