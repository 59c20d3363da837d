// Frame-pointer backtraces. With -fno-omit-frame-pointer, GCC's RISC-V
// frame record sits just below the frame pointer: the return address at
// fp-8 and the caller's fp at fp-16.
#include "arch/riscv/backtrace.hpp"
#include "arch/riscv/ex_table.hpp"
#include "arch/riscv/memory_layout.hpp"
#include "kernel/arch_hooks.hpp"

extern "C" const u64 ksyms_count;
extern "C" const u64 ksyms_addresses[];
extern "C" const u32 ksyms_name_offsets[];
extern "C" const char ksyms_names[];
extern "C" char __text_start[], __text_end[];

namespace arch::riscv {

Symbol symbolize(u64 pc)
{
    if (pc < u64(__text_start) || pc >= u64(__text_end) || ksyms_count == 0 || pc < ksyms_addresses[0])
        return {nullptr, 0};
    u64 lo = 0, hi = ksyms_count; // find the last address <= pc
    while (hi - lo > 1) {
        u64 mid = (lo + hi) / 2;
        if (ksyms_addresses[mid] <= pc)
            lo = mid;
        else
            hi = mid;
    }
    return {ksyms_names + ksyms_name_offsets[lo], pc - ksyms_addresses[lo]};
}

static void print_frame(unsigned index, u64 pc)
{
    Symbol s = symbolize(pc);
    if (s.name)
        kernel::panic_print("  #{} {:#018x} {}+{:#x}\n", index, pc, s.name, s.offset);
    else
        kernel::panic_print("  #{} {:#018x} ?\n", index, pc);
}

static void walk(unsigned first_index, u64 fp, u64 skip_ra)
{
    for (unsigned i = first_index; i < 32; ++i) {
        if (fp < KERNEL_VIRT_BASE && fp < DIRECT_MAP_BASE)
            break;
        if (fp % 8 != 0)
            break;
        u64 ra, next_fp;
        if (!probe_read_u64(reinterpret_cast<const u64*>(fp - 8), &ra) ||
            !probe_read_u64(reinterpret_cast<const u64*>(fp - 16), &next_fp))
            break;
        if (ra == 0)
            break;
        if (ra == skip_ra && i == first_index) {
            --i; // already printed from the ra register
        } else {
            print_frame(i, ra);
        }
        if (next_fp <= fp) // stacks grow down: callers' frames are higher
            break;
        fp = next_fp;
    }
}

void print_backtrace(u64 pc, u64 fp)
{
    print_frame(0, pc);
    // Callers pass their own return address and frame: the first record
    // walked holds that same address, already printed.
    walk(1, fp, pc);
}

void print_trap_backtrace(u64 pc, u64 ra, u64 fp)
{
    print_frame(0, pc);
    Symbol at = symbolize(pc), caller = symbolize(ra);
    if (caller.name && caller.name != at.name) {
        print_frame(1, ra);
        walk(2, fp, ra);
    } else {
        walk(1, fp, 0);
    }
}

} // namespace arch::riscv

namespace arch {
void print_backtrace(u64 pc, u64 fp) { riscv::print_backtrace(pc, fp); }
} // namespace arch
