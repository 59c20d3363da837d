// System information and control calls: uname, getrandom, sysinfo,
// syslog, reboot; prctl and personality, the process's own settings.
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/kernel_stack.hpp"
#include "kernel/process/process.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/random.hpp"
#include "kernel/syscall/syscall.hpp"
#include "kernel/console.hpp"
#include "kernel/power.hpp"
#include "kernel/printk.hpp"
#include "kernel/time.hpp"

namespace kernel {

Result<u64> sys_uname(UserPtr<Utsname> name)
{
    // sysname stays "Linux" for programs that check it; version says what
    // is really running.
    Utsname u{};
    const char* fields[6] = {"Linux", "myriad", "6.1.0-myriad", "#1 Myriad RISC-V teaching kernel", "riscv64",
                             "(none)"};
    for (int i = 0; i < 6; ++i)
        __builtin_memcpy(u.field[i], fields[i], lib::cstring_length(fields[i]));
    TRY(mm::write_user(name, u));
    return u64(0);
}

// syslog(2) (glibc's klogctl; busybox dmesg): the kernel log ring. The
// caller is root, so dmesg_restrict does not apply.
Result<u64> sys_syslog(i32 type, UserPtr<u8> buffer, i32 length)
{
    constexpr i32 CLOSE = 0, OPEN = 1, READ = 2, READ_ALL = 3, READ_CLEAR = 4, CLEAR = 5, CONSOLE_OFF = 6,
                  CONSOLE_ON = 7, CONSOLE_LEVEL = 8, SIZE_UNREAD = 9, SIZE_BUFFER = 10;
    switch (type) {
    case CLOSE:
    case OPEN:
        return u64(0);
    case READ:
    case READ_ALL:
    case READ_CLEAR: {
        if (!buffer || length < 0)
            return Errno::einval;
        if (length == 0)
            return u64(0);
        if (!mm::user_range_ok(buffer.address(), usize(length)))
            return Errno::efault; // Linux's access_ok, before anything is read
        usize n = lib::min<usize>(usize(length), LOG_CAPACITY);
        // Copied out of the ring under its lock, to the user outside it.
        char* copy = static_cast<char*>(mm::kmalloc(n));
        if (!copy)
            return Errno::enomem;
        usize got = read_log(copy, n, type == READ);
        auto written = mm::copy_to_user(buffer, reinterpret_cast<const u8*>(copy), got);
        mm::kfree(copy);
        TRY(written);
        if (type == READ_CLEAR)
            clear_log();
        return u64(got);
    }
    case CLEAR:
        clear_log();
        return u64(0);
    case CONSOLE_OFF:
    case CONSOLE_ON:
        return u64(0); // the console level is not modelled: every line is printed
    case CONSOLE_LEVEL:
        if (length < 1 || length > 8)
            return Errno::einval;
        return u64(0);
    case SIZE_UNREAD:
        return u64(log_size_unread());
    case SIZE_BUFFER:
        return u64(LOG_CAPACITY);
    default:
        return Errno::einval;
    }
}

Result<u64> sys_getrandom(UserPtr<u8> buf, usize count, u32 flags)
{
    constexpr u32 GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;
    if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return Errno::einval;
    if ((flags & GRND_RANDOM) && (flags & GRND_INSECURE))
        return Errno::einval;
    u64 length = lib::min<u64>(count, 33554431); // Linux caps one call at 32 MiB - 1
    u8 chunk[256];
    u64 done = 0;
    while (done < length) {
        usize n = usize(lib::min<u64>(length - done, sizeof(chunk)));
        random_fill(chunk, n);
        auto copied = mm::copy_to_user(buf + done, chunk, n);
        if (copied.is_error())
            return done ? Result<u64>(done) : Result<u64>(copied.error());
        done += n;
    }
    return done;
}

Result<u64> sys_sysinfo(UserPtr<Sysinfo> out)
{
    Sysinfo info{};
    auto pages = mm::page_stats();
    info.uptime = i64(monotonic_ns() / 1000000000);
    info.totalram = pages.total * mm::PAGE_SIZE;
    // Cached kernel stacks are free memory held back for the next fork.
    info.freeram = (pages.free + kernel_stack_cached_pages()) * mm::PAGE_SIZE;
    info.procs = u16(lib::min<usize>(process_count(), 0xffff));
    info.mem_unit = 1;
    TRY(mm::write_user(out, info));
    return u64(0);
}

} // namespace kernel

