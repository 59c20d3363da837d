// The console as a terminal: a line discipline over the console UART.
// Canonical mode (the default) edits a line (erase, kill line, ^D end of
// file) and echoes it; a reader blocks until a whole line is ready.
// TCSETS can switch off ICANON/ECHO for raw single-byte reads. Input is
// processed in the UART interrupt.
#pragma once

#include "kernel/fs/file.hpp"

namespace kernel {

void tty_init();
// Route console input through the tty (after this, the kernel monitor no
// longer sees typed bytes).
void tty_attach_console_input();
// A new reference to the console file (fds 0, 1, 2 of init).
File* tty_console_file();

} // namespace kernel
