// A user program that misbehaves dies of the right signal and takes
// nothing else with it; bad pointers and numbers handed to system calls
// get an error, never a crash (of the caller or of the kernel).
#include "groups.h"
#include "harness.h"

#include <csignal>
#include <ctime>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace ut;

// The start of the Sv39 upper half, where Myriad's kernel lives.
const auto k_kernel_address = reinterpret_cast<volatile int*>(0xffffffc000000000UL);


void kernel_address_sigsegv(Test& t)
{
    EXPECT_DEATH(SIGSEGV, (void)*k_kernel_address);
    EXPECT_DEATH(SIGSEGV, *k_kernel_address = 1);
    EXPECT_DEATH(SIGSEGV, reinterpret_cast<void (*)()>(const_cast<int*>(k_kernel_address))());
    EXPECT_DEATH(SIGSEGV, (void)*reinterpret_cast<volatile int*>(0xffffffff80000000UL)); // top 2 GiB
    EXPECT_EQ(getpid(), getpid()); // and we are still here
}

void null_pointer_sigsegv(Test& t)
{
    volatile int* null = nullptr;
    EXPECT_DEATH(SIGSEGV, (void)*null);
    EXPECT_DEATH(SIGSEGV, *null = 1);
    EXPECT_DEATH(SIGSEGV, reinterpret_cast<void (*)()>(const_cast<int*>(null))());
}

void illegal_instruction_sigill(Test& t)
{
    // An all-zero parcel is defined to be illegal (unprivileged spec,
    // "Base Instruction-Length Encoding"); unimp is csrrw x0, cycle, x0
    // which writes a read-only CSR.
    EXPECT_DEATH(SIGILL, asm volatile(".4byte 0"));
    EXPECT_DEATH(SIGILL, asm volatile("unimp"));
}

void privileged_instruction_sigill(Test& t)
{
    // Supervisor CSRs and instructions are illegal in U-mode (privileged
    // spec 2.1 "CSR Address Mapping Conventions", 3.3.2 for sret).
    EXPECT_DEATH(SIGILL, unsigned long v; asm volatile("csrr %0, sstatus" : "=r"(v)));
    EXPECT_DEATH(SIGILL, asm volatile("csrw stvec, zero"));
    EXPECT_DEATH(SIGILL, asm volatile("sret"));
}

void ebreak_sigtrap(Test& t) { EXPECT_DEATH(SIGTRAP, asm volatile("ebreak")); }

void write_to_text_sigsegv(Test& t)
{
    // Text is mapped read-execute: a store to it faults.
    auto* code = reinterpret_cast<volatile unsigned char*>(&write_to_text_sigsegv);
    EXPECT_DEATH(SIGSEGV, code[0] = 0);
}

alignas(16) unsigned char g_data_as_code[16];

void execute_data_sigsegv(Test& t)
{
    // Data is mapped without execute permission.
    auto* data = g_data_as_code;
    EXPECT_DEATH(SIGSEGV, reinterpret_cast<void (*)()>(data)());
}

void parent_survives_child_crash(Test& t)
{
    // After a child crashed, the parent (its memory, its other children)
    // is untouched.
    pid_t sibling = spawn([] {
        sleep_seconds(0.1);
        return 5;
    });
    ASSERT(sibling > 0);
    volatile int value = 1234;
    EXPECT_DEATH(SIGSEGV, (void)*k_kernel_address);
    EXPECT_EQ(value, 1234);
    int status = wait_for(sibling);
    EXPECT_EQ(describe_status(status), "exited with status 5");
}

void bad_pointers_efault(Test& t)
{
    auto* bad = reinterpret_cast<void*>(1);
    auto* kernel = const_cast<int*>(k_kernel_address);
    // Raw system calls (syscall(2)), so glibc cannot hide the answer.
    EXPECT_ERRNO(syscall(SYS_write, 1, bad, 10), EFAULT);
    EXPECT_ERRNO(syscall(SYS_write, 1, kernel, 10), EFAULT); // must not print kernel memory
    EXPECT_EQ(syscall(SYS_write, 1, bad, 0), 0L);            // nothing to copy, nothing to check
    EXPECT_ERRNO(syscall(SYS_uname, bad), EFAULT);
    EXPECT_ERRNO(syscall(SYS_uname, kernel), EFAULT);
    EXPECT_ERRNO(syscall(SYS_sysinfo, bad), EFAULT);
    EXPECT_ERRNO(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, bad), EFAULT);
    EXPECT_ERRNO(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, kernel), EFAULT);
    EXPECT_ERRNO(syscall(SYS_execve, bad, nullptr, nullptr), EFAULT);

    // wait4 to a bad status address: EFAULT. As on Linux, the child has
    // been reaped by then (kernel/exit.c kernel_wait4 copies the status
    // out after the reap), so a second wait4 finds nothing.
    pid_t pid = spawn([] { return 3; });
    ASSERT(pid > 0);
    sleep_seconds(0.05);
    EXPECT_ERRNO(syscall(SYS_wait4, -1, bad, 0, nullptr), EFAULT);
    int status = 0;
    EXPECT_ERRNO(syscall(SYS_wait4, -1, &status, WNOHANG, nullptr), ECHILD);

    pid = spawn([] { return 4; });
    ASSERT(pid > 0);
    EXPECT_ERRNO(syscall(SYS_wait4, pid, kernel, 0, nullptr), EFAULT);
    pid = spawn([] { return 5; });
    ASSERT(pid > 0);
    EXPECT_ERRNO(syscall(SYS_wait4, pid, &status, 0, bad), EFAULT); // rusage
    EXPECT_ERRNO(syscall(SYS_wait4, -1, &status, WNOHANG, nullptr), ECHILD);
}

void unknown_syscall_enosys(Test& t)
{
    EXPECT_ERRNO(syscall(4000), ENOSYS);
    EXPECT_ERRNO(syscall(1L << 40), ENOSYS);
    EXPECT_ERRNO(syscall(-1L), ENOSYS);
    EXPECT_ERRNO(syscall(999), ENOSYS); // past the last Linux system call (~460)
}

} // namespace

std::vector<ut::Case> fault_cases()
{
    return {
        {"kernel_address_sigsegv", kernel_address_sigsegv},
        {"null_pointer_sigsegv", null_pointer_sigsegv},
        {"illegal_instruction_sigill", illegal_instruction_sigill},
        {"privileged_instruction_sigill", privileged_instruction_sigill},
        {"ebreak_sigtrap", ebreak_sigtrap},
        {"write_to_text_sigsegv", write_to_text_sigsegv},
        {"execute_data_sigsegv", execute_data_sigsegv},
        {"parent_survives_child_crash", parent_survives_child_crash},
        {"bad_pointers_efault", bad_pointers_efault},
        {"unknown_syscall_enosys", unknown_syscall_enosys},
    };
}
