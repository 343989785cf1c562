/*
 * Stopping a run gracefully on SIGINT, SIGTERM and SIGHUP: a run that adds
 * to a stored index commits what it has added and writes its lines before
 * it ends, so the index and the output agree on how far it got.
 */
#ifndef CLUSTER_INTERRUPT_H
#define CLUSTER_INTERRUPT_H

#include <pthread.h>
#include <sys/types.h>

/* Catch the three signals (those not ignored when sheaf started, which stay
 * ignored): the first is only noted, for interrupt_signal to report; a
 * second ends the process at once as the signal would, after removing the
 * output's temporary file. Replaces the handlers outfile_open installs, so
 * call it after that. */
void interrupt_catch(void);

/* The first signal caught, or 0. Cheap enough to ask per record. */
int interrupt_signal(void);

/* End the process by the signal caught, as if it had not been caught, so
 * that the shell and the calling script see how it ended. */
void interrupt_reraise(void);

/* read(2), retried when a signal interrupts it, except that once a signal
 * has been caught it fails with EINTR rather than wait for input that may
 * never come (a pipe whose writer stalls): the run can stop. */
ssize_t interrupt_read(int fd, void *buf, size_t n);

/* pthread_create for a helper thread that never takes the three signals, so
 * they interrupt the main thread's blocking reads instead. */
int interrupt_thread_create(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
