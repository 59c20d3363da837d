// The system-call table and dispatcher, both made from syscalls.def: the
// table holds one thunk per number (kernel/syscall/thunk.hpp decodes the
// arguments and calls the handler), and EINTR handling reads each call's
// attributes from the same list.
#include "arch/arch.hpp"
#include "kernel/mm/mm_check.hpp"
#include "kernel/printk.hpp"
#include "kernel/process/kernel_stack.hpp"
#include "kernel/process/process.hpp"
#include "kernel/syscall/dispatch.hpp"
#include "kernel/test_build.hpp"

namespace kernel {

namespace {

// Attributes of a SYSCALL line.
enum SyscallAttrs : u8 {
    none = 0,
    no_restart = 1,
    eintr_final = 2,
};

// Called only when a number is listed twice: constant evaluation of the
// table then fails at compile time.
void duplicate_syscall_number() {}

} // namespace

constexpr SyscallTable::SyscallTable()
{
    for (auto& thunk : thunks)
        thunk = syscall_entry_unknown;
#define SYSCALL(number, name, handler, family, attrs, params, note)                                               \
    static_assert(number < SYSCALL_COUNT);                                                                         \
    if (names[number])                                                                                             \
        duplicate_syscall_number();                                                                                \
    thunks[number] = syscall_entry_##handler;                                                                      \
    names[number] = #name;                                                                                         \
    if (SyscallAttrs::attrs & SyscallAttrs::no_restart)                                                            \
        restarted_without_handler_only[number / 64] |= 1ull << (number % 64);                                     \
    if (SyscallAttrs::attrs & SyscallAttrs::eintr_final)                                                           \
        never_restarted[number / 64] |= 1ull << (number % 64);
#define ALIAS(number, name, handler, family, attrs, note) SYSCALL(number, name, handler, family, attrs, (), note)
#define MISSING(number, name, note)                                                                                \
    static_assert(number < SYSCALL_COUNT);                                                                         \
    if (names[number])                                                                                             \
        duplicate_syscall_number();                                                                                \
    names[number] = #name;
#include "kernel/syscall/syscalls.def"
#undef SYSCALL
#undef ALIAS
#undef MISSING
}

constinit const SyscallTable g_syscall_table;

namespace {

// Unknown numbers are logged once each (for porting), then just -ENOSYS.
constinit u64 s_reported[SYSCALL_COUNT / 64 + 1] = {};

// Cold paths, out of line so the common path's frame stays small.
} // namespace

i64 unknown_syscall(Thread& t, u64 number)
{
    Process& p = *t.process;
    u64 slot = number < SYSCALL_COUNT ? number : SYSCALL_COUNT;
    if (!(s_reported[slot / 64] & (1ull << (slot % 64)))) {
        s_reported[slot / 64] |= 1ull << (slot % 64);
        if (const char* name = syscall_name(number))
            printk("syscall {} ({}) not implemented (pid {} {}); returning -ENOSYS\n", number, name, p.pid, p.name);
        else
            printk("syscall {} not implemented (pid {} {}); returning -ENOSYS\n", number, p.pid, p.name);
    }
    return -i64(Errno::enosys);
}

i64 syscall_entry_unknown(Thread& t, arch::TrapFrame& f) { return unknown_syscall(t, f.syscall_number()); }

// Interrupted by a signal: restart it after a handler with SA_RESTART, or
// transparently when no handler runs (a stop and SIGCONT, an ignored
// signal) -- except where signal(7) says otherwise: no_restart calls only
// when no handler runs (a relative sleep then through restart_syscall, to
// its first deadline), eintr_final calls never.
void syscall_interrupted(Thread& t, u64 number, u64 a0)
{
    const u64 bit = 1ull << (number % 64);
    const bool block = t.restart_block.armed;
    t.restart_block.armed = false;
    if (g_syscall_table.never_restarted[number / 64] & bit)
        return;
    t.set_work(Thread::WORK_RESTART_SYSCALL);
    t.syscall_a0 = a0;
    if (block)
        t.restart_kind = Thread::Restart::Block;
    else if (g_syscall_table.restarted_without_handler_only[number / 64] & bit)
        t.restart_kind = Thread::Restart::NoHandler;
    else
        t.restart_kind = Thread::Restart::Always;
}

const char* syscall_name(u64 number) { return number < SYSCALL_COUNT ? g_syscall_table.names[number] : nullptr; }

void syscall_before_handler(Thread& t, u64 number)
{
    // The profile's report: when init (the benchmark) exits.
    if ((number == u64(SyscallNumber::exit_group) || number == u64(SyscallNumber::exit)) && t.process->pid == 1)
        arch::prof::profile_dump();
}

void syscall_after_handler(Thread& t, u64 number)
{
    if constexpr (TEST_BUILD) {
        if (mm::mm_check_enabled())
            mm::mm_check_point("system call", number);
        kstack_check_after_syscall(t, number);
    }
}

} // namespace kernel
