// Loading an executable and building its initial stack.
#include "kernel/exec.hpp"
#include "kernel/fs/permission.hpp"
#include "arch/arch.hpp"
#include "kernel/boot.hpp"
#include "kernel/fs/file.hpp"
#include "kernel/fs/path.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/random.hpp"
#include "kernel/time.hpp"
#include "kernel/trap/trap.hpp"
#include "kernel/process/posix_timer.hpp"
#include "kernel/process/process.hpp"
#include "lib/elf.hpp"
#include "lib/scope_guard.hpp"
#include "lib/shebang.hpp"

namespace kernel {

namespace {
// Where a position-independent program is placed: Linux's ELF_ET_DYN_BASE
// for riscv64 with Sv39, two thirds of the 256 GiB user half.
constexpr u64 ET_DYN_BASE = 0x2aaaaaa000ull;
} // namespace

Result<void> ExecArgs::append(const char* s, usize n)
{
    if (n + 1 > MAX_ARG_STRLEN || length + n + 1 > limit)
        return Errno::e2big;
    Chunk* last = chunk_count ? &chunks[chunk_count - 1] : nullptr;
    if (!last || last->used + n + 1 > last->capacity) {
        if (last && last->used + n + 1 <= k_chunk_max) {
            // Grow the last chunk (capacities are powers of two up to k_chunk_max).
            usize capacity = last->capacity * 2;
            while (capacity < last->used + n + 1)
                capacity *= 2;
            auto* grown = static_cast<char*>(mm::kmalloc(capacity));
            if (!grown)
                return Errno::enomem;
            __builtin_memcpy(grown, last->data, last->used);
            mm::kfree(last->data);
            last->data = grown;
            last->capacity = capacity;
        } else {
            if (chunk_count == k_max_chunks)
                return Errno::e2big; // not reached within Linux's limits
            usize capacity = 4096;
            while (capacity < n + 1)
                capacity *= 2;
            auto* data = static_cast<char*>(mm::kmalloc(capacity));
            if (!data)
                return Errno::enomem;
            last = &chunks[chunk_count++];
            *last = {data, 0, capacity};
        }
    }
    __builtin_memcpy(last->data + last->used, s, n);
    last->data[last->used + n] = 0;
    last->used += n + 1;
    length += n + 1;
    return {};
}

void ExecArgs::release()
{
    for (usize c = 0; c < chunk_count; ++c)
        mm::kfree(chunks[c].data);
    *this = {};
}

static Result<void> collect_array(u64 user_array, ExecArgs& args, u32& count)
{
    if (!user_array)
        return {}; // Linux accepts NULL as an empty array
    char* scratch = static_cast<char*>(mm::kmalloc(MAX_ARG_STRLEN));
    if (!scratch)
        return Errno::enomem;
    lib::ScopeGuard free_scratch([&] { mm::kfree(scratch); });
    for (;;) {
        auto pointer = mm::read_user<u64>(user_array + 8 * u64(count));
        if (pointer.is_error())
            return Errno::efault;
        if (pointer.value() == 0)
            return {};
        auto n = mm::copy_string_from_user(scratch, pointer.value(), MAX_ARG_STRLEN);
        if (n.is_error())
            return n.code() == Errno::enametoolong ? lib::Error{Errno::e2big} : n.error();
        TRY(args.append(scratch, n.value()));
        ++count;
    }
}

// The number of pointers before the NULL ending a user vector; E2BIG once
// their size alone is past `limit` (Linux counts to MAX_ARG_STRINGS first,
// then bprm_stack_limits gives the same E2BIG).
static Result<u64> count_array(u64 user_array, u64 limit)
{
    if (!user_array)
        return u64(0);
    for (u64 count = 0;; ++count) {
        if (count >= MAX_ARG_STRINGS || 8 * count >= limit)
            return Errno::e2big;
        auto pointer = mm::read_user<u64>(user_array + 8 * count);
        if (pointer.is_error())
            return Errno::efault;
        if (pointer.value() == 0)
            return count;
    }
}

Result<void> collect_user_args(u64 user_argv, u64 user_envp, ExecArgs& args)
{
    u64 limit = exec_arg_limit(current_process().rlimit_cur[3]); // RLIMIT_STACK
    u64 argc = TRY(count_array(user_argv, limit));
    u64 envc = TRY(count_array(user_envp, limit));
    u64 pointers = 8 * (lib::max<u64>(argc, 1) + envc);
    if (limit <= pointers)
        return Errno::e2big;
    args.limit = limit - pointers;
    TRY(collect_array(user_argv, args, args.argc));
    TRY(collect_array(user_envp, args, args.envc));
    return {};
}

namespace {

// ELF p_flags to PROT_*.
u32 prot_of(u32 flags)
{
    return ((flags & lib::elf::k_pf_r) ? mm::PROT_READ : 0) | ((flags & lib::elf::k_pf_w) ? mm::PROT_WRITE : 0) |
           ((flags & lib::elf::k_pf_x) ? mm::PROT_EXEC : 0);
}

// The ISA letters of the boot hart's riscv,isa base, as AT_HWCAP bits
// (Linux: bit (letter - 'a') for each single-letter extension). Read from
// the device tree once: walking it costs more than the rest of an exec.
constinit u64 s_hwcap = 0;
constinit bool s_hwcap_known = false;

u64 hwcap()
{
    if (s_hwcap_known)
        return s_hwcap;
    u64 bits = 0;
    const auto& boot = boot_info();
    auto h = boot.fdt->find_hart(boot.hart_id);
    if (h.is_ok()) {
        lib::StringView isa = h.value().isa;
        for (usize i = 4; i < isa.length() && isa[i] != '_'; ++i) // skip "rv64"
            if (isa[i] >= 'a' && isa[i] <= 'z')
                bits |= 1ull << (isa[i] - 'a');
    }
    s_hwcap = bits;
    s_hwcap_known = true;
    return bits;
}

// Maps each PT_LOAD segment without reading it (demand paging): its
// pages come from the file's page cache on first touch, shared by every
// process running the program while they are only read; writes to a
// writable segment copy the page; bss is zero-fill.
// Every address of the image is moved by `bias` (0 for ET_EXEC; for
// ET_DYN where the kernel placed it).
Result<void> load_segments(mm::AddressSpace& as, fs::Inode& file, const lib::elf::Image& image, u64 bias, u64& brk)
{
    u64 previous_end = 0;
    for (usize i = 0; i < image.load_count(); ++i) {
        const lib::elf::Segment& s = image.load(i);
        if ((s.vaddr - s.offset) % mm::PAGE_SIZE)
            return Errno::einval; // Linux: the segment cannot be mmapped
        u64 vaddr = s.vaddr + bias;
        u64 start = lib::align_down(vaddr, mm::PAGE_SIZE);
        u64 end = lib::align_up(s.end() + bias, mm::PAGE_SIZE);
        mm::Region region{start, end, prot_of(s.flags), mm::RegionKind::Image};
        if (s.filesz > 0) {
            region.file = &file;
            region.offset = lib::align_down(s.offset, mm::PAGE_SIZE);
            region.file_end = s.memsz > s.filesz ? vaddr + s.filesz : ~0ull;
        }
        if (start < previous_end) {
            // Two segments share a page: that page takes both permissions
            // (and this segment's view of the file, which holds both).
            mm::Region page = region;
            page.end = start + mm::PAGE_SIZE;
            {
                MutexGuard guard(as.lock()); // the space is not yet in use: for the rule's sake
                const mm::Region* earlier = as.find_region(start);
                page.prot |= earlier ? earlier->prot : 0;
            }
            TRY(as.unmap(start, mm::PAGE_SIZE));
            TRY(as.add_file_region(page));
            region.start += mm::PAGE_SIZE;
            region.offset += mm::PAGE_SIZE;
        }
        if (region.start < region.end)
            TRY(as.add_file_region(region));
        previous_end = lib::max(previous_end, end);
    }
    brk = previous_end;
    return {};
}

// An ELF image parsed into kmalloc'd memory, not kept in exec_image's
// frame or the loader's under it (an Image is over 1 KiB; the kernel-stack
// depth of execve is CTest kstack.depth's deepest). `bad` when it is not
// a loadable ELF file: ENOEXEC for the program, ELIBBAD for its loader.
[[gnu::noinline]] Result<lib::elf::Image*> parse_on_heap(const u8* data, u64 size, Errno bad)
{
    auto parsed = lib::elf::parse(data, size);
    if (parsed.is_error())
        return bad;
    auto* image = mm::make<lib::elf::Image>(parsed.value());
    if (!image)
        return Errno::enomem;
    return image;
}

// The dynamic loader named by PT_INTERP, mapped into `as` below the top
// of the mmap area (Linux maps it with mmap, top-down): its entry point,
// and its load bias for AT_BASE. ELIBBAD (as Linux) when it is not a
// loadable ELF or wants a loader itself; ENOENT/EACCES as for exec.
Result<u64> load_interpreter(mm::AddressSpace& as, Process& p, lib::StringView path, u64& bias)
{
    fs::Inode* inode;
    {
        MutexGuard guard(fs::vfs_lock());
        inode = TRY(fs::resolve_vfs_locked(p.cwd ? *p.cwd : *fs::root(), path, true));
        if (!inode->is_regular())
            return Errno::eacces;
        TRY(fs::check_permission(*inode, fs::MAY_EXEC));
        ++inode->open_refs; // kept while it is read; its regions take their own
    }
    lib::ScopeGuard unref([inode] { fs::inode_unref(*inode); });
    bool must_free = false;
    const u8* data = TRY(fs::contiguous_contents(*inode, must_free));
    lib::ScopeGuard free_copy([&] {
        if (must_free)
            mm::kfree(const_cast<u8*>(data));
    });
    lib::elf::Image* parsed = TRY(parse_on_heap(data, inode->size, Errno::elibbad));
    lib::ScopeGuard free_parsed([parsed] { mm::destroy(parsed); });
    const lib::elf::Image& interp = *parsed;
    if (interp.has_interp())
        return Errno::elibbad;
    bias = 0;
    if (interp.is_position_independent()) {
        u64 align = lib::max<u64>(interp.max_align(), mm::PAGE_SIZE);
        u64 span = lib::align_up(interp.max_vaddr() - lib::align_down(interp.min_vaddr(), align), mm::PAGE_SIZE);
        u64 at = TRY(as.unmapped_area(span + align));
        bias = lib::align_up(at, align) - lib::align_down(interp.min_vaddr(), align);
    }
    if (interp.check_user_range(mm::USER_MMAP_TOP, bias).is_error())
        return Errno::elibbad;
    u64 end = 0;
    TRY(load_segments(as, *inode, interp, bias, end));
    return interp.entry() + bias;
}

struct StackBuilder {
    mm::AddressSpace& as;
    u64 sp;

