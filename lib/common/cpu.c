/*
 * Which SIMD levels this CPU (and the operating system, which must save
 * the wider registers) supports. A hasher is made for one of them
 * (sheaf_params.simd, default the best), so the choice is a parameter,
 * not state of the library.
 *
 * The build stays portable: the vector kernels are compiled for their
 * instruction sets function by function (target attributes), and nothing
 * runs them before this file has checked the CPU. Under valgrind, which
 * does not emulate AVX-512, the check reports AVX2 and the AVX2 kernels run.
 */

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

int sheaf_simd_supported(sheaf_simd level)
{
    return level == SHEAF_SIMD_AUTO ||
           ((unsigned)level <= SHEAF_SIMD_AVX512 &&
            sheaf__simd_available((sheaf__simd_level)(level - 1)));
}
