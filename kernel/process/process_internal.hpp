// Between process.cpp (the tables) and init.cpp (starting pid 1): how
// init is built outside the tables and then registered, and the retiring
// thread hand-off between process.cpp and the scheduler; for no one else.
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
// A thread that exited on this hart is freed by the next one to run here
// (it could not free the stack it ran on): called after each switch.
void free_retiring_thread_proc_locked();

} // namespace kernel
