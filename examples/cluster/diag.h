/*
 * Messages on standard error, compiler style ("sheaf: FILE:LINE: what"),
 * and the progress line they must not collide with.
 */
#ifndef CLUSTER_DIAG_H
#define CLUSTER_DIAG_H

#if defined(__GNUC__)
#define DIAG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DIAG_PRINTF(f, a)
#endif

/* Print "sheaf: " and the formatted message on a line of its own, erasing
 * the progress line first when one is shown. */
void diag(const char *fmt, ...) DIAG_PRINTF(1, 2);

/* Allow the progress line (call when standard error is a terminal and the
 * user did not ask for quiet). */
void diag_progress_enable(void);

/* Replace the progress line with the formatted text; no-op when not
 * enabled. */
void diag_progress(const char *fmt, ...) DIAG_PRINTF(1, 2);

/* Erase the progress line, if one is shown. */
void diag_progress_clear(void);

#endif
