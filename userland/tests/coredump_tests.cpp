// Core dumps (core(5)): a child killed by a core-generating signal writes
// an ELF core file when RLIMIT_CORE allows, and its wait status carries
// WCOREDUMP. Under qemu-user a core limit above 0 is not comparable: the
// host kernel dumps the qemu process itself (an x86-64 core of some
// hundred MiB, named by the host's core_pattern, which is not ours to
// change) and sets WCOREDUMP for that. There the cases check what is
// portable -- no core and no WCOREDUMP with RLIMIT_CORE 0 or an
// undumpable process -- and say what they leave out.
#include "files_tests.h"
#include "groups.h"
#include "harness.h"

#include <cstring>
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <string>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern "C" char coredump_fault_pc[];

namespace {

using namespace ut;

// Where the store that faults is: its address is the pc NT_PRSTATUS
// must hold.
[[gnu::noinline]] void fault_at_known_pc()
{
    asm volatile(".globl coredump_fault_pc\ncoredump_fault_pc:\n\tsd zero, 0(zero)" ::: "memory");
}

volatile unsigned long g_marker; // its value must be in the core

// A child that sets RLIMIT_CORE (and maybe more) and dies of SIGSEGV.
pid_t crash_child(rlim_t limit, bool undumpable = false)
{
    return spawn([=] {
        struct rlimit rl{limit, limit};
        if (setrlimit(RLIMIT_CORE, &rl) != 0)
            return 2;
        if (undumpable && prctl(PR_SET_DUMPABLE, 0) != 0)
            return 3;
        g_marker = 0x636f726564756d70ul; // "coredump"
        fault_at_known_pc();
        return 4;
    });
}

std::vector<std::string> files_here()
{
    std::vector<std::string> names;
    DIR* d = opendir(".");
    if (!d)
        return names;
    while (dirent* e = readdir(d))
        if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
            names.push_back(e->d_name);
    closedir(d);
    return names;
}

std::string read_file(const std::string& name)
{
    std::string data;
    int fd = open(name.c_str(), O_RDONLY);
    if (fd < 0)
        return data;
    char buffer[8192];
    for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;)
        data.append(buffer, size_t(n));
    close(fd);
    return data;
}

// The notes of a core: (type, descriptor) in file order.
struct Note {
    unsigned type;
    std::string desc;
};
std::vector<Note> notes_of(const std::string& core)
{
    std::vector<Note> notes;
    if (core.size() < sizeof(Elf64_Ehdr))
        return notes;
    Elf64_Ehdr eh;
    std::memcpy(&eh, core.data(), sizeof(eh));
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph;
        if (eh.e_phoff + (i + 1) * sizeof(ph) > core.size())
            break;
        std::memcpy(&ph, core.data() + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_NOTE || ph.p_offset + ph.p_filesz > core.size())
            continue;
        for (size_t at = ph.p_offset; at + sizeof(Elf64_Nhdr) <= ph.p_offset + ph.p_filesz;) {
            Elf64_Nhdr nh;
            std::memcpy(&nh, core.data() + at, sizeof(nh));
            at += sizeof(nh) + ((nh.n_namesz + 3) & ~3u);
            if (at + nh.n_descsz > core.size())
                break;
            notes.push_back({nh.n_type, core.substr(at, nh.n_descsz)});
            at += (nh.n_descsz + 3) & ~3u;
        }
    }
    return notes;
}

// The bytes the core holds at `address`, if a PT_LOAD has them.
bool core_memory(const std::string& core, unsigned long address, void* out, size_t length)
{
    Elf64_Ehdr eh;
    std::memcpy(&eh, core.data(), sizeof(eh));
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph;
        std::memcpy(&ph, core.data() + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type == PT_LOAD && address >= ph.p_vaddr && address + length <= ph.p_vaddr + ph.p_filesz &&
            ph.p_offset + (address - ph.p_vaddr) + length <= core.size()) {
            std::memcpy(out, core.data() + ph.p_offset + (address - ph.p_vaddr), length);
            return true;
        }
    }
    return false;
}

// struct elf_prstatus (riscv64): pr_pid at 32, pr_reg (pc first) at 112.
constexpr size_t PRSTATUS_SIZE = 376, PRSTATUS_PID = 32, PRSTATUS_PC = 112;

