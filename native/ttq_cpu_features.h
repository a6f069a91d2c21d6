// CPU feature detection for runtime dispatch. Checks both CPUID and the register state the OS
// enabled (XGETBV): a CPU may report AVX-512 while the kernel does not save zmm registers.
#pragma once
#include <cpuid.h>
#include <stdint.h>

#define TTQ_CPU_AVX2        (1 << 0)
#define TTQ_CPU_FMA         (1 << 1)
#define TTQ_CPU_AVX512F     (1 << 2)
#define TTQ_CPU_AVX512BW    (1 << 3)
#define TTQ_CPU_AVX512VL    (1 << 4)
#define TTQ_CPU_AVX512VNNI  (1 << 5)
#define TTQ_CPU_AVXVNNI     (1 << 6)
#define TTQ_CPU_F16C        (1 << 7)
#define TTQ_CPU_OS_AVX      (1 << 8)
#define TTQ_CPU_OS_AVX512   (1 << 9)

static inline uint64_t ttq_xgetbv0() {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

// Returns the TTQ_CPU_* bits usable on this machine (CPU supports it AND the OS enabled its state).
static inline int ttq_cpu_features() {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int f = 0;
    bool osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1;
    bool os_avx = false, os_avx512 = false;
    if (osxsave) {
        uint64_t xcr0 = ttq_xgetbv0();
        os_avx = (xcr0 & 0x6) == 0x6;               // XMM + YMM state
        os_avx512 = os_avx && (xcr0 & 0xE0) == 0xE0; // opmask + ZMM_Hi256 + Hi16_ZMM
    }
    if (!(avx && os_avx)) return 0;
    f |= TTQ_CPU_OS_AVX;
    if (fma) f |= TTQ_CPU_FMA;
    if (f16c) f |= TTQ_CPU_F16C;
    unsigned int maxLeaf = __get_cpuid_max(0, 0);
    if (maxLeaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        if ((b >> 5) & 1) f |= TTQ_CPU_AVX2;
        if (os_avx512) {
            f |= TTQ_CPU_OS_AVX512;
            if ((b >> 16) & 1) f |= TTQ_CPU_AVX512F;
            if ((b >> 30) & 1) f |= TTQ_CPU_AVX512BW;
            if ((b >> 31) & 1) f |= TTQ_CPU_AVX512VL;
            if ((c >> 11) & 1) f |= TTQ_CPU_AVX512VNNI;
        }
        __cpuid_count(7, 1, a, b, c, d);
        if ((a >> 4) & 1) f |= TTQ_CPU_AVXVNNI;
    }
    return f;
}
