/*
 * Near mode's candidate rule in the open (sheaf_banding in sheaf.h): the
 * band keys and the verification the index applies, for callers that
 * spread the index's work over processes. The engine (engine.c) runs the
 * same rule on the values it keeps; both read the floor from here.
 */
#include <math.h>
#include <string.h>

#include "common/error.h"
#include "common/params.h"
#include "near/lsh.h"
#include "near/near.h"
#include "sheaf.h"

/* The smallest count of equal values whose fraction reaches the floor,
 * computed the way the fraction is compared, so no rounding surprises. */
uint32_t sheaf__near_min_same(const sheaf_params *p)
{
    uint32_t n = p->num_hashes;
    double t = p->threshold;
    double floor_t = t - sqrt(t * (1 - t) / n);
    if (!(floor_t > 0.0)) /* the margin can take a tiny threshold below 0 */
        return 0;
    uint32_t s = (uint32_t)floor(floor_t * n);
    while (s > 0 && (double)(s - 1) / n >= floor_t)
        s--;
    while (s < n && (double)s / n < floor_t)
        s++;
    return s;
}

int sheaf_banding_init(sheaf_banding *b, const sheaf_params *in)
{
    sheaf_params params, *p = &params;
    if (!b || !in)
        return sheaf__ret(sheaf__fail(SHEAF_EINVAL, "banding: NULL argument"));
    int rc = sheaf__params_load(in, p);
    if (rc == SHEAF_OK && p->mode != SHEAF_MODE_NEAR)
        rc = sheaf__fail(SHEAF_EINVAL,
                         "banding: story mode has no signatures to band");
    if (rc != SHEAF_OK)
        return sheaf__ret(rc);
    memset(b, 0, sizeof *b);
    b->seed = p->seed;
    b->num_hashes = p->num_hashes;
    b->scheme = (uint8_t)p->scheme;
    b->shingle_kind = (uint8_t)p->shingle_kind;
    b->shingle_size = (uint8_t)p->shingle_size;
    sheaf__choose_bands(p, &b->bands, &b->rows);
    b->min_same = sheaf__near_min_same(p);
    return SHEAF_OK;
}

uint32_t sheaf_banding_bands(const sheaf_banding *b)
{
    return b ? b->bands : 0;
}

static int compatible(const sheaf_banding *b, const sheaf_signature *sig)
{
    return sig->seed == b->seed && sig->num_hashes == b->num_hashes &&
           sig->scheme == b->scheme && sig->shingle_kind == b->shingle_kind &&
           sig->shingle_size == b->shingle_size;
}

/* The values as the index keeps them: their low 16 bits. */
static void low16(const sheaf_signature *sig, uint16_t *out)
{
    for (uint32_t i = 0; i < sig->num_hashes; i++)
        out[i] = (uint16_t)sig->values[i];
}

int sheaf_banding_keys(const sheaf_banding *b, const sheaf_signature *sig,
                       uint64_t *keys, size_t cap, size_t *count)
{
    if (!b || !sig || !count || (cap && !keys))
        return sheaf__ret(sheaf__fail(SHEAF_EINVAL, "banding keys: NULL argument"));
    if (!compatible(b, sig))
        return sheaf__ret(sheaf__fail(SHEAF_EMISMATCH,
                                      "signature made with other parameters "
                                      "than the banding's"));
    size_t n = sig->num_shingles ? b->bands : 0;
    if (cap < n)
        return sheaf__ret(sheaf__fail(
            SHEAF_ERANGE, "banding keys: room for %zu keys, %zu needed", cap,
            n));
    if (n) {
        uint16_t v[SHEAF_MAX_HASHES];
        low16(sig, v);
        sheaf__lsh_keys(b->bands, b->rows, v, keys);
    }
    *count = n;
    return SHEAF_OK;
}

int sheaf_banding_verify(const sheaf_banding *b, const sheaf_signature *a,
                         const sheaf_signature *earlier, int *accepted,
                         double *similarity)
{
    if (!b || !a || !earlier || !accepted || !similarity)
        return sheaf__ret(
            sheaf__fail(SHEAF_EINVAL, "banding verify: NULL argument"));
    if (!compatible(b, a) || !compatible(b, earlier))
        return sheaf__ret(sheaf__fail(SHEAF_EMISMATCH,
                                      "signature made with other parameters "
                                      "than the banding's"));
    uint32_t n = b->num_hashes, same = 0, rows = b->rows;
    int band = 0;
    for (uint32_t i = 0; i < n; i++)
        same += (uint16_t)a->values[i] == (uint16_t)earlier->values[i];
    for (uint32_t k = 0; k < b->bands && !band; k++) {
        uint32_t i = k * rows;
        while (i < (k + 1) * rows &&
               (uint16_t)a->values[i] == (uint16_t)earlier->values[i])
            i++;
        band = i == (k + 1) * rows;
    }
    /* A text without shingles is in no band and matches nothing. */
    int shingles = a->num_shingles && earlier->num_shingles;
    *accepted = shingles && band && same >= b->min_same;
    *similarity = shingles ? (double)same / n : 0.0;
    return SHEAF_OK;
}
