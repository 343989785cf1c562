/* Messages and the progress line (see diag.h). Only the main thread
 * prints, so there is no locking. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

static int progress_enabled;
static int progress_shown;

void diag_progress_clear(void)
{
    if (progress_shown) {
        /* Carriage return, then erase to the end of the line. */
        fputs("\r\033[K", stderr);
        progress_shown = 0;
    }
}

void diag(const char *fmt, ...)
{
    va_list ap;
    diag_progress_clear();
    fputs("sheaf: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void diag_progress_enable(void)
{
    progress_enabled = 1;
}

void diag_progress(const char *fmt, ...)
{
    va_list ap;
    if (!progress_enabled)
        return;
    fputs("\r\033[Ksheaf: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
    progress_shown = 1;
}