    Result<u64> push_bytes(const void* data, usize n)
    {
        sp -= n;
        TRY(as.write(sp, data, n));
        return sp;
    }

    // The argument strings, contiguous on the stack in their order.
    Result<u64> push_chunks(const ExecArgs& args)
    {
        sp -= args.length;
        u64 at = sp;
        for (usize c = 0; c < args.chunk_count; ++c) {
            TRY(as.write(at, args.chunks[c].data, args.chunks[c].used));
            at += args.chunks[c].used;
        }
        return sp;
    }
};

} // namespace

static Result<void> exec_image(Thread& t, lib::StringView path, const ExecArgs& args, fs::Inode& file,
                               const u8* data, u64 size);
static Result<void> exec_depth(Thread& t, lib::StringView path, const ExecArgs& args, int depth);

// "#!interpreter [one argument]" (Linux binfmt_script; the line is read
// by lib/shebang): the new argv is interpreter, the optional argument, the
// script's path, then the old argv without its argv[0].
static Result<void> exec_script(Thread& t, lib::StringView path, const ExecArgs& args, const u8* data, u64 size,
                                int depth)
{
    if (depth >= 4)
        return Errno::eloop; // Linux: BINPRM_MAX_RECURSION levels of interpreters
    auto line = lib::shebang::parse(data, size);
    if (line.is_error())
        return line.error();
    lib::StringView interpreter = line->interpreter;
    if (interpreter.is_empty())
        return Errno::eacces; // Linux opens the empty name: EACCES (tests/host/shebang_test.cpp)
    char interp[lib::shebang::k_buffer_size];
    usize interp_length = interpreter.length();
    __builtin_memcpy(interp, interpreter.data(), interp_length);
    interp[interp_length] = 0;

    ExecArgs next;
    next.limit = args.limit; // Linux keeps the limit exec started with (bprm->argmin)
    auto r = next.append(interp, interp_length);
    next.argc = 1;
    if (r.is_ok() && line->has_argument) {
        r = next.append(line->argument.data(), line->argument.length());
        ++next.argc;
    }
    if (r.is_ok()) {
        r = next.append(path.data(), path.length());
        ++next.argc;
    }
    args.for_each_string([&](u32 k, const char* s, usize n) {
        if (r.is_error())
            return false;
        if (k >= 1 || args.argc == 0) { // drop argv[0], never envp[0]
            r = next.append(s, n);
            if (k < args.argc)
                ++next.argc;
            else
                ++next.envc;
        }
        return true;
    });
    if (r.is_ok())
        r = exec_depth(t, lib::StringView(interp, interp_length), next, depth + 1);
    next.release();
    return r;
}

static Result<void> exec_depth(Thread& t, lib::StringView path, const ExecArgs& args, int depth)
{
    Process& p = *t.process;
    fs::Inode* inode;
    {
        MutexGuard guard(fs::vfs_lock());
        inode = TRY(fs::resolve_vfs_locked(p.cwd ? *p.cwd : *fs::root(), path, true));
        if (!inode->is_regular())
            return Errno::eacces; // directories, devices: not executable
        TRY(fs::check_permission(*inode, fs::MAY_EXEC)); // root too needs an x bit
        ++inode->open_refs; // keep it while we read it
    }
    bool must_free = false;
    auto contents = fs::contiguous_contents(*inode, must_free);
    u64 size = inode->size;
    Result<void> result = Errno::enoexec;
    if (contents.is_error())
        result = contents.error();
    else if (lib::shebang::is_script(contents.value(), size))
        result = exec_script(t, path, args, contents.value(), size, depth);
    else
        result = exec_image(t, path, args, *inode, contents.value(), size);
    if (must_free)
        mm::kfree(const_cast<u8*>(contents.value()));
    fs::inode_unref(*inode);
    return result;
}

Result<void> exec_into(Thread& t, lib::StringView path, const ExecArgs& args) { return exec_depth(t, path, args, 0); }

// The credentials a new image runs with (execve(2), capabilities(7)): a
// set-user-ID (set-group-ID) file's owner (group) becomes the effective
// id, unless no_new_privs; the saved and filesystem ids follow the
// effective ones. Without file capabilities, a process whose real or
// effective uid is 0 gets every capability permitted (effective too if
// the effective uid is 0), any other none. A process that gained ids or
// capabilities is not dumpable; any other is again (Linux's
// is_dumpability_changed).
static void exec_credentials_proc_locked(Process& p, const fs::Inode& file, bool no_new_privs)
{
    process_lock().assert_held();
    Credentials& c = p.creds;
    Credentials before = c;
    if (!no_new_privs && (file.mode & fs::S_ISUID))
        c.euid = file.uid;
    if (!no_new_privs && (file.mode & (fs::S_ISGID | fs::S_IXGRP)) == (fs::S_ISGID | fs::S_IXGRP))
        c.egid = file.gid;
    c.suid = c.fsuid = c.euid;
    c.sgid = c.fsgid = c.egid;
    if (c.uid == 0 || c.euid == 0) {
        c.cap_permitted = CAP_FULL_SET;
        c.cap_effective = c.euid == 0 ? CAP_FULL_SET : 0;
    } else {
        c.cap_permitted = c.cap_effective = 0;
    }
    c.keep_caps = false;
    bool changed = c.euid != before.euid || c.egid != before.egid || c.fsuid != before.fsuid ||
                   c.fsgid != before.fsgid || (c.cap_permitted & ~before.cap_permitted);
    p.dumpable = changed ? 0 : 1;
}

static Result<void> exec_image(Thread& t, lib::StringView path, const ExecArgs& args, fs::Inode& file,
                               const u8* data, u64 size)
{
    Process& p = *t.process;
    lib::elf::Image* parsed = TRY(parse_on_heap(data, size, Errno::enoexec));
    lib::ScopeGuard free_parsed([parsed] { mm::destroy(parsed); });
    const lib::elf::Image& image = *parsed;
    // A position-independent program (ET_DYN: a PIE, a static-pie, or the
    // dynamic loader run by name) goes where Linux puts it on riscv64,
    // two thirds up the user half (ELF_ET_DYN_BASE), without
    // randomisation: runs repeat exactly (docs/userland.md).
    u64 bias = 0;
    if (image.is_position_independent())
        bias = lib::align_down(ET_DYN_BASE - image.min_vaddr(), lib::max<u64>(image.max_align(), mm::PAGE_SIZE));
    if (image.check_user_range(mm::USER_MMAP_TOP, bias).is_error())
        return Errno::enoexec;
    // The stack region is RLIMIT_STACK big (8 MiB by default, at least
    // 128 KiB, at most 1 GiB); touching below it is SIGSEGV, never a
    // neighbour: the heap stops STACK_GUARD_GAP short of it. A small one
    // sits at the top of the first GiB (sharing the program's level-1
    // table) when the program fits below it; else below the trampoline's GiB.
    u64 stack_size = lib::align_up(lib::max<u64>(128 * 1024, lib::min<u64>(p.rlimit_cur[3], 1ull << 30)), mm::PAGE_SIZE);
    u64 stack_top = mm::USER_STACK_TOP;
    if (stack_size <= mm::USER_LOW_STACK_MAX &&
        image.check_user_range(mm::USER_LOW_STACK_TOP - stack_size - mm::STACK_GUARD_GAP, bias).is_ok())
        stack_top = mm::USER_LOW_STACK_TOP;
    else if (image.check_user_range(stack_top - stack_size - mm::STACK_GUARD_GAP, bias).is_error())
        return Errno::enoexec;

    mm::AddressSpace* as = TRY(mm::AddressSpace::create());
    lib::ArmedScopeGuard destroy_new_space([as] { mm::AddressSpace::destroy(as); });
    u64 brk = 0;
    if (auto r = load_segments(*as, file, image, bias, brk); r.is_error())
        return r.code();
    as->set_heap_start(brk);
    // PT_INTERP: the dynamic loader goes below the mmap area's top, as
    // Linux maps it; it starts first and finds the program through auxv.
    u64 interp_bias = 0, entry = image.entry() + bias;
    if (image.has_interp())
        entry = TRY(load_interpreter(*as, p, image.interp(), interp_bias));
    if (as->add_region(stack_top - stack_size, stack_top,
                       mm::PROT_READ | mm::PROT_WRITE | (image.stack_executable() ? mm::PROT_EXEC : 0),
                       mm::RegionKind::Stack)
            .is_error())
        return Errno::enomem;

    // The stack, top down (Linux fs/binfmt_elf.c create_elf_tables):
    // execfn, the argv and envp strings, 16 random bytes, then aligned to
    // 16: argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL.
    StackBuilder stack{*as, stack_top};
    u64 execfn = 0, strings = 0, random = 0;
    {
        char zero = 0;
        auto r1 = stack.push_bytes(&zero, 1);
        auto r2 = r1.is_ok() ? stack.push_bytes(path.data(), path.length()) : r1;
        auto r3 = r2.is_ok() ? stack.push_chunks(args) : r2;
        u8 seed[16];
        random_fill(seed, sizeof(seed));
        stack.sp &= ~u64(15);
        auto r4 = r3.is_ok() ? stack.push_bytes(seed, sizeof(seed)) : r3;
        if (r4.is_error())
            return r4.code();
        execfn = r2.value();
        strings = r3.value();
        random = r4.value();
    }
    u64 auxv[][2] = {
        {3, image.has_phdr_vaddr() ? image.phdr_vaddr() + bias : 0}, // AT_PHDR
        {4, image.phentsize()},                                      // AT_PHENT
        {5, image.phnum()},                                          // AT_PHNUM
        {6, mm::PAGE_SIZE},                                          // AT_PAGESZ
        {7, interp_bias},                                            // AT_BASE: the loader's (0: none)
        {8, 0},                                                      // AT_FLAGS
        {9, image.entry() + bias},                                   // AT_ENTRY: the program's
        {11, 0}, {12, 0}, {13, 0}, {14, 0},                   // AT_UID, AT_EUID, AT_GID, AT_EGID
        {16, hwcap()},                                        // AT_HWCAP
        {17, 100},                                            // AT_CLKTCK (USER_HZ)
        {23, 0},                                              // AT_SECURE
        {25, random},                                         // AT_RANDOM
        {31, execfn},                                         // AT_EXECFN
        {0, 0},                                               // AT_NULL
    };
    u64 words = 1 + args.argc + 1 + args.envc + 1 + 2 * (sizeof(auxv) / sizeof(auxv[0]));
    u64 base = (stack.sp - words * 8) & ~u64(15);
    u64* table = static_cast<u64*>(mm::kmalloc(words * 8));
    if (!table)
        return Errno::enomem;
    usize w = 0;
    table[w++] = args.argc;
    u64 at = strings;
    args.for_each_string([&](u32 i, const char*, usize n) {
        table[w++] = at;
        at += n + 1;
        if (i + 1 == args.argc)
            table[w++] = 0; // argv's NULL
        return true;
    });
    if (args.argc == 0)
        table[w++] = 0; // argv's NULL for an empty argv
    table[w++] = 0;     // envp's NULL
    for (auto& pair : auxv) {
        table[w++] = pair[0];
        table[w++] = pair[1];
    }
    auto written = as->write(base, table, words * 8);
    mm::kfree(table);
    if (written.is_error())
        return written.code();

    // The point of no return: the process's other threads go (an exec
    // from any thread ends them all, and the caller takes the pid). When
    // the process is dying anyway, the new image goes instead, and the
    // SIGKILL already pending ends the caller on its way out.
    const bool running = &t == &current_thread(); // not init, built before it runs
    if (running && !exec_become_sole_thread())
        return Errno::eintr;
    // Commit: nothing below can fail. (Code pages are fenced for
    // instruction fetch as they fault in.)
    destroy_new_space.disarm();
    posix_timers_release(p); // timers do not survive exec (execve(2))
    mm::AddressSpace* old;
    {
        // /proc readers take a reference to the space under the lock.
        SpinLockGuard guard(process_lock());
        old = p.address_space;
        p.address_space = as;
    }
    if (running)
        as->activate();
    if (old)
        mm::AddressSpace::release(old); // a vfork parent keeps its own
    release_vfork_parent(p);
    t.frame.start_user(entry, base);
    static_assert(sizeof(auxv) / sizeof(u64) <= Process::AUXV_WORDS);
    __builtin_memcpy(p.saved_auxv, auxv, sizeof(auxv));
    p.saved_auxv_words = sizeof(auxv) / sizeof(u64);
    t.fp = {};
    fp_forget(t);
    t.clear_child_tid = 0;
    t.robust_list = 0;
    {
        // Senders read the dispositions under the lock (process.hpp [own]).
        SpinLockGuard guard(process_lock());
        // Handlers do not survive exec (their code is gone); ignored signals stay ignored.
        for (int i = 0; i < 64; ++i)
            if (p.signals_caught & (1ull << i))
                p.actions[i] = {};
        p.signals_caught = 0;
        p.execed = true;
        exec_credentials_proc_locked(p, file, t.no_new_privs);
    }
    if (p.files)
        p.files->close_on_exec();
    // /proc's cmdline keeps the first bytes of argv, all in the first chunk.
    usize argv_bytes = 0;
    args.for_each_string([&](u32 i, const char*, usize n) {
        if (i >= args.argc)
            return false;
        argv_bytes += n + 1;
        return true;
    });
    const char* first = args.chunk_count ? args.chunks[0].data : "";
    set_process_name(p, path, first, args.chunk_count ? lib::min(argv_bytes, args.chunks[0].used) : 0);
    {
        SpinLockGuard guard(process_lock());
        __builtin_memcpy(t.name, p.name, sizeof(t.name));
    }
    return {};
}

} // namespace kernel
