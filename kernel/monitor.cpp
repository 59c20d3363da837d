// Kernel monitor commands: help, ticks, mem, uptime, poweroff [status].
#include "kernel/monitor.hpp"
#include "arch/arch.hpp"
#include "kernel/console.hpp"
#include "kernel/irq.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/power.hpp"
#include "kernel/printk.hpp"
#include "kernel/time.hpp"
#include "lib/cmdline.hpp"

namespace kernel {

static void run_command(lib::StringView line)
{
    // The command-line parser splits words for us (same quoting rules).
    auto words = lib::CommandLine::parse(line);
    if (words.is_error()) {
        print_raw("monitor: {}\n", words.error().what);
        return;
    }
    if (words->count() == 0)
        return;
    lib::StringView command = words->entry(0).key;
    if (command == lib::StringView("help")) {
        print_raw("commands: help, ticks, mem, uptime, poweroff [status]\n");
    } else if (command == lib::StringView("ticks")) {
        print_raw("ticks: {} (every {} ms)\n", tick_count(), tick_period_ns() / 1000000);
    } else if (command == lib::StringView("uptime")) {
        u64 ns = monotonic_ns();
        print_raw("uptime: {}.{:03} s\n", ns / 1000000000, ns / 1000000 % 1000);
    } else if (command == lib::StringView("mem")) {
        auto pages = mm::page_stats();
        auto heap = mm::kmalloc_stats();
        print_raw("pages: {} free of {}; kmalloc: {} objects, {} bytes, {} pages\n", pages.free, pages.total,
                  heap.objects_in_use, heap.bytes_requested, heap.pages_held());
    } else if (command == lib::StringView("poweroff")) {
        int status = 0;
        if (words->count() > 1) {
            lib::StringView arg = words->entry(1).key;
            for (usize i = 0; i < arg.length() && arg[i] >= '0' && arg[i] <= '9'; ++i)
                status = status * 10 + (arg[i] - '0');
        }
        print_raw("powering off with status {}\n", status);
        power_off(status & 0xff);
    } else {
        print_raw("unknown command; try help\n");
    }
}

void monitor_run()
{
    print_raw("Myriad kernel monitor (no processes yet). Type help.\n> ");
    char line[128];
    usize length = 0;
    for (;;) {
        int c = console_poll_input();
        if (c < 0) {
            arch::wait_for_interrupt();
            continue;
        }
        if (c == '\r' || c == '\n') {
            print_raw("\n");
            run_command(lib::StringView(line, length));
            length = 0;
            print_raw("> ");
        } else if (c == 0x7f || c == 0x08) {
            if (length > 0) {
                --length;
                print_raw("\b \b");
            }
        } else if (c >= 0x20 && c < 0x7f && length < sizeof(line)) {
            line[length++] = char(c);
            char echo[2] = {char(c), 0};
            print_raw("{}", echo);
        }
    }
}

} // namespace kernel
