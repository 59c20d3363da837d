// usertests: the user-mode test suite of Myriad's system calls. Runs the
// same on Myriad and, as the Linux reference, under qemu-riscv64-static;
// prints KTAP and exits 0 only if no case failed.
//
//   usertests [GROUP|GROUP.CASE[,...]]
//
// Under Myriad it can also be init (init=/bin/usertests): the kernel then
// powers off with its exit status.
#include "groups.h"
#include "harness.h"

#include <cstdio>
#include <sys/wait.h>

namespace {

std::vector<ut::Case> concat(std::initializer_list<std::vector<ut::Case>> lists)
{
    std::vector<ut::Case> all;
    for (const auto& list : lists)
        all.insert(all.end(), list.begin(), list.end());
    return all;
}

} // namespace

int main(int argc, char** argv)
{
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    ut::detect_platform(argc > 0 ? argv[0] : nullptr);

    const std::vector<ut::Group> groups = {
        // The process API: fork, exec, exit, wait, faults,
        // scheduling, and the small system calls they lean on.
        {"process", concat({fork_wait_cases(), exec_cases(), exec_bad_input_cases(), fault_cases(), sched_cases(), basic_cases()})},
        // Files, directories, descriptors, pipes and devices.
        {"files", concat({file_io_cases(), directory_cases(), descriptor_cases(), pipe_device_cases(),
                           sendfile_cases(), bad_input_cases()})},
        // Named pipes (mknod, fifo(7)) and packet-mode pipes.
        {"fifos", fifo_cases()},
        // Signals, job control, /proc and CPU accounting.
        {"signals", concat({signal_delivery_cases(), signal_mask_cases(), signal_interrupt_cases(),
                             signal_job_control_cases(), signal_cpu_cases()})},
        // Threads: pthreads and the C++ thread library, futexes, how a
        // thread group ends, signals among threads, processes started from
        // threads, the kernel's view (clone flags, /proc, CPU clocks).
        {"threads", concat({thread_basic_cases(), thread_futex_cases(), thread_lifetime_cases(),
                             thread_signal_cases(), thread_spawn_cases(), thread_kernel_cases(),
                             proc_thread_cases()})},
        // Waiting on many descriptors: poll, select, epoll, eventfd.
        {"poll", poll_cases()},
        // poll on the console, typed at by a scripted session (shell.session).
        {"poll_tty", poll_tty_cases(), true},
        // The CPUs as /proc, /sys, sysconf and sched_getcpu count them.
        {"cpus", proc_cpu_cases()},
        // The programs of the boot image, run as a user would.
        {"programs", program_cases()},
        // Address spaces: copy-on-write, mappings, protections, sharing.
        {"memory", concat({memory_cases(), memory_limit_cases()})},
        // System V shared memory: shmget, shmat, shmdt, shmctl.
        {"sysv_shm", sysv_shm_cases()},
        // What a hostile program tried: symlink loops, /proc, brk extremes,
        // address spaces shared by fork and changed by the mmap family.
        {"robustness", robustness_cases()},
        // The process API as Linux defines it, where the Linux Test Project
        // found gaps: waitid; prctl, personality, SA_RESETHAND, CPU timers,
        // clocks, limits; statfs, fsync, fallocate; /proc's mounts, sys, fd.
        {"conformance_wait", conformance_wait_cases()},
        {"conformance_control", conformance_control_cases()},
        {"conformance_files", conformance_files_cases()},
        {"conformance_proc", conformance_proc_cases()},
        // Core dumps: the ELF core file, its limits and name, WCOREDUMP.
        {"coredump", coredump_cases()},
        // Users, groups and capabilities: the set*id family, file
        // permissions, chown, kill and setpriority across users.
        {"credentials", credentials_cases()},
        // POSIX timers (timer_create...) and RLIMIT_CPU's SIGXCPU and SIGKILL.
        {"posix_timers", posix_timer_cases()},
        // Scheduling classes: sched_setscheduler and its family against
        // Linux; real-time preemption, turns and the throttle (Myriad only).
        {"sched_class", sched_class_cases()},
        // What the syscall fuzzer found beyond that (userland/fuzz).
        {"fuzz_regressions", concat({fuzz_regression_cases(), thread_fuzz_regression_cases()})},
        // More than one hart: concurrency, atomics, TLB shootdown, and
        // processes across harts (skipped where fewer harts run). Asked
        // for by name (`usertests smp`): its thread cases need threads of
        // one process running at once on several harts, which the kernel
        // does not do yet (docs/smp.md).
        {"smp", smp_cases(), true},
        // Memory comes back exactly after processes end (Myriad only).
        {"leak", leak_cases()},
        // Running out of memory (Myriad, booted with --mem 64M).
        {"oom", oom_cases(), true},
        // Deliberate failures, to test the harness (`usertests meta`).
        {"meta", meta_cases(), true},
    };
    int status = ut::run_groups(groups, argc > 1 ? argv[1] : "");

    if (ut::platform().is_init) {
        while (waitpid(-1, nullptr, WNOHANG) > 0) {
        }
    }
    return status;
}
