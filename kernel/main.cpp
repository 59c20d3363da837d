// kernel_main: boot in order, from the device tree to "kernel ready".
// head.S calls it on the boot hart, running at the link address with the
// early page table, interrupts off.
#include "arch/arch.hpp"
#include "drivers/probe.hpp"
#include "kernel/boot.hpp"
#include "kernel/console.hpp"
#include "kernel/fs/inode.hpp"
#include "kernel/fs/populate.hpp"
#include "kernel/fs/tty.hpp"
#include "kernel/initramfs.hpp"
#include "kernel/process/kernel_stack.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/random.hpp"
#include "kernel/ktest.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/mm_check.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/vm.hpp"
#include "kernel/monitor.hpp"
#include "kernel/power.hpp"
#include "lib/board.hpp"
#include "kernel/printk.hpp"
#include "kernel/smp.hpp"
#include "kernel/time.hpp"
#ifdef MYRIAD_HARDENING
#include "kernel/hardening/panic_tests.hpp"
#include "kernel/hardening/stack_protector.hpp"
#endif

extern "C" char __kernel_start[], __kernel_end[];
extern "C" const char initramfs_start[], initramfs_end[];

namespace kernel {

static constinit BootInfo s_boot;

const BootInfo& boot_info() { return s_boot; }
lib::Optional<lib::StringView> boot_option(lib::StringView key) { return s_boot.cmdline.get(key); }

// Fatal boot errors (no usable device tree or memory): there is no way to
// run, so say why through the firmware console and power off.
[[noreturn]] static void boot_fail(const char* what, const char* detail)
{
    printk("boot failed: {}: {}\n", what, detail ? detail : "?");
    power_off(2);
}

static void parse_device_tree()
{
    // The early table mapped the gigapage holding the blob; never read past it.
    u64 gigapage_end = lib::align_up(s_boot.dtb_pa + 1, 1ull << 30);
    auto blob = lib::fdt::Blob::parse(mm::phys_to_virt(PhysAddr{s_boot.dtb_pa}), gigapage_end - s_boot.dtb_pa);
    if (blob.is_error())
        boot_fail("device tree rejected", blob.error().what);
    s_boot.fdt = blob.value();
    const lib::fdt::Blob& fdt = *s_boot.fdt;

    auto args = fdt.bootargs();
    if (args) {
        auto parsed = lib::CommandLine::parse(*args);
        if (parsed.is_ok())
            s_boot.cmdline = parsed.value();
        else
            printk("command line ignored: {}\n", parsed.error().what);
    }

    lib::fdt::Region regions[16];
    auto count = fdt.memory_regions(regions, 16);
    if (count.is_error() || count.value() == 0)
        boot_fail("no usable /memory in the device tree", count.is_error() ? count.error().what : "none");
    for (usize i = 0; i < count.value(); ++i)
        if (s_boot.ram.add(regions[i].base, regions[i].size).is_error())
            boot_fail("memory map", "too many RAM ranges");

    // For the boot log only; the memory map itself is lib::board::usable_memory.
    lib::fdt::ReservedRegion reserved[16];
    auto rcount = fdt.reserved_memory(reserved, 16);
    for (usize i = 0; rcount.is_ok() && i < rcount.value(); ++i)
        (void)s_boot.reserved.add(reserved[i].base, reserved[i].size);
    for (usize i = 0; i < fdt.memreserve_count(); ++i)
        if (auto r = fdt.memreserve(i))
            (void)s_boot.reserved.add(r->base, r->size);

    // A bogus initrd is never read (it may name memory that is not there).
    auto initrd = lib::board::usable_initrd(fdt, s_boot.load_pa, s_boot.image_size, s_boot.dtb_pa, fdt.total_size());
    if (initrd.is_ok())
        s_boot.initrd = lib::Range{initrd->base, initrd->size};
    else if (initrd.code() != Errno::enoent)
        printk("initrd ignored: {}\n", initrd.error().what ? initrd.error().what : "?");

    auto timebase = fdt.timebase_frequency();
    if (timebase.is_error() || timebase.value() == 0)
        boot_fail("no timebase-frequency in /cpus", timebase.is_error() ? timebase.error().what : "zero");
    s_boot.timebase_hz = timebase.value();

    auto harts = lib::board::summarize_harts(fdt, s_boot.hart_id);
    s_boot.usable_harts = harts.usable;
    s_boot.sstc = harts.boot_sstc; // riscv,isa or riscv,isa-extensions
    if (!harts.boot_found)
        printk("device tree: no cpu node for boot hart {}; continuing\n", s_boot.hart_id);
    u32 max_harts = MAX_HARTS;
    if (auto option = s_boot.cmdline.get_u64("maxcpus"); option.is_ok() && option.value() >= 1)
        max_harts = u32(lib::min(option.value(), u64(MAX_HARTS)));
    else if (option.is_ok() || option.code() != Errno::enoent)
        printk("maxcpus: not a number of harts (1..{}); ignored\n", MAX_HARTS);
    smp_discover(fdt, s_boot.hart_id, max_harts);
}

static void init_memory()
{
    if (auto r = mm::vm_map_ram(s_boot.ram); r.is_error())
        boot_fail("direct map", r.error().what);

    // RAM minus /reserved-memory, /memreserve/, the kernel, the device tree
    // and the initrd. If the reserved ranges cannot be read, refuse to boot:
    // handing firmware's memory to the allocator would crash much later.
    auto computed = lib::board::usable_memory(*s_boot.fdt, s_boot.load_pa, s_boot.image_size, s_boot.dtb_pa,
                                              s_boot.fdt->total_size());
    if (computed.is_error())
        boot_fail("memory map", computed.error().what);
    lib::RangeList usable = computed.value();

    u64 ram_base = s_boot.ram[0].base, ram_end = s_boot.ram[s_boot.ram.count() - 1].end();
    if (auto r = mm::page_alloc_init(usable, ram_base, ram_end); r.is_error())
        boot_fail("page allocator", r.error().what);
    mm::kmalloc_init();
    if (auto r = mm::vm_init(); r.is_error())
        boot_fail("kernel page tables", r.error().what);
    if (auto r = mm::address_space_init(); r.is_error())
        boot_fail("user address spaces", r.error().what);
    // fork=copy: eager fork copies, only to measure what copy-on-write saves.
    if (auto fork = boot_option("fork"); fork && *fork == lib::StringView("copy", 4))
        mm::set_eager_fork(true);
    mm::mm_check_init(s_boot.cmdline);
}

static void print_boot_log()
{
    arch::print_firmware_info();
    printk("boot hart {} ({} usable hart(s) in the device tree), device tree at {:#x} ({} bytes)\n",
           s_boot.hart_id, s_boot.usable_harts, s_boot.dtb_pa, s_boot.fdt->total_size());
    printk("kernel image at {:#x}, {} KiB\n", s_boot.load_pa, s_boot.image_size / 1024);
    for (usize i = 0; i < s_boot.ram.count(); ++i)
        printk("RAM      [{:#012x}-{:#012x}] {} MiB\n", s_boot.ram[i].base, s_boot.ram[i].end() - 1,
               s_boot.ram[i].size >> 20);
    for (usize i = 0; i < s_boot.reserved.count(); ++i)
        printk("reserved [{:#012x}-{:#012x}] {} KiB\n", s_boot.reserved[i].base, s_boot.reserved[i].end() - 1,
               s_boot.reserved[i].size >> 10);
    if (s_boot.initrd)
        printk("initrd   [{:#012x}-{:#012x}]\n", s_boot.initrd->base, s_boot.initrd->end() - 1);
    auto args = s_boot.fdt->bootargs();
    printk("command line: \"{}\"\n", args ? *args : lib::StringView(""));
    printk("timebase {} Hz, timer via {}, tick {} ms\n", s_boot.timebase_hz, arch::timer_mechanism(),
           tick_period_ns() / 1000000);
    auto pages = mm::page_stats();
    printk("memory: {} pages free of {} ({} MiB), {} pages of page metadata\n", pages.free, pages.total,
           pages.total * mm::PAGE_SIZE >> 20, pages.metadata);
}

// The test-only panic trigger (panic_test=fault): a store to an unmapped
// kernel address, outside any fixup. Kept out of line so the backtrace
// shows it by name.
[[gnu::noinline]] static void panic_test_fault_store()
{
    *reinterpret_cast<volatile u64*>(0xfffffff000000008ull) = 1;
}

// panic_test=stack_overflow: unbounded recursion on a process kernel stack
// (with its guard below), which must end in a panic report, not a hang.
constinit volatile u64 s_recursion_limit = ~0ull; // never reached: the stack runs out first

[[gnu::noinline]] static u64 panic_test_recurse(u64 depth)
{
    volatile u8 local[512];
    local[0] = u8(depth);
    if (depth >= s_recursion_limit)
        return local[0];
    return panic_test_recurse(depth + 1) + local[0];
}

static void panic_test_overflow_entry() { (void)panic_test_recurse(0); }

// Not protected by the stack protector (hardened kernel): it seeds the
// canary, twice, while it is the only frame on the stack.
extern "C" [[noreturn, gnu::no_stack_protector]] void kernel_main(u64 hart_id, u64 dtb_pa, u64 load_pa)
{
#ifdef MYRIAD_HARDENING
    hardening::stack_protector_seed_early(hart_id ^ (dtb_pa << 8) ^ (load_pa << 24));
#endif
    hart_by_index(0).hart_id = hart_id; // the boot hart is index 0
    arch::set_this_hart(&hart_by_index(0));
    s_boot.entry_time = arch::read_time();
    s_boot.entry_instret = arch::read_instret();
    s_boot.hart_id = hart_id;
    s_boot.dtb_pa = dtb_pa;
    s_boot.load_pa = load_pa;
    s_boot.image_size = u64(__kernel_end) - u64(__kernel_start);

    arch::firmware_probe();
    printk("Myriad (RISC-V, Sv39) booting on hart {}\n", hart_id);
    parse_device_tree();
    time_init(s_boot.timebase_hz, 0);
    init_memory();

    drivers::probe_interrupt_controller(*s_boot.fdt, hart_id);
    drivers::probe_console(*s_boot.fdt);
    drivers::probe_power(*s_boot.fdt);
    drivers::probe_rtc(*s_boot.fdt);
    if (auto seed = s_boot.fdt->rng_seed())
        random_init(static_cast<const u8*>(seed->data()), seed->size());
    else
        random_init(nullptr, 0);
#ifdef MYRIAD_HARDENING
    hardening::stack_protector_seed();
#endif

    // User mode may read the counters (benchmarks): time, cycle, instret.
    arch::enable_user_counters();
    arch::timer_init(s_boot.sstc);
    u64 tick_ms = 10;
    if (auto option = s_boot.cmdline.get_u64("tick_ms"); option.is_ok() && option.value() >= 1 &&
                                                          option.value() <= 1000)
        tick_ms = option.value();
    else if (option.is_ok())
        printk("tick_ms={} is out of range (1..1000); using 10\n", option.value());
    else if (option.code() != Errno::enoent)
        printk("tick_ms={}: {}; using 10\n", *s_boot.cmdline.get("tick_ms"), option.error().what);
    tick_start(tick_ms * 1000000);
    arch::enable_external_interrupts();
    arch::interrupts_enable();

    print_boot_log();
    printk("boot took {} ms since reset, {} ms in the kernel, {} instructions in the kernel\n",
           counter_to_ns(arch::read_time()) / 1000000, counter_to_ns(arch::read_time() - s_boot.entry_time) / 1000000,
           arch::read_instret() - s_boot.entry_instret);
    smp_start_others(s_boot.load_pa);
    printk("kernel ready ({} instructions since reset)\n", arch::read_instret());

    if (auto what = s_boot.cmdline.get("panic_test")) {
        if (*what == lib::StringView("fault"))
            panic_test_fault_store();
        if (*what == lib::StringView("stack_overflow")) {
            auto stack = alloc_kernel_stack();
            if (stack.is_ok())
                arch::call_on_stack(panic_test_overflow_entry, stack->top);
        }
#ifdef MYRIAD_HARDENING
        (void)hardening::run_panic_test(*what);
#endif
        printk("panic_test={}: unknown kind (known: fault, stack_overflow)\n", *what);
    }
    if (s_boot.cmdline.has("ktest")) {
        auto filter = s_boot.cmdline.get("ktest");
        int failed = ktest::run(filter ? *filter : lib::StringView());
        printk("ktest: {} failed case(s); powering off\n", failed);
        power_off(failed == 0 ? 0 : 1);
    }
    process_init();
    scheduler_init(tick_period_ns());
    tty_init();
    initramfs_init(initramfs_start, usize(initramfs_end - initramfs_start),
                   s_boot.initrd ? mm::phys_to_virt(PhysAddr{s_boot.initrd->base}) : nullptr,
                   s_boot.initrd ? s_boot.initrd->size : 0);
    fs::vfs_init();
    fs::populate_from_boot_files();
    auto init_path = s_boot.cmdline.get("init");
    lib::StringView path = init_path ? *init_path : lib::StringView("/sbin/init");
    if (auto started = start_init(path); started.is_error()) {
        printk("cannot start init {}: {} ({}); staying in the kernel monitor\n", path,
               errno_name(started.code()), started.error().what ? started.error().what : "");
        monitor_run();
    }
    printk("scheduler: {} policy; starting {} as pid 1\n", scheduler_policy().name(), path);
    tty_attach_console_input();
    smp_scheduler_ready();
    scheduler_run_idle();
}

} // namespace kernel
