/*
 * Near mode's parts that other files of the library use. Internal.
 */
#ifndef SHEAF_NEAR_NEAR_H
#define SHEAF_NEAR_NEAR_H

#include "sheaf.h"

/* sheaf_params_choose_bands for parameters already validated. */
void sheaf__choose_bands(const sheaf_params *p, uint32_t *bands,
                         uint32_t *rows);

/* Whether sig was made with the parameters *p. */
int sheaf__signature_compatible(const sheaf_signature *sig,
                                const sheaf_params *p);

/* How many of the n values of a and b are equal. */
uint32_t sheaf__count_equal(const uint32_t *a, const uint32_t *b, uint32_t n);

/* sheaf_hasher_init and sheaf_hasher_sign for parameters already
 * validated and a hasher already checked. */
void sheaf__hasher_init(sheaf_hasher *h, const sheaf_params *p);
int sheaf__sign(const sheaf_hasher *h, const char *text, size_t len,
                sheaf_signature *out);

/* The least count of equal values (of num_hashes) with which a candidate
 * passes verification: its fraction reaches one standard error below the
 * threshold, sqrt(t (1 - t) / num_hashes), because the estimate of a pair
 * exactly at the threshold falls below it half the time. */
uint32_t sheaf__near_min_same(const sheaf_params *p);

/* The hasher of a near engine (model/engine.h). */
typedef struct sheaf__engine sheaf__engine;
const sheaf_hasher *sheaf__near_hasher(const sheaf__engine *e);

#endif
