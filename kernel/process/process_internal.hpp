// Between process.cpp (the table) and init.cpp (starting pid 1): how init
// is built outside the table and then registered, for no one else.
#pragma once

#include "kernel/process/process.hpp"

namespace kernel {

// A process with a kernel stack and nothing else, not yet in the table.
Result<Process*> create_process_for_init();
// Undo create_process_for_init when init cannot be started.
void discard_unstarted_process(Process*);
// Put init in the table as pid 1.
void register_init_proc_locked(Process&);

} // namespace kernel
