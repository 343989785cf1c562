/* Signature helpers shared by the index. */
#ifndef SHEAF_SIGNATURE_INTERNAL_H
#define SHEAF_SIGNATURE_INTERNAL_H

#include "sheaf.h"

/* Whether sig was made with the parameters *p. */
int sheaf__signature_compatible(const sheaf_signature *sig,
                                const sheaf_params *p);

/* How many of the n values of a and b are equal. */
uint32_t sheaf__count_equal(const uint32_t *a, const uint32_t *b, uint32_t n);

#endif
