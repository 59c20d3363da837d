// Writing a core file. The layout is Linux's for riscv64 (fs/binfmt_elf.c,
// elf_core_dump): the ELF header, one PT_NOTE, then a PT_LOAD per region
// in address order; the notes (owner "CORE") are NT_PRSTATUS of the
// dumping thread, NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE, its
// NT_PRFPREG, then NT_PRSTATUS and NT_PRFPREG of each other thread; the
// segments' bytes start at the next page boundary. It runs in the dumping
// thread, which may sleep: the address-space and VFS mutexes, never a
// spinlock while memory or the file is touched.
#include "kernel/fs/fs_info.hpp"
#include "kernel/fs/inode.hpp"
#include "kernel/fs/path.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/printk.hpp"
#include "kernel/process/coredump_internal.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/wallclock.hpp"
#include "lib/format.hpp"
#include "lib/scope_guard.hpp"

namespace kernel {

namespace {

constexpr unsigned RLIMIT_CORE = 4; // include/uapi/asm-generic/resource.h
constexpr u64 PAGE = arch::PAGE_SIZE;

// ELF (System V gABI, "ELF Header", "Program Header", "Note Section").
struct Elf64Ehdr {
    u8 ident[16];
    u16 type, machine;
    u32 version;
    u64 entry, phoff, shoff;
    u32 flags;
    u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
static_assert(sizeof(Elf64Ehdr) == 64);
struct Elf64Phdr {
    u32 type, flags;
    u64 offset, vaddr, paddr, filesz, memsz, align;
};
static_assert(sizeof(Elf64Phdr) == 56);
constexpr u16 ET_CORE = 4;
constexpr u32 PT_LOAD = 1, PT_NOTE = 4, PF_X = 1, PF_W = 2, PF_R = 4;
// Note types (include/uapi/linux/elf.h).
constexpr u32 NT_PRSTATUS = 1, NT_PRFPREG = 2, NT_PRPSINFO = 3, NT_AUXV = 6, NT_SIGINFO = 0x53494749,
              NT_FILE = 0x46494c45;

// struct elf_prstatus for a 64-bit Linux (include/linux/elfcore.h).
struct ElfPrstatus {
    i32 si_signo, si_code, si_errno; // struct elf_siginfo
    i16 cursig;
    u16 pad0;
    u64 sigpend, sighold;
    i32 pid, ppid, pgrp, sid;
    i64 utime[2], stime[2], cutime[2], cstime[2]; // struct timeval each
    u64 regs[arch::CORE_GREGS];
    i32 fpvalid;
    i32 pad1;
};
static_assert(sizeof(ElfPrstatus) == 376);
// struct elf_prpsinfo (include/uapi/linux/elfcore.h), uid_t 32 bits.
struct ElfPrpsinfo {
    char state, sname, zomb, nice;
    u32 pad0;
    u64 flag;
    u32 uid, gid;
    i32 pid, ppid, pgrp, sid;
    char fname[16];
    char psargs[80]; // ELF_PRARGSZ
};
static_assert(sizeof(ElfPrpsinfo) == 136);
// siginfo_t as the kernel lays it out for 64-bit (asm-generic/siginfo.h).
struct LinuxSiginfo {
    i32 signo, errno_value, code, pad;
    union {
        u64 address;      // SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP
        struct {
            i32 pid;
            u32 uid;
        } kill;
        u8 raw[112];
    };
};
static_assert(sizeof(LinuxSiginfo) == 128);

// The core's name, from the pattern (core(5)): %p/%P the pid, %i/%I the
// tid, %e the command name, %s the signal, %t the time of dump (seconds
// since the Epoch), %h the hostname, %u/%g the (root) ids, %c the core
// limit, %d the dumpable mode, %% a '%'; an unknown or trailing '%' is
// dropped, as Linux does. core_uses_pid without %p adds ".PID".
struct NameSink final : lib::FormatSink {
    char* out;
    usize capacity, length = 0;
    bool overflow = false;
    NameSink(char* o, usize c) : out(o), capacity(c) {}
    void put(char c)
    {
        if (length + 1 < capacity)
            out[length++] = c;
        else
            overflow = true;
    }
    void write(const char* s, usize n) override
    {
        for (usize i = 0; i < n; ++i)
            put(s[i]);
    }
};

bool expand_pattern(char* out, usize capacity, const char* pattern, bool uses_pid, const Process& p, int sig)
{
    NameSink sink(out, capacity);
    bool pid_seen = false;
    for (const char* c = pattern; *c; ++c) {
        if (*c != '%') {
            sink.put(*c);
            continue;
        }
        if (!*++c)
            break;
        switch (*c) {
        case '%': sink.put('%'); break;
        case 'p':
        case 'P':
            pid_seen = true;
            lib::format(sink, "{}", p.pid);
            break;
        case 'i':
        case 'I': lib::format(sink, "{}", current_thread().tid); break;
        case 'e':
            for (const char* n = p.name; *n; ++n)
                sink.put(*n == '/' ? '!' : *n);
            break;
        case 's': lib::format(sink, "{}", sig); break;
        case 't': lib::format(sink, "{}", wallclock_ns() / 1000000000ull); break;
        case 'h': lib::format(sink, "myriad"); break; // uname's nodename
        case 'u':
        case 'g': sink.put('0'); break;
        case 'c': lib::format(sink, "{}", p.rlimit_cur[RLIMIT_CORE]); break;
        case 'd': lib::format(sink, "{}", p.dumpable); break;
        default: break;
        }
    }
    if (uses_pid && !pid_seen)
        lib::format(sink, ".{}", p.pid);
    out[sink.length] = 0;
    return !sink.overflow && sink.length > 0;
}

// Where the core goes: the pattern's file, relative to the cwd, made
// afresh (an old file of that name is unlinked first, as Linux does, so
// a hard link elsewhere never receives the core), mode 0600 less the
// umask. Only on the RAM filesystem: not in /proc, /sys or /dev.
Result<fs::Inode*> create_core_file(Process& p, const char* path)
{
    using namespace fs;
    MutexGuard guard(vfs_lock());
    Inode* start = path[0] == '/' ? root() : p.cwd;
    if (!start)
        return Errno::enoent;
    auto where = TRY(resolve_parent_vfs_locked(*start, lib::StringView(path)));
    if (where.name.is_empty() || where.trailing_slash || where.name == lib::StringView(".") ||
        where.name == lib::StringView(".."))
        return Errno::einval;
    if (fs_kind_vfs_locked(*where.parent) != FsKind::root)
        return Errno::eacces;
    if (auto old = lookup_child_vfs_locked(*where.parent, where.name); old.is_ok()) {
        if (!old.value()->is_regular())
            return Errno::eexist;
        TRY(unlink_child_vfs_locked(*where.parent, where.name));
    }
    Inode* inode = TRY(new_inode_vfs_locked(S_IFREG | (0600 & ~p.umask)));
    if (auto r = link_vfs_locked(*where.parent, where.name, *inode); r.is_error()) {
        discard_if_unused_vfs_locked(*inode);
        return r.error();
    }
    ++inode->open_refs; // ours until the dump ends
    return inode;
}

// Writes at file offsets, never past RLIMIT_CORE: a write that would
// cross it ends the dump there (truncated), as Linux's dump_emit does; so
// does a write error (ENOSPC, ENOMEM).
struct CoreWriter {
    fs::Inode& file;
    u64 limit;
    u64 end = 0; // the furthest byte written
    bool stopped = false;
    Errno error{};

