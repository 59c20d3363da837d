// Threads in the fuzzer.
//
// A thread storm (one worker step in 120, on average): the worker starts
// 2..6 pthreads (128 KiB stacks of their own) that make random calls from
// the table concurrently with it, sharing its descriptors, memory and
// signal handlers, plus thread chaos: futex waits, wakes, requeues and
// wake-ops on a few shared words (private and MAP_SHARED), tgkill between
// the threads, pthread_cancel, close() of a pipe another thread is blocked
// reading, munmap/mprotect/mremap of a mapping the others pass to the
// kernel, CPU affinity, per-thread masks, garbage robust lists, vfork +
// _exit/exec, clone/clone3 with thread flags (in a throwaway child), and
// thread group children (below). Then the worker joins them, bounded:
// the interval timer's SIGALRM interrupts only one thread's blocking
// calls, so the worker sends SIGALRM to a thread whose call counter
// stands still, cancels the ones left after 0.75 s and gives up on them
// after 1.5 s (recorded; the worker's exit ends them).
//
// A thread group child (from a storm, or the worker): a forked child
// starts 1..4 threads and one of them ends or replaces the group while
// the others are blocked or busy: exit_group, execve of /bin/true or of a
// path that fails, the leader's exit() first, every thread's exit(), a
// fatal signal to one thread, vfork in one thread while another ends the
// group, concurrent execs, garbage robust lists. The worker waits for it
// (SIGKILL after a second) and records its wait status.
#pragma once

#include "worker_context.h"

#include <cstdint>

namespace fuzz {

class CallPicker;

void run_thread_storm(WorkerContext& ctx, const CallPicker& picker);

// clone (220) or clone3 (435) with `a` as its arguments, made in a
// throwaway child through an assembly trampoline: a new task that shares
// the child's memory (or runs on a stack of its own) never returns into the fuzzer's
// code; it makes a few raw calls (tgkill, a futex wake, a robust list) and
// exits, or exits at once when it has no stack of its own.
void run_clone_in_child(WorkerContext& ctx, long number, const std::uint64_t (&a)[6], Where where);

void run_thread_group_child(WorkerContext& ctx, const CallPicker& picker, Where where);

} // namespace fuzz
