// Between the files of kernel/process: process.cpp keeps the tables and
// the counts, lifecycle.cpp creates and ends what is in them, init.cpp
// starts pid 1, the scheduler frees retiring threads. For no one else.
#pragma once

#include "kernel/process/process.hpp"

namespace kernel {

struct InitTask {
    Process* process;
    Thread* thread;
};
// A process and its first thread (with a kernel stack), not in the tables.
Result<InitTask> create_process_for_init();
// Undo create_process_for_init when init cannot be started.
void discard_unstarted_process(Process*, Thread*);
// Put init in the tables as pid 1, with its first thread as tid 1.
void register_init_proc_locked(Process&, Thread&);
// ---- The tables (process.cpp), process lock held -------------------------
void process_lists_init(Process&);       // a new block's rings
Process* child_of(lib::ListNode* sibling_node);
void copy_name(Process& to, const Process& from);
// RLIMIT_NPROC reached for the caller's user (every task counts).
bool over_nproc_limit_proc_locked(const Process& parent);
// The next free id of the one pid/tid space; EAGAIN when none.
Result<Pid> allocate_pid_proc_locked();
// A thread joins its process and the tid table, or leaves both.
void attach_thread_proc_locked(Process&, Thread&);
void detach_thread_proc_locked(Thread&);
void change_tid_proc_locked(Thread&, Pid tid); // exec from a non-leader takes the pid
// A new process enters the pid table as parent's child.
void publish_process_proc_locked(Process& child, Process& parent);
void count_zombie_proc_locked();          // a process became a zombie
void orphans_to_init_proc_locked(Process&); // p's children go to init
void reap_proc_locked(Process&);          // out of the table, freed
Process* init_process();                  // pid 1 (nullptr before it exists)

// A thread that exited on this hart is freed by the next one to run here
// (it could not free the stack it ran on): called after each switch.
void free_retiring_thread();

} // namespace kernel
