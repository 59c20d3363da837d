// -fstack-protector-strong puts a copy of __stack_chk_guard below the saved
// registers of every function with an array or an address-taken local, and
// compares it before returning; a mismatch calls __stack_chk_fail (the
// GCC/glibc ABI, with the guard as a global: riscv's default
// -mstack-protector-guard=global). The seeding functions are marked
// no_stack_protector; __stack_chk_fail is arch/riscv/hardening's, as it
// reads the failing function's frame record.
#include "kernel/hardening/stack_protector.hpp"
#include "arch/arch.hpp"
#include "kernel/arch_hooks.hpp"
#include "kernel/hardening/report.hpp"
#include "kernel/random.hpp"

// A fixed value until kernel_main seeds it: never zero, so that code run
// before the seed (no protected function runs that early, but one might)
// still has a canary.
extern "C" {
constinit uptr __stack_chk_guard = 0x5eed0fca11ab1e00ull;
}

namespace kernel::hardening {

namespace {

// As glibc does: the low byte is zero, so a string copy that runs over the
// canary stops at it and cannot reproduce it.
[[gnu::no_stack_protector]] uptr canary(u64 bits) { return uptr(bits) & ~uptr(0xff); }

[[gnu::no_stack_protector]] u64 mix(u64 z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull; // splitmix64's finaliser
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

} // namespace

[[gnu::no_stack_protector]] void stack_protector_seed_early(u64 entropy)
{
    __stack_chk_guard = canary(mix(entropy ^ arch::read_time() ^ (arch::read_instret() << 20) ^ __stack_chk_guard));
}

[[gnu::no_stack_protector]] void stack_protector_seed()
{
    u64 bits = 0;
    random_fill(&bits, sizeof bits);
    __stack_chk_guard = canary(bits ^ __stack_chk_guard);
}

} // namespace kernel::hardening

namespace kernel {

// From __stack_chk_fail (arch/riscv/hardening/stack_chk_fail.cpp).
void report_stack_smash(u64 pc, u64 fp)
{
    hardening::report_and_panic(pc, fp,
                                "stack protector: canary overwritten in the frame of #0 (a write past "
                                "the end of one of its locals)");
}

} // namespace kernel
