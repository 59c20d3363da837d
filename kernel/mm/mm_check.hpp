// The memory invariant checker: a walk over address spaces that verifies
// what copy-on-write fork, the page cache and the mmap family must keep
// true (docs/robustness.md, "Memory invariants"):
//  - every present user PTE is a user leaf inside one of the space's
//    regions, allowed by the region's protection, and points at a page
//    that is allocated;
//  - a leaf table's reference count equals the number of level-1 entries
//    (over all the spaces checked) that point at it;
//  - an anonymous page's reference count equals the number of distinct
//    leaf tables mapping it (a page-cache page may hold one more: the
//    cache's);
//  - a writable PTE in a private region is the only mapping of its page,
//    in a table no other space shares; a table marked all-copy-on-write
//    has no writable private entry;
//  - each space's resident counts (anon, file, shmem) match its PTEs.
// Booted with mm_check=1 it runs after every system call and every user
// page fault and panics on the first violation; the ktests call it
// directly, also on states broken on purpose.
#pragma once

#include "lib/types.hpp"

namespace lib {
class CommandLine;
}

namespace kernel::mm {

class AddressSpace;

struct MmCheckResult {
    u64 violations = 0;
    u64 spaces = 0, tables = 0, pages = 0; // distinct leaf tables and mapped pages seen
};

// Checks these spaces together: sharing between them is accounted for, so
// pass every space that exists (or a closed set, as the ktests do).
// Violations are printed (the first few in full) when `report` is set.
MmCheckResult mm_check(AddressSpace* const* spaces, usize count, bool report);
// Every process's space.
MmCheckResult mm_check_all(bool report);

void mm_check_init(const lib::CommandLine&);
bool mm_check_enabled();
// After a system call or a page fault (mm_check=1): the whole check, and a
// panic with the violations printed when one is found.
void mm_check_point(const char* after, u64 what);

} // namespace kernel::mm
