/* Error codes, their messages and the detail of the last failure; the
 * library's version. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "sheaf.h"

/* Per thread, as errno is: threads sharing an index fail independently.
 * fresh: the message belongs to the failure on its way out. */
static _Thread_local char message[512];
static _Thread_local int fresh;

const char *sheaf_strerror(int code)
{
    switch (code) {
    case SHEAF_OK: return "success";
    case SHEAF_EINVAL: return "invalid argument";
    case SHEAF_ENOMEM: return "out of memory";
    case SHEAF_EMISMATCH: return "made with different parameters";
    case SHEAF_EEXIST: return "id already in the index";
    case SHEAF_ENOTFOUND: return "not found";
    case SHEAF_ERANGE: return "size or count out of range";
    case SHEAF_EIO: return "input/output error";
    case SHEAF_ECORRUPT: return "data damaged or not sheaf's";
    case SHEAF_EBUSY: return "index open for writing by another process";
    case SHEAF_EREADONLY: return "index opened read-only";
    default: return "unknown error";
    }
}

int sheaf__fail(int code, const char *fmt, ...)
{
    /* Through a copy: the arguments may include the message itself, to
     * wrap it (sheaf__detail). */
    char buf[sizeof message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    memcpy(message, buf, sizeof buf);
    fresh = 1;
    return code;
}

int sheaf__ret(int code)
{
    if (code != SHEAF_OK && !fresh)
        snprintf(message, sizeof message, "%s", sheaf_strerror(code));
    fresh = 0;
    return code;
}

const char *sheaf__detail(int code)
{
    return fresh ? message : sheaf_strerror(code);
}

const char *sheaf_errmsg(void) { return message; }

const char *sheaf_version(void) { return SHEAF_VERSION_STRING; }

unsigned sheaf_version_number(void) { return SHEAF_VERSION_NUMBER; }
