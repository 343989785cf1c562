/* Error messages and the library's version. */
#include "sheaf.h"

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

const char *sheaf_version(void) { return SHEAF_VERSION_STRING; }

unsigned sheaf_version_number(void) { return SHEAF_VERSION_NUMBER; }
