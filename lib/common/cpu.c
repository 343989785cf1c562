/*
 * The choice of SIMD level: what the CPU (and the operating system, which
 * must save the wider registers) supports, narrowed by SHEAF_SIMD.
 *
 * The build stays portable: the vector kernels are compiled for their
 * instruction sets function by function (target attributes), and nothing
 * runs them before this file has checked the CPU. Under valgrind, which
 * does not emulate AVX-512, the check reports AVX2 and the AVX2 kernels run.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/simd.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define SHEAF_X86 1
#endif

static const char *const names[SHEAF__SIMD_LEVELS] = {"scalar", "avx2",
                                                      "avx512"};

const char *sheaf__simd_name(sheaf__simd_level level)
{
    return (unsigned)level < SHEAF__SIMD_LEVELS ? names[level] : "unknown";
}

int sheaf__simd_available(sheaf__simd_level level)
{
    switch (level) {
    case SHEAF__SIMD_SCALAR:
        return 1;
#ifdef SHEAF_X86
    /* __builtin_cpu_supports checks XCR0 as well as CPUID, so a feature
     * the kernel does not save across context switches reads as absent. */
    case SHEAF__SIMD_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") &&
               __builtin_cpu_supports("popcnt") &&
               __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
    case SHEAF__SIMD_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("popcnt") &&
               __builtin_cpu_supports("bmi") &&
               __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512vbmi") &&
               __builtin_cpu_supports("avx512vbmi2");
#endif
    default:
        return 0;
    }
}

/* The kernels of a level known to be available. */
static const sheaf__kernels *kernels_of(sheaf__simd_level level)
{
#ifdef SHEAF_X86
    if (level == SHEAF__SIMD_AVX512)
        return &sheaf__kernels_avx512;
    if (level == SHEAF__SIMD_AVX2)
        return &sheaf__kernels_avx2;
#endif
    (void)level;
    return NULL;
}

const sheaf__kernels *sheaf__simd_kernels(sheaf__simd_level level)
{
    return sheaf__simd_available(level) ? kernels_of(level) : NULL;
}

static sheaf__simd_level best(void)
{
    sheaf__simd_level l = SHEAF__SIMD_AVX512;
    while (l > SHEAF__SIMD_SCALAR && !sheaf__simd_available(l))
        l = (sheaf__simd_level)(l - 1);
    return l;
}

/* The level for SHEAF_SIMD, and into *complaint a warning to print, or
 * NULL. Pure apart from reading the environment, so racing threads agree. */
static sheaf__simd_level decide(const char **complaint, const char **requested)
{
    const char *want = getenv("SHEAF_SIMD");
    sheaf__simd_level top = best();

    *complaint = NULL;
    *requested = want;
    if (!want || !*want)
        return top;
    for (int l = 0; l < SHEAF__SIMD_LEVELS; l++) {
        if (strcmp(want, names[l]) != 0)
            continue;
        if (sheaf__simd_available((sheaf__simd_level)l))
            return (sheaf__simd_level)l;
        *complaint = "this CPU lacks it";
        return top;
    }
    *complaint = "unknown (scalar, avx2 or avx512)";
    return top;
}

/* -1 until chosen. Threads that race on first use each decide (the same
 * way); one wins the exchange and alone prints the warning. */
static atomic_int chosen = -1;

sheaf__simd_level sheaf__simd_level_get(void)
{
    int l = atomic_load_explicit(&chosen, memory_order_relaxed);
    if (l >= 0)
        return (sheaf__simd_level)l;

    const char *complaint, *requested;
    int mine = (int)decide(&complaint, &requested), expected = -1;
    if (!atomic_compare_exchange_strong(&chosen, &expected, mine))
        return (sheaf__simd_level)expected;
    if (complaint)
        fprintf(stderr, "sheaf: SHEAF_SIMD=%s: %s; using %s\n", requested,
                complaint, names[mine]);
    return (sheaf__simd_level)mine;
}

const sheaf__kernels *sheaf__simd_active(void)
{
    return kernels_of(sheaf__simd_level_get());
}
