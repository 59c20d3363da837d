// The console tty: line discipline, termios, and the console File.
#include "kernel/fs/tty.hpp"
#include "arch/arch.hpp"
#include "kernel/console.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/printk.hpp"
#include "kernel/time.hpp"
#include "kernel/process/signal.hpp"

namespace kernel {

namespace {

// Linux's struct termios for TCGETS/TCSETS (asm-generic/termbits.h).
struct KernelTermios {
    u32 c_iflag, c_oflag, c_cflag, c_lflag;
    u8 c_line;
    u8 c_cc[19];
};
static_assert(sizeof(KernelTermios) == 36);

struct WinSize {
    u16 rows, cols, xpixel, ypixel;
};

// asm-generic/termbits.h and ioctls.h values.
constexpr u32 ICRNL = 0x100, OPOST = 0x1, ONLCR = 0x4;
constexpr u32 ISIG = 0x1, ICANON = 0x2, ECHO = 0x8, ECHOE = 0x10, ECHOK = 0x20, IEXTEN = 0x8000;
constexpr u32 B38400_CS8_CREAD_HUPCL = 0xf | 0x30 | 0x80 | 0x400;
constexpr unsigned VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6, VSUSP = 10;
constexpr u32 TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404;
constexpr u32 TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, TIOCGPGRP = 0x540f, TIOCSPGRP = 0x5410,
              TIOCSCTTY = 0x540e, TIOCNOTTY = 0x5422, TIOCGSID = 0x5429;

constexpr usize BUFFER = 4096;

struct Tty {
    KernelTermios termios;
    WinSize winsize{24, 80, 0, 0};
    char input[BUFFER]; // ring: [read_at, line_end) is ready, [line_end, write_at) being edited
    usize read_at = 0, line_end = 0, write_at = 0;
    usize eof_marks = 0; // ^D pressed at these many line ends (read returns 0)
    WaitQueue readers;
    PollQueue poll;      // poll, select and epoll on the console (guarded by the process lock)
    Pid foreground = 1;  // the foreground process group: ^C goes there (guarded by the process lock)
};

constinit Tty s_tty{};

// The console's session: init's (every process started from the console
// shell belongs to it unless it calls setsid).
Pid console_session() { return 1; }
constinit SpinLock s_lock(LockRank::Tty);

bool canonical() { return s_tty.termios.c_lflag & ICANON; }

// Wakes readers and pollers: input arrived or the mode changed.
void wake_readers()
{
    SpinLockGuard guard(process_lock());
    wake_all_proc_locked(s_tty.readers);
    if (!s_tty.poll.is_empty())
        poll_wake_proc_locked(s_tty.poll, POLLIN | POLLRDNORM);
}

void echo(const char* s, usize n)
{
    if (s_tty.termios.c_lflag & ECHO)
        console_write(s, n);
}

void input_byte(char c)
{
    bool wake = false;
    int signal = 0;
    {
        SpinLockGuard guard(s_lock);
        Tty& t = s_tty;
        if ((t.termios.c_iflag & ICRNL) && c == '\r')
            c = '\n';
        if ((t.termios.c_lflag & ISIG) && c &&
            (u8(c) == t.termios.c_cc[VINTR] || u8(c) == t.termios.c_cc[VQUIT] || u8(c) == t.termios.c_cc[VSUSP])) {
            signal = u8(c) == t.termios.c_cc[VINTR] ? SIGINT : u8(c) == t.termios.c_cc[VQUIT] ? SIGQUIT : SIGTSTP;
            echo(signal == SIGINT ? "^C\n" : signal == SIGQUIT ? "^\\\n" : "^Z\n", 3);
            t.write_at = t.line_end; // the line being edited is discarded
            c = 0;
        } else if (!canonical()) {
            if (t.write_at - t.read_at < BUFFER) {
                t.input[t.write_at++ % BUFFER] = c;
                t.line_end = t.write_at;
                wake = true;
            }
        } else if (u8(c) == t.termios.c_cc[VERASE] || c == 0x08) {
            if (t.write_at > t.line_end) {
                --t.write_at;
                if (t.termios.c_lflag & ECHOE)
                    echo("\b \b", 3);
            }
            c = 0;
        } else if (u8(c) == t.termios.c_cc[VKILL]) {
            while (t.write_at > t.line_end) {
                --t.write_at;
                echo("\b \b", 3);
            }
            c = 0;
        } else if (u8(c) == t.termios.c_cc[VEOF]) {
            // End of file: complete the line without a newline; an empty
            // line makes read() return 0.
            if (t.write_at == t.line_end)
                ++t.eof_marks;
            t.line_end = t.write_at;
            wake = true;
            c = 0;
        } else if (t.write_at - t.read_at < BUFFER - 1 || c == '\n') {
            if (t.write_at - t.read_at < BUFFER)
                t.input[t.write_at++ % BUFFER] = c;
            if (c == '\n') {
                t.line_end = t.write_at;
                wake = true;
            }
        } else {
            c = 0; // buffer full: drop, as Linux does in canonical mode
        }
        if (c)
            echo(&c, 1);
    }
    if (wake)
        wake_readers();
    if (signal) {
        SpinLockGuard guard(process_lock());
        (void)signal_group_proc_locked(s_tty.foreground, signal);
    }
}

// The boot figure "reset to the first shell prompt" (docs/performance.md),
// whatever the shell: the first time a reader finds no console input (a
// read about to wait, a poll that finds it not readable),
// the boot hart's instruction count goes to the kernel log (dmesg), not
// the console, where it would land in the middle of the prompt.
void note_first_wait_proc_locked()
{
    process_lock().assert_held();
    static bool s_noted = false; // [process lock]
    if (s_noted)
        return;
    s_noted = true;
    printk_log_only("console: first read waits for input at {} instructions since reset\n", arch::read_instret());
}

class ConsoleFile final : public File {
public:
    Result<usize> read(u64 user_buffer, usize length) override
    {
        if (length == 0)
            return usize(0);
        // Job control (drivers/tty/tty_io.c, __tty_check_change): a process
        // outside the foreground group may not read the terminal. Its group
        // gets SIGTTIN (and the read restarts once it is continued); if it
        // ignores or blocks SIGTTIN, or its group is orphaned, it gets EIO.
        {
            SpinLockGuard guard(process_lock());
            Process& self = current_process();
            if (self.pgid != s_tty.foreground && self.sid == console_session()) {
                u64 bit = signal_bit(SIGTTIN);
                if ((self.signals_ignored & bit) || (current_thread().signals_blocked & bit))
                    return Errno::eio;
                (void)signal_group_proc_locked(self.pgid, SIGTTIN, 0);
                return Errno::eintr; // restarted after the stop and continue (no handler)
            }
        }
        // Non-canonical reads follow termios(3) (Linux's n_tty_read): VMIN
        // bytes are waited for (fewer if the caller asks for fewer); VTIME
        // in tenths of a second bounds the wait for the first byte when
        // VMIN is 0, else the gap between bytes once one has come. VMIN =
        // VTIME = 0 is a poll. Canonical reads return one line.
        usize minimum = 1;
        u64 gap_ns = 0;
        bool timed_first = false;
        if (!canonical()) {
            SpinLockGuard guard(s_lock);
            u8 vmin = s_tty.termios.c_cc[VMIN], vtime = s_tty.termios.c_cc[VTIME];
            gap_ns = u64(vtime) * 100'000'000;
            minimum = vmin ? lib::min<usize>(vmin, length) : 1;
            timed_first = vmin == 0;
            if (vmin == 0 && vtime == 0)
                minimum = 0;
        }
        const bool nonblocking = flags() & O_NONBLOCK;
        u64 deadline = timed_first ? monotonic_ns() + gap_ns : 0;
        usize done = 0;
        char chunk[256];
        for (;;) {
            usize n = 0;
            bool eof = false;
            {
                SpinLockGuard guard(process_lock());
                {
                    SpinLockGuard tty_guard(s_lock);
                    Tty& t = s_tty;
                    if (done == 0 && t.read_at == t.line_end && t.eof_marks > 0) {
                        --t.eof_marks;
                        eof = true;
                    } else if (t.read_at < t.line_end) {
                        // Canonical reads stop at the end of a line.
                        while (done + n < length && n < sizeof(chunk) && t.read_at < t.line_end) {
                            char c = t.input[t.read_at++ % BUFFER];
                            chunk[n++] = c;
                            if (c == '\n' && canonical())
                                break;
                        }
                    }
                }
                if (n == 0 && !eof) {
                    if (done >= minimum || (done > 0 && canonical()))
                        return done;
                    if (nonblocking)
                        return done ? Result<usize>(done) : Result<usize>(Errno::eagain);
                    note_first_wait_proc_locked();
                    if (deadline) {
                        WaitOutcome waited = block_on_until_proc_locked(s_tty.readers, deadline);
                        if (waited == WaitOutcome::TimedOut)
                            return done;
                        if (waited == WaitOutcome::Interrupted)
                            return done ? Result<usize>(done) : Result<usize>(Errno::eintr);
                    } else if (block_on_proc_locked(s_tty.readers)) {
                        return done ? Result<usize>(done) : Result<usize>(Errno::eintr);
                    }
                    continue;
                }
            }
            if (eof)
                return usize(0);
            if (auto copied = mm::copy_to_user(user_buffer + done, chunk, n); copied.is_error())
                return done ? Result<usize>(done) : Result<usize>(copied.error());
            done += n;
            if (canonical() || done >= length || done >= minimum)
                return done;
            // With VMIN > 0 and VTIME > 0 the timer restarts at each byte.
            deadline = gap_ns ? monotonic_ns() + gap_ns : 0;
        }
    }

