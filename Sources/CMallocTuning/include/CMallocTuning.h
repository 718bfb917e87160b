#ifndef CMALLOC_TUNING_H
#define CMALLOC_TUNING_H

#include <stddef.h>

/// Serves allocations of at least `threshold` bytes from mappings of their own, which
/// go back to the system when freed, and stops glibc from raising that threshold
/// (which it does after the first such free, keeping later large blocks in its heaps).
void sfa_map_allocations_from(size_t threshold);

#endif
