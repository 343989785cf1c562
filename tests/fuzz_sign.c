/*
 * libFuzzer target for signing, the library's entry point for outside
 * text: every SIMD level the CPU has must give the scalar reference's
 * signature bit for bit, for word and character shingles, both schemes, a
 * short and the default shingle, bin counts on and off a power of two. The
 * vector kernels read ahead in blocks and windows; AddressSanitizer (the
 * build of `make fuzz`) catches any read past the text, which is copied to
 * a buffer of its exact size first.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sheaf.h"
#include "common/simd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            abort();                                                           \
    } while (0)

typedef struct shape {
    sheaf_scheme scheme;
    sheaf_shingle_kind kind;
    uint32_t k, hashes;
} shape;

static const shape shapes[] = {
    {SHEAF_SCHEME_OPH, SHEAF_SHINGLE_WORD, 5, 128},
    {SHEAF_SCHEME_OPH, SHEAF_SHINGLE_WORD, 1, 100},
    {SHEAF_SCHEME_OPH, SHEAF_SHINGLE_CHAR, 4, 64},
    {SHEAF_SCHEME_MINHASH, SHEAF_SHINGLE_WORD, 3, 40},
    {SHEAF_SCHEME_MINHASH, SHEAF_SHINGLE_CHAR, 5, 128},
};
#define NSHAPES (sizeof shapes / sizeof *shapes)

static sheaf_hasher hashers[NSHAPES];
static int ready;

static void init(void)
{
    for (size_t i = 0; i < NSHAPES; i++) {
        sheaf_params p;
        sheaf_params_init(&p);
        p.scheme = shapes[i].scheme;
        p.shingle_kind = shapes[i].kind;
        p.shingle_size = shapes[i].k;
        p.num_hashes = shapes[i].hashes;
        CHECK(sheaf_hasher_init(&hashers[i], &p) == SHEAF_OK);
    }
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sheaf_signature want, got;
    if (!ready)
        init();
    char *text = malloc(size ? size : 1);
    CHECK(text != NULL);
    if (size)
        memcpy(text, data, size);
    for (size_t i = 0; i < NSHAPES; i++) {
        CHECK(sheaf__hasher_sign_level(&hashers[i], text, size, &want,
                                       SHEAF__SIMD_SCALAR) == SHEAF_OK);
        for (int level = SHEAF__SIMD_AVX2; level < SHEAF__SIMD_LEVELS;
             level++) {
            if (!sheaf__simd_available((sheaf__simd_level)level))
                continue;
            CHECK(sheaf__hasher_sign_level(&hashers[i], text, size, &got,
                                           (sheaf__simd_level)level) ==
                  SHEAF_OK);
            CHECK(got.num_shingles == want.num_shingles);
            CHECK(memcmp(got.values, want.values,
                         want.num_hashes * sizeof want.values[0]) == 0);
        }
    }
    free(text);
    return 0;
}