// Checks an ELF core of the crash_child above (pid `pid`).
void check_core(Test& t, const std::string& core, pid_t pid, bool full)
{
    ASSERT(core.size() >= sizeof(Elf64_Ehdr));
    Elf64_Ehdr eh;
    std::memcpy(&eh, core.data(), sizeof(eh));
    EXPECT(std::memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0);
    EXPECT_EQ(int(eh.e_ident[EI_CLASS]), ELFCLASS64);
    EXPECT_EQ(int(eh.e_type), ET_CORE);
    EXPECT_EQ(int(eh.e_machine), EM_RISCV);
    auto notes = notes_of(core);
    const Note* prstatus = nullptr;
    bool psinfo = false, siginfo = false, auxv = false;
    for (const Note& n : notes) {
        if (n.type == NT_PRSTATUS && !prstatus)
            prstatus = &n;
        psinfo |= n.type == NT_PRPSINFO;
        siginfo |= n.type == NT_SIGINFO;
        auxv |= n.type == NT_AUXV;
    }
    ASSERT(prstatus != nullptr);
    ASSERT_EQ(prstatus->desc.size(), PRSTATUS_SIZE);
    unsigned long pc;
    int note_pid;
    std::memcpy(&pc, prstatus->desc.data() + PRSTATUS_PC, sizeof(pc));
    std::memcpy(&note_pid, prstatus->desc.data() + PRSTATUS_PID, sizeof(note_pid));
    EXPECT_EQ(pc, reinterpret_cast<unsigned long>(coredump_fault_pc));
    EXPECT_EQ(note_pid, pid);
    if (!full)
        return;
    EXPECT(psinfo);
    EXPECT(siginfo);
    EXPECT(auxv);
    unsigned long marker = 0;
    EXPECT(core_memory(core, reinterpret_cast<unsigned long>(&g_marker), &marker, sizeof(marker)));
    EXPECT_EQ(marker, 0x636f726564756d70ul);
}

void no_core_when_limit_is_zero(Test& t)
{
    pid_t pid = crash_child(0);
    int status = wait_for(pid);
    ASSERT(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGSEGV);
    EXPECT(!WCOREDUMP(status));
    EXPECT_EQ(files_here().size(), size_t(0));
}

constexpr const char* k_host_dumps_qemu = "qemu-user: the host kernel would dump the qemu process, not the program";

void core_when_limit_allows(Test& t)
{
    if (!platform().myriad) {
        t.skip(k_host_dumps_qemu);
        return;
    }
    pid_t pid = crash_child(RLIM_INFINITY);
    siginfo_t si{};
    ASSERT_EQ(waitid(P_PID, id_t(pid), &si, WEXITED | WNOWAIT), 0);
    int status = wait_for(pid);
    ASSERT(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGSEGV);
    auto files = files_here();
    EXPECT(WCOREDUMP(status));
    EXPECT_EQ(si.si_code, CLD_DUMPED);
    ASSERT_EQ(files.size(), size_t(1));
    EXPECT_EQ(files[0], std::string("core"));
    struct stat st{};
    EXPECT_EQ(stat("core", &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u & ~022u);
    check_core(t, read_file("core"), pid, true);
}

void core_is_cut_at_the_limit(Test& t)
{
    if (!platform().myriad) {
        t.skip(k_host_dumps_qemu);
        return;
    }
    constexpr rlim_t limit = 12288; // the headers and notes, not the memory
    pid_t pid = crash_child(limit);
    int status = wait_for(pid);
    ASSERT(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGSEGV);
    for (auto& f : files_here()) {
        struct stat st{};
        EXPECT_EQ(stat(f.c_str(), &st), 0);
        EXPECT(st.st_size <= off_t(limit));
    }
    EXPECT(WCOREDUMP(status)); // cut short still counts, as on Linux
    std::string core = read_file("core");
    EXPECT(core.size() > 0 && core.size() <= limit);
    check_core(t, core, pid, false);
    // A limit below a page writes nothing (Linux's min_coredump).
    pid = crash_child(4095);
    ASSERT_EQ(unlink("core"), 0);
    status = wait_for(pid);
    EXPECT(WIFSIGNALED(status) && !WCOREDUMP(status));
    EXPECT_EQ(files_here().size(), size_t(0));
}

void undumpable_process_writes_no_core(Test& t)
{
    pid_t pid = crash_child(RLIM_INFINITY, true);
    int status = wait_for(pid);
    ASSERT(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGSEGV);
    EXPECT(!WCOREDUMP(status));
    if (!platform().myriad) {
        std::printf("# qemu-user may write its own qemu_*.core: the files are not looked at\n");
        return;
    }
    EXPECT_EQ(files_here().size(), size_t(0));
}

bool write_sysctl(const char* path, const std::string& text)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return false;
    bool ok = write(fd, text.data(), text.size()) == ssize_t(text.size());
    return close(fd) == 0 && ok;
}