namespace kernel {

// reboot(2): only with Linux's magic numbers (include/uapi/linux/reboot.h).
// Power-off and halt end the machine with status 0; restart is not
// supported by every machine, so it powers off too and says so.
Result<u64> sys_reboot(u32 magic1, u32 magic2, u32 cmd, UserPtr<const char>)
{
    constexpr u64 MAGIC1 = 0xfee1dead;
    constexpr u64 MAGIC2[] = {672274793, 85072278, 369367448, 537993216};
    constexpr u32 CMD_RESTART = 0x01234567, CMD_HALT = 0xcdef0123, CMD_POWER_OFF = 0x4321fedc,
                  CMD_CAD_ON = 0x89abcdef, CMD_CAD_OFF = 0x00000000;
    if (magic1 != MAGIC1)
        return Errno::einval;
    bool magic2_ok = false;
    for (u64 m : MAGIC2)
        magic2_ok |= magic2 == m;
    if (!magic2_ok)
        return Errno::einval;
    switch (cmd) {
    case CMD_CAD_ON:
    case CMD_CAD_OFF:
        return u64(0);
    case CMD_POWER_OFF:
    case CMD_HALT:
        printk("reboot: power down (requested by pid {})\n", current_process().pid);
        power_off(0);
    case CMD_RESTART:
        printk("reboot: restart is not supported; powering off\n");
        power_off(0);
    default:
        return Errno::einval;
    }
}

namespace {

// include/uapi/linux/prctl.h
constexpr i32 PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4,
              PR_SET_NAME = 15, PR_GET_NAME = 16, PR_SET_TIMERSLACK = 29, PR_GET_TIMERSLACK = 30,
              PR_SET_CHILD_SUBREAPER = 36, PR_GET_CHILD_SUBREAPER = 37, PR_SET_NO_NEW_PRIVS = 38,
              PR_GET_NO_NEW_PRIVS = 39, PR_GET_KEEPCAPS = 7, PR_SET_KEEPCAPS = 8, PR_CAPBSET_READ = 23;
constexpr usize TASK_COMM_LEN = 16;

// The new comm: up to 15 bytes of the string, longer ones truncated
// (Linux's strncpy_from_user of sizeof(comm) - 1).
Result<void> read_comm(u64 address, char (&name)[TASK_COMM_LEN])
{
    auto n = mm::copy_string_from_user(name, address, TASK_COMM_LEN);
    if (n.is_error() && n.code() == Errno::enametoolong) {
        TRY(mm::copy_from_user(name, address, TASK_COMM_LEN - 1));
        name[TASK_COMM_LEN - 1] = 0;
        return {};
    }
    TRY(n);
    return {};
}

} // namespace

// prctl(2): the options kernel/sys.c implements that a process without
// seccomp or namespaces has a use for; the rest EINVAL.
Result<u64> sys_prctl(Thread& t, Process& p, i32 option, u64 arg2, u64 arg3, u64 arg4, u64 arg5)
{
    switch (option) {
    case PR_SET_PDEATHSIG: {
        if (arg2 > u64(NSIG))
            return Errno::einval;
        SpinLockGuard guard(process_lock()); // the dying parent reads it
        p.pdeath_signal = int(arg2);
        return u64(0);
    }
    case PR_GET_PDEATHSIG: {
        i32 sig;
        {
            SpinLockGuard guard(process_lock());
            sig = p.pdeath_signal;
        }
        TRY(mm::write_user<i32>(arg2, sig));
        return u64(0);
    }
    case PR_GET_DUMPABLE: return u64(p.dumpable);
    case PR_SET_DUMPABLE:
        if (arg2 != 0 && arg2 != 1) // SUID_DUMP_DISABLE, SUID_DUMP_USER
            return Errno::einval;
        p.dumpable = u8(arg2);
        return u64(0);
    case PR_SET_NAME: {
        char name[TASK_COMM_LEN] = {};
        TRY(read_comm(arg2, name));
        SpinLockGuard guard(process_lock()); // /proc readers and other threads
        set_thread_comm_proc_locked(t, name);
        return u64(0);
    }
    case PR_GET_NAME: {
        char name[TASK_COMM_LEN];
        {
            SpinLockGuard guard(process_lock());
            __builtin_memcpy(name, t.name, sizeof(name));
        }
        TRY(mm::copy_to_user(arg2, name, sizeof(name)));
        return u64(0);
    }
    case PR_SET_TIMERSLACK:
        // Zero or less: back to the default, the creator's value at clone.
        t.timer_slack_ns = i64(arg2) <= 0 ? t.default_timer_slack_ns : arg2;
        return u64(0);
    case PR_GET_TIMERSLACK: return t.timer_slack_ns;
    case PR_SET_CHILD_SUBREAPER: {
        SpinLockGuard guard(process_lock()); // exits of descendants read it
        p.child_subreaper = arg2 != 0;
        return u64(0);
    }
    case PR_GET_CHILD_SUBREAPER: {
        i32 on;
        {
            SpinLockGuard guard(process_lock());
            on = p.child_subreaper;
        }
        TRY(mm::write_user<i32>(arg2, on));
        return u64(0);
    }
    case PR_SET_NO_NEW_PRIVS:
        if (arg2 != 1 || arg3 || arg4 || arg5)
            return Errno::einval; // it can only be set, never cleared
        t.no_new_privs = true;
        return u64(0);
    case PR_GET_NO_NEW_PRIVS:
        if (arg2 || arg3 || arg4 || arg5)
            return Errno::einval;
        return u64(t.no_new_privs);
    case PR_GET_KEEPCAPS: return u64(p.creds.keep_caps);
    case PR_SET_KEEPCAPS: {
        if (arg2 > 1)
            return Errno::einval;
        SpinLockGuard guard(process_lock()); // credentials change under it (process.hpp)
        p.creds.keep_caps = arg2;
        return u64(0);
    }
    case PR_CAPBSET_READ: // the bounding set is every capability
        return arg2 <= CAP_LAST_CAP ? Result<u64>(u64(1)) : Result<u64>(Errno::einval);
    default: return Errno::einval;
    }
}

// personality(2): 0xffffffff asks; any other value is set. Returns the old
// one. Nothing here depends on it (PER_LINUX, 0, is the default).
Result<u64> sys_personality(Process& p, u32 persona)
{
    u32 old = p.personality;
    if (persona != 0xffffffffu)
        p.personality = persona;
    return u64(old);
}

} // namespace kernel

#define MYRIAD_THUNKS_system(handler) MYRIAD_THUNK(handler)
#include "kernel/syscall/instantiate_thunks.inc"
