/*
 * Parameters: the one table of them (common/params.c) and what the rest
 * of the library needs from it. Internal.
 */
#ifndef SHEAF_COMMON_PARAMS_H
#define SHEAF_COMMON_PARAMS_H

#include "sheaf.h"

/* The caller's *in as this library's struct into *out: the fields of the
 * size it was compiled with, the defaults of its mode for the rest; then
 * validated. SHEAF_EINVAL, with the message, when either fails. */
int sheaf__params_load(const sheaf_params *in, sheaf_params *out);

/* Validation of a struct of this library's size. */
int sheaf__params_check(const sheaf_params *p);

/* Whether a and b agree on every identity parameter their mode uses; else
 * 0, with the name of the first that differs into *name. */
int sheaf__params_same_identity(const sheaf_params *a, const sheaf_params *b,
                                const char **name);

#endif
