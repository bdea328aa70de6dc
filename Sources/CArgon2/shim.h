#include <argon2.h>
#include <malloc.h>

/* Fixes glibc's mmap threshold at `bytes` (see Argon2id.keepWorkingMemoryOutOfMallocArenas).
   Returns 1 on success. */
static inline int odmcp_fix_mmap_threshold(int bytes) {
    return mallopt(M_MMAP_THRESHOLD, bytes);
}
