// ELF and "#!" mutants (see mutants.h). Field offsets are the ELF-64
// Object File Format's (via <elf.h>); Linux gives up on "#!" chains deeper
// than 4 (BINPRM_MAX_RECURSION, fs/exec.c) and on lines longer than 256
// bytes (BINPRM_BUF_SIZE).
#include "mutants.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace fuzz {

namespace {

constexpr std::uint64_t k_absurd[] = {
    0, 1, 0xfff, 0x1000, 0x1001, 0x7fffffff, 0xffffffff, 0x100000000, 0x3ffffff000, 0x3fffffffff, 0x4000000000,
    0xffffffc000000000, 0x7fffffffffffffff, 0xfffffffffffff000, ~0ull,
};

template<typename T>
T* at(std::vector<std::uint8_t>& image, std::size_t offset)
{
    if (offset + sizeof(T) > image.size())
        return nullptr;
    return reinterpret_cast<T*>(image.data() + offset);
}

Elf64_Phdr* random_phdr(std::vector<std::uint8_t>& image, Rng& rng, bool load_only)
{
    auto* eh = at<Elf64_Ehdr>(image, 0);
    if (!eh || eh->e_phnum == 0 || eh->e_phentsize != sizeof(Elf64_Phdr))
        return nullptr;
    std::vector<Elf64_Phdr*> found;
    for (unsigned i = 0; i < eh->e_phnum; ++i) {
        auto* ph = at<Elf64_Phdr>(image, eh->e_phoff + i * sizeof(Elf64_Phdr));
        if (ph && (!load_only || ph->p_type == PT_LOAD))
            found.push_back(ph);
    }
    return found.empty() ? nullptr : rng.pick(found);
}

void flip_bytes(std::vector<std::uint8_t>& image, Rng& rng, std::size_t from, std::size_t to)
{
    to = std::min(to, image.size());
    if (from >= to)
        return;
    for (unsigned n = 1 + unsigned(rng.below(4)); n > 0; --n)
        image[from + rng.below(to - from)] ^= std::uint8_t(1 + rng.below(255));
}

const char* mutate_elf(std::vector<std::uint8_t>& image, Rng& rng)
{
    auto* eh = at<Elf64_Ehdr>(image, 0);
    std::size_t ph_end = eh ? eh->e_phoff + eh->e_phnum * sizeof(Elf64_Phdr) : 64;
    switch (rng.below(11)) {
    case 0: flip_bytes(image, rng, 0, sizeof(Elf64_Ehdr)); return "header bytes flipped";
    case 1: flip_bytes(image, rng, eh ? eh->e_phoff : 64, ph_end); return "program header bytes flipped";
    case 2: {
        const std::size_t sizes[] = {0, 1, 4, 16, 63, 64, 65, ph_end - 1, ph_end, ph_end + 1, 4096, 4097};
        std::size_t size = rng.chance(60) ? rng.pick(sizes) : rng.below(image.size());
        image.resize(std::min(size, image.size()));
        return "truncated";
    }
    case 3: {
        Elf64_Phdr* ph = random_phdr(image, rng, rng.chance(80));
        if (!ph)
            return "no phdr";
        std::uint64_t v = rng.pick(k_absurd);
        switch (rng.below(5)) {
        case 0: ph->p_offset = v; return "absurd p_offset";
        case 1: ph->p_filesz = v; return "absurd p_filesz";
        case 2: ph->p_memsz = v; return "absurd p_memsz";
        case 3: ph->p_vaddr = v; return "absurd p_vaddr";
        default: ph->p_align = v; return "absurd p_align";
        }
    }
    case 4: {
        Elf64_Phdr* a = random_phdr(image, rng, true);
        Elf64_Phdr* b = random_phdr(image, rng, true);
        if (!a || !b)
            return "no phdr";
        b->p_vaddr = a->p_vaddr + (rng.chance(50) ? 0 : a->p_memsz / 2);
        return "overlapping segments";
    }
    case 5:
        if (!eh)
            return "no header";
        switch (rng.below(4)) {
        case 0: eh->e_phnum = std::uint16_t(rng.chance(50) ? 0 : 0xffff); return "e_phnum";
        case 1: eh->e_phoff = rng.pick(k_absurd); return "e_phoff";
        case 2: eh->e_phoff = image.size() - rng.below(56); return "e_phoff at the end";
        default: eh->e_phentsize = std::uint16_t(rng.below(128)); return "e_phentsize";
        }
        return "";
    case 6:
        if (!eh)
            return "no header";
        eh->e_entry = rng.pick(k_absurd);
        return "absurd e_entry";
    case 7: {
        Elf64_Phdr* ph = random_phdr(image, rng, false);
        if (!ph)
            return "no phdr";
        const std::uint32_t types[] = {PT_INTERP, PT_LOAD, PT_TLS, PT_GNU_STACK, PT_DYNAMIC, PT_PHDR, 0x70000003};
        ph->p_type = rng.pick(types);
        if (ph->p_type == PT_INTERP && rng.chance(50))
            ph->p_filesz = rng.pick(k_absurd);
        return "changed p_type";
    }
    case 8: {
        Elf64_Phdr* ph = random_phdr(image, rng, true);
        if (!ph)
            return "no phdr";
        ph->p_filesz = ph->p_memsz + 1 + rng.below(0x10000);
        return "p_filesz > p_memsz";
    }
    case 9: {
        Elf64_Phdr* ph = random_phdr(image, rng, true);
        if (!ph)
            return "no phdr";
        ph->p_vaddr += 1 + rng.below(4095); // not congruent to p_offset modulo the page size
        ph->p_flags = std::uint32_t(rng.below(8));
        return "misaligned p_vaddr";
    }
    default:
        if (!eh)
            return "no header";
        switch (rng.below(4)) {
        case 0: eh->e_type = ET_DYN; return "e_type ET_DYN";
        case 1: eh->e_machine = EM_X86_64; return "e_machine x86-64";
        case 2: eh->e_ident[EI_CLASS] = ELFCLASS32; return "ELFCLASS32";
        default: eh->e_ident[EI_DATA] = ELFDATA2MSB; return "big-endian";
        }
    }
}

std::string script_for(WorkerContext& ctx, const std::string& self, const char** what)
{
    Rng& rng = ctx.rng;
    const std::string& d = ctx.dir;
    switch (rng.below(12)) {
    case 0: *what = "long interpreter"; return "#!" + std::string(100 + rng.below(5000), 'i') + "\n";
    case 1: *what = "itself"; return "#!" + self + "\n";
    case 2: *what = "loop of two"; return "#!" + d + "/s1\n"; // s1 points back at s0
    case 3: {
        const char* lines[] = {"#!\n", "#! \n", "#!", "#!\t\t\n", "#!  /bin/true"};
        *what = "no interpreter";
        return rng.pick(lines);
    }
    case 4: *what = "missing interpreter"; return "#!/nonexistent/interpreter arg\n";
    case 5:
        *what = "many arguments";
        return "#!/bin/true " + std::string(rng.below(400), rng.chance(50) ? ' ' : 'a') + "x\n";
    case 6: *what = "directory"; return "#!" + d + "\n";
    case 7: *what = "not executable"; return "#!" + d + "/f0\n";
    case 8: *what = "an ELF mutant"; return "#!" + d + "/m" + std::to_string(rng.below(2)) + "\n";
    case 9: *what = "NUL in the line"; return std::string("#!/bin/true\0garbage\n", 20);
    case 10: *what = "deep chain"; return "#!" + d + "/c0\n"; // c0 -> c1 -> ... -> /bin/true
    default: *what = "valid"; return rng.chance(50) ? "#!/bin/true\n" : "#!/bin/true -x\n";
    }
}

bool write_file(const std::string& path, const void* data, std::size_t size)
{
    unlink(path.c_str()); // a fresh inode each time, not the page cache of the last mutant
    int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0755);
    if (fd < 0)
        return false;
    const auto* p = static_cast<const std::uint8_t*>(data);
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n <= 0)
            break;
        p += n;
        size -= std::size_t(n);
    }
    close(fd);
    return chmod(path.c_str(), 0755) == 0;
}

