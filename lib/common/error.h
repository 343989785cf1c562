/*
 * Errors with detail. Internal to the library.
 *
 * A failing function returns a SHEAF_E* code; the words that sheaf_errmsg
 * gives for it are set where the failure is understood best (the path and
 * errno at the store, the parameter and its range in validation), by
 * sheaf__fail. Public functions return through sheaf__ret, which supplies
 * sheaf_strerror's text when nothing deeper said more. Internal code calls
 * internal functions, never public ones, so a message set deep down is not
 * overwritten on the way out.
 */
#ifndef SHEAF_COMMON_ERROR_H
#define SHEAF_COMMON_ERROR_H

#if defined(__GNUC__)
#define SHEAF__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SHEAF__PRINTF(f, a)
#endif

/* Record the message of a failure with code (printf-style); returns code. */
int sheaf__fail(int code, const char *fmt, ...) SHEAF__PRINTF(2, 3);

/* The message of the failure on its way out with code: what sheaf__fail
 * said, else sheaf_strerror's text. To wrap it in more context. */
const char *sheaf__detail(int code);

/* code, after making sure a failure has a message. */
int sheaf__ret(int code);

#endif
