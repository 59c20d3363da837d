// Starting pid 1: the program named by init= (default /sbin/init), with
// fds 0, 1 and 2 open on the console.
#include "kernel/boot.hpp"
#include "kernel/exec.hpp"
#include "kernel/fs/file.hpp"
#include "kernel/fs/inode.hpp"
#include "kernel/fs/tty.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/printk.hpp"
#include "kernel/process/process_internal.hpp"
#include "kernel/process/scheduler.hpp"

namespace kernel {

Result<void> start_init(lib::StringView path)
{
    InitTask init = TRY(create_process_for_init());
    Process* p = init.process;
    auto fail = [init, p](lib::Error e) -> Result<void> {
        if (p->address_space)
            mm::AddressSpace::destroy(p->address_space);
        FileTable::destroy(p->files);
        if (p->cwd)
            fs::inode_unref(*p->cwd);
        discard_unstarted_process(p, init.thread);
        return e;
    };
    auto as = mm::AddressSpace::create();
    if (as.is_error())
        return fail(as.error());
    p->address_space = as.value();
    auto files = FileTable::create();
    if (files.is_error())
        return fail(files.error());
    p->files = files.value();
    p->cwd = fs::root();
    fs::inode_ref(*p->cwd);
    for (int fd = 0; fd < 3; ++fd)
        if (auto r = p->files->install(tty_console_file(), fd); r.is_error())
            return fail(r.error());

    ExecArgs args;
    const char* env[] = {"HOME=/", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "TERM=vt100"};
    auto appended = args.append(path.data(), path.length());
    args.argc = 1;
    // As Linux does, the words after "--" on the kernel command line are
    // init's arguments (init=/bin/bench -- null_syscall 1000).
    lib::StringView t = boot_info().cmdline.init_arguments();
    for (usize i = 0; appended.is_ok() && i < t.length();) {
        while (i < t.length() && t[i] == ' ')
            ++i;
        usize end = i;
        while (end < t.length() && t[end] != ' ')
            ++end;
        if (end > i) {
            appended = args.append(t.data() + i, end - i);
            ++args.argc;
        }
        i = end;
    }
    for (const char* e : env)
        if (appended.is_ok()) {
            appended = args.append(e, lib::cstring_length(e));
            ++args.envc;
        }
    if (appended.is_error()) {
        args.release();
        return fail(appended.error());
    }
    auto executed = exec_into(*init.thread, path, args);
    args.release();
    if (executed.is_error())
        return fail(executed.error());

    // Run-queue room first: enqueueing under the lock must not allocate.
    if (!scheduler_reserve(2))
        return fail(lib::Error{Errno::enomem});
    SpinLockGuard guard(process_lock());
    register_init_proc_locked(*p, *init.thread);
    make_ready_proc_locked(*init.thread);
    return {};
}

} // namespace kernel