// The pattern's expansions; a pipe is refused; core_uses_pid.
void core_pattern_names_the_file(Test& t)
{
    if (!platform().myriad) {
        t.skip("the host's core_pattern is not ours to change");
        return;
    }
    std::string old = read_file("/proc/sys/kernel/core_pattern");
    ASSERT(write_sysctl("/proc/sys/kernel/core_pattern", "c.%p.%s.%e.%%.%u\n"));
    EXPECT_EQ(read_file("/proc/sys/kernel/core_pattern"), std::string("c.%p.%s.%e.%%.%u\n"));
    pid_t pid = crash_child(RLIM_INFINITY);
    int status = wait_for(pid);
    EXPECT(WCOREDUMP(status));
    auto files = files_here();
    EXPECT_EQ(files.size(), size_t(1));
    if (files.size() == 1)
        EXPECT_EQ(files[0], "c." + std::to_string(pid) + ".11.usertests.%.0");
    for (auto& f : files)
        unlink(f.c_str());

    ASSERT(write_sysctl("/proc/sys/kernel/core_pattern", "|/bin/true %p"));
    pid = crash_child(RLIM_INFINITY);
    status = wait_for(pid);
    EXPECT(WIFSIGNALED(status) && !WCOREDUMP(status));
    EXPECT_EQ(files_here().size(), size_t(0));

    ASSERT(write_sysctl("/proc/sys/kernel/core_pattern", "core"));
    ASSERT(write_sysctl("/proc/sys/kernel/core_uses_pid", "1\n"));
    EXPECT_EQ(read_file("/proc/sys/kernel/core_uses_pid"), std::string("1\n"));
    pid = crash_child(RLIM_INFINITY);
    status = wait_for(pid);
    EXPECT(WCOREDUMP(status));
    EXPECT(access(("core." + std::to_string(pid)).c_str(), F_OK) == 0);
    EXPECT(write_sysctl("/proc/sys/kernel/core_uses_pid", "0"));
    EXPECT(write_sysctl("/proc/sys/kernel/core_pattern", old));
    EXPECT_EQ(read_file("/proc/sys/kernel/core_pattern"), old);
}

// Every thread's registers are in the core: one NT_PRSTATUS each.
void threads_each_have_a_prstatus(Test& t)
{
    if (!platform().myriad) {
        t.skip(k_host_dumps_qemu);
        return;
    }
    pid_t pid = spawn([] {
        struct rlimit rl{RLIM_INFINITY, RLIM_INFINITY};
        if (setrlimit(RLIMIT_CORE, &rl) != 0)
            return 2;
        g_marker = 0x636f726564756d70ul;
        pthread_t threads[2];
        for (auto& th : threads)
            if (pthread_create(&th, nullptr, [](void*) -> void* { for (;;) pause(); }, nullptr) != 0)
                return 3;
        fault_at_known_pc();
        return 4;
    });
    int status = wait_for(pid);
    ASSERT(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGSEGV);
    EXPECT(WCOREDUMP(status));
    std::string core = read_file("core");
    check_core(t, core, pid, true); // the first is the faulting thread's
    int prstatus = 0;
    for (const Note& n : notes_of(core))
        prstatus += n.type == NT_PRSTATUS;
    EXPECT_EQ(prstatus, 3);
}