    Result<usize> write(u64 user_buffer, usize length) override
    {
        char chunk[256];
        usize done = 0;
        while (done < length) {
            usize n = lib::min(length - done, sizeof(chunk));
            auto copied = mm::copy_from_user(chunk, user_buffer + done, n);
            if (copied.is_error())
                return done ? Result<usize>(done) : Result<usize>(copied.error());
            console_write(chunk, n);
            done += n;
        }
        return done;
    }

    Result<u64> ioctl(u32 request, u64 arg) override
    {
        switch (request) {
        case TCGETS: {
            KernelTermios copy;
            {
                SpinLockGuard guard(s_lock);
                copy = s_tty.termios;
            }
            TRY(mm::write_user(arg, copy));
            return u64(0);
        }
        case TCSETS:
        case TCSETSW:
        case TCSETSF: {
            auto termios = TRY(mm::read_user<KernelTermios>(arg));
            {
                SpinLockGuard guard(s_lock);
                s_tty.termios = termios;
                if (request == TCSETSF) // flush pending input
                    s_tty.read_at = s_tty.line_end = s_tty.write_at;
            }
            wake_readers(); // VMIN or ICANON may make waiting input readable
            return u64(0);
        }
        case TIOCGWINSZ:
            TRY(mm::write_user(arg, s_tty.winsize));
            return u64(0);
        case TIOCSWINSZ:
            s_tty.winsize = TRY(mm::read_user<WinSize>(arg));
            return u64(0);
        case TIOCGPGRP: {
            i32 pgrp;
            {
                SpinLockGuard guard(process_lock());
                pgrp = s_tty.foreground;
            }
            TRY(mm::write_user(arg, pgrp));
            return u64(0);
        }
        case TIOCSPGRP: {
            i32 pgrp = TRY(mm::read_user<i32>(arg));
            if (pgrp <= 0)
                return Errno::einval;
            SpinLockGuard guard(process_lock());
            // The group must exist in the caller's session (tcsetpgrp(3)).
            bool exists = false;
            Pid sid = current_process().sid;
            for_each_process_proc_locked([&](Process& p) { exists |= p.pgid == pgrp && p.sid == sid; });
            if (!exists)
                return Errno::eperm;
            s_tty.foreground = pgrp;
            return u64(0);
        }
        case TIOCGSID: {
            i32 sid = 1; // the console belongs to init's session
            TRY(mm::write_user(arg, sid));
            return u64(0);
        }
        case TIOCSCTTY:
        case TIOCNOTTY:
            return u64(0); // one console, one controlling terminal for everyone
        default:
            return Errno::enotty;
        }
    }

