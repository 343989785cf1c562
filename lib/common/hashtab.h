/*
 * Helpers of the library's own hash tables (band tables, story terms).
 * Internal to the library; not part of any signature format.
 */
#ifndef SHEAF_HASHTAB_H
#define SHEAF_HASHTAB_H

#include <stdint.h>

/* The splitmix64 finaliser (Steele, Lea, Flood 2014): a bijection of 64-bit
 * words in which every input bit flips every output bit about half the
 * time; two multiplies, so cheap enough to run per table probe. */
static inline uint64_t sheaf__mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ x >> 31;
}

/* A hint to load memory that will be read soon: probes of several tables
 * issued together wait for memory once rather than once each. */
#if defined(__GNUC__)
#define SHEAF__PREFETCH(p) __builtin_prefetch(p)
#else
#define SHEAF__PREFETCH(p) ((void)(p))
#endif

/* For helpers that must be compiled into their caller, where a constant
 * argument (a row count) then unrolls their loops. */
#if defined(__GNUC__)
#define SHEAF__ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define SHEAF__ALWAYS_INLINE static inline
#endif

#endif
