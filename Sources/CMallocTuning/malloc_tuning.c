#include "CMallocTuning.h"

#include <limits.h>
#include <malloc.h>

void sfa_map_allocations_from(size_t threshold) {
    // Setting the threshold explicitly also turns glibc's dynamic adjustment off.
    mallopt(M_MMAP_THRESHOLD, threshold > INT_MAX ? INT_MAX : (int)threshold);
}