    // Linux's n_tty_poll: in canonical mode readable once a line (or an
    // end of file) is complete; in raw mode once VMIN bytes are waiting,
    // or one when VTIME is set or VMIN is 0. Output never blocks.
    u32 poll_proc_locked() override
    {
        process_lock().assert_held();
        bool readable;
        {
            SpinLockGuard guard(s_lock);
            const Tty& t = s_tty;
            usize waiting = t.line_end - t.read_at;
            if (canonical()) {
                readable = waiting > 0 || t.eof_marks > 0;
            } else {
                u8 vmin = t.termios.c_cc[VMIN], vtime = t.termios.c_cc[VTIME];
                readable = waiting >= (vtime == 0 && vmin > 0 ? usize(vmin) : 1);
            }
        }
        if (!readable)
            note_first_wait_proc_locked(); // a line-editing shell polls before it reads
        return POLLOUT | POLLWRNORM | (readable ? POLLIN | POLLRDNORM : 0);
    }

    PollQueue* poll_queue() override { return &s_tty.poll; }

    Result<void> stat(LinuxStat& st) override
    {
        st = {};
        st.st_mode = 0020620; // S_IFCHR | rw--w----
        st.st_rdev = (5u << 8) | 1; // major 5, minor 1: /dev/console
        st.st_nlink = 1;
        st.st_blksize = 1024;
        return {};
    }

private:
    void destroy() override {} // the console file lives forever
};

constinit ConsoleFile s_console;

} // namespace

void tty_init()
{
    KernelTermios& t = s_tty.termios;
    t.c_iflag = ICRNL;
    t.c_oflag = OPOST | ONLCR;
    t.c_cflag = B38400_CS8_CREAD_HUPCL;
    t.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | IEXTEN;
    t.c_cc[VINTR] = 0x03;  // ^C
    t.c_cc[VQUIT] = 0x1c;  // ^\ .
    t.c_cc[VERASE] = 0x7f; // DEL
    t.c_cc[VKILL] = 0x15;  // ^U
    t.c_cc[VEOF] = 0x04;   // ^D
    t.c_cc[VTIME] = 0;
    t.c_cc[VMIN] = 1;
    t.c_cc[VSUSP] = 0x1a;  // ^Z
}

void tty_attach_console_input() { console_set_input_handler(input_byte); }

File* tty_console_file()
{
    s_console.ref();
    return &s_console;
}

} // namespace kernel