// A huge mapping touched at its two ends: the dump costs its resident
// pages (the rest are holes in the file), not its size.
void huge_sparse_region_is_cheap(Test& t)
{
    if (!platform().myriad) {
        t.skip(k_host_dumps_qemu);
        return;
    }
    constexpr size_t size = 1ul << 30;
    // Read-only: no commit charge, yet reading makes the pages resident.
    void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT(map != MAP_FAILED);
    auto base = reinterpret_cast<unsigned long>(map);
    double start = monotonic_seconds();
    pid_t pid = spawn([&] {
        struct rlimit rl{RLIM_INFINITY, RLIM_INFINITY};
        if (setrlimit(RLIMIT_CORE, &rl) != 0)
            return 2;
        auto* bytes = static_cast<volatile unsigned char*>(map);
        (void)bytes[0];
        (void)bytes[size - 1];
        fault_at_known_pc();
        return 4;
    });
    int status = wait_for(pid);
    double seconds = monotonic_seconds() - start;
    munmap(map, size);
    ASSERT(WIFSIGNALED(status));
    EXPECT(WCOREDUMP(status));
    EXPECT(seconds < 2.0);
    // The headers say the whole mapping, the file holds its two pages.
    int fd = open("core", O_RDONLY);
    ASSERT(fd >= 0);
    Elf64_Ehdr eh{};
    EXPECT_EQ(pread(fd, &eh, sizeof(eh), 0), ssize_t(sizeof(eh)));
    bool found = false;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph{};
        if (pread(fd, &ph, sizeof(ph), off_t(eh.e_phoff + i * sizeof(ph))) != ssize_t(sizeof(ph)))
            break;
        if (ph.p_type == PT_LOAD && ph.p_vaddr == base) {
            found = true;
            EXPECT_EQ(ph.p_memsz, size);
            EXPECT_EQ(ph.p_filesz, size); // up to its last resident page
        }
    }
    EXPECT(found);
    struct stat st{};
    EXPECT_EQ(fstat(fd, &st), 0);
    EXPECT(st.st_size > off_t(size)); // in a RAM filesystem of 128 MiB: holes, not a GiB of zeros
    close(fd);
}


// A core signal sent (not a fault) dumps too; NT_SIGINFO says who sent it.
void sent_signal_dumps_core(Test& t)
{
    if (!platform().myriad) {
        t.skip(k_host_dumps_qemu);
        return;
    }
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    pid_t pid = spawn([&] {
        struct rlimit rl{RLIM_INFINITY, RLIM_INFINITY};
        if (setrlimit(RLIMIT_CORE, &rl) != 0)
            return 2;
        close(ready[0]);
        close(ready[1]); // the parent's read sees EOF: limits are set
        for (;;)
            pause();
    });
    close(ready[1]);
    char byte;
    EXPECT_EQ(read(ready[0], &byte, 1), ssize_t(0));
    close(ready[0]);
    EXPECT_EQ(kill(pid, SIGQUIT), 0);
    int status = wait_for(pid);
    ASSERT(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGQUIT);
    EXPECT(WCOREDUMP(status));
    std::string core = read_file("core");
    const Note* info = nullptr;
    auto notes = notes_of(core);
    for (const Note& n : notes)
        if (n.type == NT_SIGINFO)
            info = &n;
    ASSERT(info != nullptr);
    ASSERT_EQ(info->desc.size(), sizeof(siginfo_t));
    siginfo_t si;
    std::memcpy(&si, info->desc.data(), sizeof(si));
    EXPECT_EQ(si.si_signo, SIGQUIT);
    EXPECT_EQ(si.si_code, SI_USER);
    EXPECT_EQ(si.si_pid, getpid());
}

} // namespace

std::vector<ut::Case> coredump_cases()
{
    return {
        {"no_core_when_limit_is_zero", files_test::scratch<no_core_when_limit_is_zero>},
        {"core_when_limit_allows", files_test::scratch<core_when_limit_allows>},
        {"core_is_cut_at_the_limit", files_test::scratch<core_is_cut_at_the_limit>},
        {"undumpable_process_writes_no_core", files_test::scratch<undumpable_process_writes_no_core>},
        {"core_pattern_names_the_file", files_test::scratch<core_pattern_names_the_file>},
        {"threads_each_have_a_prstatus", files_test::scratch<threads_each_have_a_prstatus>},
        {"huge_sparse_region_is_cheap", files_test::scratch<huge_sparse_region_is_cheap>},
        {"sent_signal_dumps_core", files_test::scratch<sent_signal_dumps_core>},
    };
}
