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

/* msg with every control byte (C0, DEL) written as \xHH: file names and
 * ids come from outside, and an ESC sequence in one must not reach the
 * terminal. A backslash stays as it is. */
static void put_escaped(const char *msg)
{
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            fprintf(stderr, "\\x%02X", *p);
        else
            fputc(*p, stderr);
}

void diag(const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    diag_progress_clear();
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fputs("sheaf: ", stderr);
    put_escaped(msg);
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
