// The case lists, one function per file; usertests.cpp puts them into
// groups in a fixed order.
#pragma once

#include "harness.h"

#include <vector>

std::vector<ut::Case> fork_wait_cases();  // fork_wait_tests.cpp
std::vector<ut::Case> exec_cases();       // exec_tests.cpp
std::vector<ut::Case> exec_bad_input_cases(); // exec_tests_bad.cpp
std::vector<ut::Case> fault_cases();      // fault_tests.cpp
std::vector<ut::Case> sched_cases();      // sched_tests.cpp
std::vector<ut::Case> basic_cases();      // basic_tests.cpp
std::vector<ut::Case> program_cases();    // program_tests.cpp
std::vector<ut::Case> leak_cases();       // leak_tests.cpp
std::vector<ut::Case> memory_cases();     // memory_tests.cpp
void mlock_family(ut::Test&);             // memory_tests_lock.cpp, a case of memory_cases()
std::vector<ut::Case> memory_limit_cases(); // memory_tests_limits.cpp, in the memory group
std::vector<ut::Case> sysv_shm_cases();     // memory_tests_limits.cpp
std::vector<ut::Case> oom_cases();        // leak_tests.cpp
std::vector<ut::Case> meta_cases();       // meta_tests.cpp
std::vector<ut::Case> file_io_cases();    // files_tests.cpp
std::vector<ut::Case> directory_cases();  // files_tests_dirs.cpp
std::vector<ut::Case> descriptor_cases(); // files_tests_fds.cpp
std::vector<ut::Case> pipe_device_cases(); // files_tests_pipes.cpp
std::vector<ut::Case> sendfile_cases();    // files_tests_sendfile.cpp
std::vector<ut::Case> fifo_cases();       // fifo_tests.cpp
std::vector<ut::Case> bad_input_cases();  // files_tests_errors.cpp
std::vector<ut::Case> signal_delivery_cases(); // signal_tests.cpp
std::vector<ut::Case> signal_mask_cases();     // signal_tests_masks.cpp
std::vector<ut::Case> signal_interrupt_cases(); // signal_tests_eintr.cpp
std::vector<ut::Case> signal_job_control_cases(); // signal_tests_jobs.cpp
std::vector<ut::Case> signal_cpu_cases();      // signal_tests_cpu.cpp
std::vector<ut::Case> thread_basic_cases();    // thread_tests.cpp
std::vector<ut::Case> thread_futex_cases();    // thread_tests_futex.cpp
std::vector<ut::Case> thread_lifetime_cases(); // thread_tests_lifetime.cpp
std::vector<ut::Case> thread_signal_cases();   // thread_tests_signals.cpp
std::vector<ut::Case> thread_spawn_cases();    // thread_tests_spawn.cpp
std::vector<ut::Case> thread_kernel_cases();   // thread_tests_kernel.cpp
std::vector<ut::Case> proc_thread_cases();     // proc_thread_tests.cpp
std::vector<ut::Case> proc_cpu_cases();        // proc_cpu_tests.cpp
std::vector<ut::Case> robustness_cases();      // robustness_tests.cpp
std::vector<ut::Case> fuzz_regression_cases(); // fuzz_regressions.cpp
std::vector<ut::Case> thread_fuzz_regression_cases(); // thread_fuzz_regressions.cpp
std::vector<ut::Case> conformance_wait_cases();    // conformance_process.cpp
std::vector<ut::Case> conformance_control_cases(); // conformance_process.cpp
std::vector<ut::Case> conformance_files_cases();   // conformance_files.cpp
std::vector<ut::Case> conformance_proc_cases();    // conformance_files.cpp
std::vector<ut::Case> poll_cases();             // poll_tests.cpp
std::vector<ut::Case> poll_tty_cases();         // poll_tests_tty.cpp
std::vector<ut::Case> coredump_cases();        // coredump_tests.cpp
std::vector<ut::Case> credentials_cases();     // credentials_tests.cpp
std::vector<ut::Case> posix_timer_cases();     // posix_timer_tests.cpp
std::vector<ut::Case> sched_class_cases();     // sched_class_tests.cpp
std::vector<ut::Case> smp_cases();             // smp_tests.cpp, smp_tests_processes.cpp