    bool emit(u64 offset, const void* data, usize length)
    {
        if (stopped)
            return false;
        if (offset + length > limit) {
            stopped = true;
            return false;
        }
        MutexGuard guard(fs::vfs_lock());
        auto r = fs::write_vfs_locked(file, offset, static_cast<const u8*>(data), length);
        if (r.is_error() || r.value() != length) {
            error = r.is_error() ? r.error().code : Errno::enospc;
            stopped = true;
            return false;
        }
        end = lib::max(end, offset + length);
        return true;
    }
};

// The notes, built in one kernel buffer: two passes, the first only
// measuring.
struct NoteBuilder {
    u8* buffer = nullptr; // null: measuring
    usize size = 0;

    void raw(const void* data, usize length)
    {
        if (buffer && data)
            __builtin_memcpy(buffer + size, data, length);
        else if (buffer)
            __builtin_memset(buffer + size, 0, length);
        size += length;
    }
    void pad4() { raw(nullptr, lib::align_up(size, 4) - size); }
    // Elf64_Nhdr, the owner "CORE" NUL-terminated and padded to 4, then
    // the descriptor padded to 4.
    void note(u32 type, const void* desc, usize length)
    {
        u32 header[3] = {5, u32(length), type};
        raw(header, sizeof(header));
        raw("CORE\0\0\0", 8);
        raw(desc, length);
        pad4();
    }
};

struct Segment {
    mm::Region region;
    u64 dump_end; // filesz = dump_end - start
    bool named;   // in NT_FILE
};

// Linux's vma_dump_size with the default coredump_filter (0x33): private
// anonymous memory and what a private mapping wrote (here: a writable
// private mapping, its file part and whatever became resident), shared
// anonymous memory, and the first page of a read-only file mapping that
// holds an ELF header; never other shared file mappings. Only up to the
// last resident page: an untouched tail is left out (filesz < memsz), so
// a huge sparse region costs nothing.
u64 dump_end_locked(const mm::AddressSpace& as, const mm::Region& r)
{
    if (r.shared())
        return (r.flags & mm::REGION_SHMEM) ? as.resident_end_locked(r) : r.start;
    if (!r.file || (r.prot & mm::PROT_WRITE))
        return as.resident_end_locked(r);
    return r.start; // a read-only file mapping: see elf_header_page below
}

bool elf_header_page(const mm::Region& r)
{
    if (r.offset != 0 || !(r.prot & mm::PROT_READ))
        return false;
    u8 magic[4] = {};
    {
        MutexGuard guard(fs::vfs_lock());
        if (fs::read_vfs_locked(*r.file, 0, magic, 4) != 4)
            return false;
    }
    return magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

// The paths of the file mappings (not shared anonymous memory) for
// NT_FILE, found by a walk of the tree, into `names`; a mapping of a file
// no name leads to any more, or past the buffer, is left out. Returns the
// bytes used.
usize collect_file_names(Segment* segments, usize segment_count, char* names, usize capacity)
{
    usize used = 0;
    MutexGuard guard(fs::vfs_lock());
    for (usize i = 0; i < segment_count; ++i) {
        const mm::Region& r = segments[i].region;
        segments[i].named = false;
        if (!r.file || (r.flags & mm::REGION_SHMEM) || used + 2 > capacity)
            continue;
        auto n = fs::any_path_of_vfs_locked(*r.file, names + used, capacity - used - 1);
        if (n.is_error())
            continue;
        names[used + n.value()] = 0;
        used += n.value() + 1;
        segments[i].named = true;
    }
    return used;
}

void build_notes(NoteBuilder& nb, const Process& p, const CoreDump& dump, const LinuxSiginfo& si, Pid ppid,
                 const Segment* segments, usize segment_count, const char* names, usize names_used)
{
    auto prstatus = [&](const CoreThread& t) {
        ElfPrstatus s{};
        s.cursig = i16(si.signo);
        s.si_signo = si.signo;
        s.sigpend = t.sigpend;
        s.sighold = t.sighold;
        s.pid = t.tid;
        s.ppid = ppid;
        s.pgrp = p.pgid;
        s.sid = p.sid;
        __builtin_memcpy(s.regs, t.gregs, sizeof(s.regs));
        s.fpvalid = t.fp_used;
        nb.note(NT_PRSTATUS, &s, sizeof(s));
    };
    const CoreThread& me = dump.threads[0];
    prstatus(me);

    ElfPrpsinfo ps{};
    ps.sname = 'R';
    ps.pid = p.pid;
    ps.ppid = ppid;
    ps.pgrp = p.pgid;
    ps.sid = p.sid;
    __builtin_memcpy(ps.fname, p.name, sizeof(ps.fname));
    usize args = lib::min(p.cmdline_length, sizeof(ps.psargs) - 1);
    for (usize i = 0; i < args; ++i)
        ps.psargs[i] = p.cmdline[i] ? p.cmdline[i] : ' '; // argv joined by spaces
    while (args > 0 && ps.psargs[args - 1] == ' ')
        ps.psargs[--args] = 0;
    nb.note(NT_PRPSINFO, &ps, sizeof(ps));
    nb.note(NT_SIGINFO, &si, sizeof(si));
    nb.note(NT_AUXV, p.saved_auxv, p.saved_auxv_words * sizeof(u64));

    // NT_FILE: count, page size, then (start, end, offset in pages) per
    // named file mapping, then their paths, NUL-terminated.
    u64 count = 0;
    for (usize i = 0; i < segment_count; ++i)
        count += segments[i].named;
    u32 header[3] = {5, u32(16 + count * 24 + names_used), NT_FILE};
    nb.raw(header, sizeof(header));
    nb.raw("CORE\0\0\0", 8);
    u64 head[2] = {count, PAGE};
    nb.raw(head, sizeof(head));
    for (usize i = 0; i < segment_count; ++i) {
        const mm::Region& r = segments[i].region;
        u64 triple[3] = {r.start, r.end, r.offset / PAGE};
        if (segments[i].named)
            nb.raw(triple, sizeof(triple));
    }
    nb.raw(names, names_used);
    nb.pad4();

    if (me.fp_used)
        nb.note(NT_PRFPREG, me.fpregs, sizeof(me.fpregs));
    for (u32 i = 1; i < dump.count; ++i) {
        prstatus(dump.threads[i]);
        if (dump.threads[i].fp_used)
            nb.note(NT_PRFPREG, dump.threads[i].fpregs, sizeof(dump.threads[i].fpregs));
    }
}

struct PageCtx {
    CoreWriter* writer;
    u64 file_base, start; // the segment's file offset and address
};

bool write_page(void* ctx, u64 va, const u8* page, usize valid)
{
    auto* c = static_cast<PageCtx*>(ctx);
    return c->writer->emit(c->file_base + (va - c->start), page, valid);
}

constexpr usize NAMES_CAPACITY = 16384; // NT_FILE's paths: more are left out

} // namespace

bool write_core(Process& p, const CoreDump& dump, const FatalSignal& f)
{
    LinuxSiginfo si{};
    si.signo = f.signal;
    si.code = f.code;
    if (f.fault)
        si.address = f.address;
    else
        si.kill.pid = f.sender;
    u64 limit = p.rlimit_cur[RLIMIT_CORE];
    char path[CORE_PATTERN_MAX + 64];
    {
        MutexGuard guard(fs::vfs_lock());
        const char* pattern = core_pattern_vfs_locked();
        if (pattern[0] == '|') {
            printk("pid {} ({}): core_pattern pipes to a program, which Myriad does not run: no core\n", p.pid,
                   p.name);
            return false;
        }
        if (!expand_pattern(path, sizeof(path), pattern, core_uses_pid_vfs_locked(), p, si.signo))
            return false;
    }
    auto created = create_core_file(p, path);
    if (created.is_error()) {
        printk("pid {} ({}): cannot create core file {}: errno {}\n", p.pid, p.name, path, int(created.error().code));
        return false;
    }
    fs::Inode& file = *created.value();
    lib::ScopeGuard close_file([&] { fs::inode_unref(file); });

    // The regions, copied (each file referenced) so the notes and the
    // headers can be built without the space's lock.
    mm::AddressSpace& as = *p.address_space;
    Segment* segments = nullptr;
    usize count = 0;
    for (;;) {
        usize want;
        {
            MutexGuard guard(as.lock());
            want = as.region_count();
        }
        segments = static_cast<Segment*>(mm::kmalloc(lib::max<usize>(want, 1) * sizeof(Segment)));
        if (!segments)
            return false;
        MutexGuard guard(as.lock());
        if (as.region_count() > want) { // a CLONE_VM sibling mapped meanwhile
            mm::kfree(segments);
            continue;
        }
        count = as.region_count();
        for (usize i = 0; i < count; ++i) {
            segments[i].region = as.region(i);
            mm::Region& r = segments[i].region;
            // A stack's segment is the part it grew to, as Linux's stack
            // VMA: from its lowest resident page up (the rest of the
            // reserved stack is nothing the program ever had).
            if (r.kind == mm::RegionKind::Stack && !r.file)
                r.start = lib::min(as.resident_start_locked(r), r.end - PAGE);
            segments[i].dump_end = dump_end_locked(as, r);
            if (segments[i].region.file)
                fs::inode_ref(*segments[i].region.file);
        }
        break;
    }
    lib::ScopeGuard free_segments([&] {
        for (usize i = 0; i < count; ++i)
            if (segments[i].region.file)
                fs::inode_unref(*segments[i].region.file);
        mm::kfree(segments);
    });
    for (usize i = 0; i < count; ++i)
        if (segments[i].dump_end == segments[i].region.start && segments[i].region.file &&
            !segments[i].region.shared() && elf_header_page(segments[i].region))
            segments[i].dump_end = segments[i].region.start + PAGE;

    auto* names = static_cast<char*>(mm::kmalloc(NAMES_CAPACITY));
    if (!names)
        return false;
    lib::ScopeGuard free_names([&] { mm::kfree(names); });
    usize names_used = collect_file_names(segments, count, names, NAMES_CAPACITY);
    Pid ppid;
    {
        SpinLockGuard guard(process_lock());
        ppid = p.parent ? p.parent->pid : 0;
    }
    NoteBuilder measure;
    build_notes(measure, p, dump, si, ppid, segments, count, names, names_used);
    NoteBuilder notes;
    notes.buffer = static_cast<u8*>(mm::kmalloc(measure.size));
    if (!notes.buffer)
        return false;
    lib::ScopeGuard free_notes([&] { mm::kfree(notes.buffer); });
    build_notes(notes, p, dump, si, ppid, segments, count, names, names_used);

    // The headers.
    u64 phnum = 1 + count;
    if (phnum >= 0xffff)
        phnum = 0xffff - 1; // PN_XNUM's extension is not written: the last regions are left out
    CoreWriter w{file, limit};
    Elf64Ehdr eh{};
    const u8 ident[16] = {0x7f, 'E', 'L', 'F', 2 /* ELFCLASS64 */, 1 /* ELFDATA2LSB */, 1 /* EV_CURRENT */};
    __builtin_memcpy(eh.ident, ident, sizeof(ident));
    eh.type = ET_CORE;
    eh.machine = arch::ELF_MACHINE;
    eh.version = 1;
    eh.phoff = sizeof(Elf64Ehdr);
    eh.ehsize = sizeof(Elf64Ehdr);
    eh.phentsize = sizeof(Elf64Phdr);
    eh.phnum = u16(phnum);
    if (!w.emit(0, &eh, sizeof(eh)))
        return false;
    u64 notes_at = sizeof(Elf64Ehdr) + phnum * sizeof(Elf64Phdr);
    u64 data_at = lib::align_up(notes_at + notes.size, PAGE);
    Elf64Phdr note{PT_NOTE, 0, notes_at, 0, 0, notes.size, 0, 4};
    w.emit(sizeof(Elf64Ehdr), &note, sizeof(note));
    u64 offset = data_at;
    for (usize i = 0; i + 1 < phnum; ++i) {
        const mm::Region& r = segments[i].region;
        u64 filesz = segments[i].dump_end - r.start;
        u32 flags = (r.prot & mm::PROT_READ ? PF_R : 0) | (r.prot & mm::PROT_WRITE ? PF_W : 0) |
                    (r.prot & mm::PROT_EXEC ? PF_X : 0);
        Elf64Phdr ph{PT_LOAD, flags, offset, r.start, 0, filesz, r.end - r.start, PAGE};
        w.emit(sizeof(Elf64Ehdr) + (i + 1) * sizeof(Elf64Phdr), &ph, sizeof(ph));
        offset += filesz;
    }
    w.emit(notes_at, notes.buffer, notes.size);

    // The memory, page by page: only pages that hold data are written;
    // the rest stay holes in the file, which read as zeros.
    offset = data_at;
    for (usize i = 0; i + 1 < phnum && !w.stopped; ++i) {
        const mm::Region& r = segments[i].region;
        PageCtx ctx{&w, offset, r.start};
        if (segments[i].dump_end > r.start) {
            MutexGuard guard(as.lock());
            // The region may have changed under a CLONE_VM sibling: dump
            // only what is still this region.
            const mm::Region* now = as.find_region(r.start);
            if (now && now->start <= r.start && now->end >= segments[i].dump_end && now->file == r.file)
                as.dump_pages_locked(r, segments[i].dump_end, write_page, &ctx);
        }
        offset += segments[i].dump_end - r.start;
    }
    // The file ends where the last segment does (its tail may be a hole),
    // or, cut short, no further than RLIMIT_CORE allows.
    u64 size = w.stopped ? w.end : lib::min(offset, limit);
    {
        MutexGuard guard(fs::vfs_lock());
        if (file.size < size)
            (void)fs::truncate_vfs_locked(file, size);
    }
    if (w.error != Errno{})
        printk("pid {} ({}): core file {} cut short: errno {}\n", p.pid, p.name, path, int(w.error));
    return true;
}


} // namespace kernel