double now_seconds()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

} // namespace

void run_mutant(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    std::string path;
    const char* what = "";
    if (ctx.program && !ctx.program->empty() && rng.chance(60)) {
        std::vector<std::uint8_t> image(*ctx.program);
        what = mutate_elf(image, rng);
        if (rng.chance(30))
            mutate_elf(image, rng);
        path = ctx.dir + "/m" + std::to_string(ctx.mutant_counter++ % 2);
        if (!write_file(path, image.data(), image.size()))
            return;
    } else {
        path = ctx.dir + "/s0";
        std::string text = script_for(ctx, path, &what);
        std::string back = "#!" + path + "\n";
        write_file(ctx.dir + "/s1", back.data(), back.size());
        for (int i = 0; i < 6; ++i) {
            std::string next = i == 5 ? "#!/bin/true\n" : "#!" + ctx.dir + "/c" + std::to_string(i + 1) + "\n";
            write_file(ctx.dir + "/c" + std::to_string(i), next.data(), next.size());
        }
        if (!write_file(path, text.data(), text.size()))
            return;
    }

    // args[1]: the mutation, a string literal (the watchdog runs the same
    // binary, so it can print it from the same address).
    std::uint64_t args[6] = {reinterpret_cast<std::uint64_t>(path.c_str()), reinterpret_cast<std::uint64_t>(what),
                             0, 0, 0, 0};
    CallRecord& record = ring_begin(*ctx.ring, Where::mutant, SYS_execve, args);
    std::uint32_t seq = record.seq;
    ctx.ring->mutant_execs.fetch_add(1, std::memory_order_relaxed);
    pid_t pid = fork();
    if (pid == 0) {
        // argv[0] "true": a mutant that still runs is the multi-call binary
        // acting as true(1), which exits at once.
        char arg0[] = "true";
        char* argv[] = {arg0, nullptr};
        char* envp[] = {nullptr};
        long r = syscall(SYS_execve, path.c_str(), argv, envp);
        _exit(r == -1 ? 100 + (errno & 0x7f) : 99);
    }
    if (pid < 0) {
        ring_end(record, seq, -errno);
        return;
    }
    double deadline = now_seconds() + 1.0;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, 0); // the worker's interval timer interrupts this
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            break;
        if (now_seconds() > deadline) {
            kill(pid, SIGKILL);
            deadline += 1000; // then wait for it as long as it takes (the watchdog has the last word)
        }
    }
    ring_end(record, seq, status);
}

} // namespace fuzz
