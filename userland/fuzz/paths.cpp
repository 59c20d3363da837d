// Path arguments, and the worker's private directory they mostly name:
// regular files, a subdirectory, symlink loops and chains, a link to "..",
// plus /proc entries, devices, over-long and unterminated strings.
#include "args.h"

#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fuzz {

namespace {

// Names inside the worker's directory (populate_worker_dir makes most).
const char* const k_names[] = {
    "f0", "f1", "f2", "d0", "d0/f", "d0/sub", "loop", "loop/x", "a", "b", "a/x", "up", "up/x", "self",
    "self/self/f0", "dangling", "tofile", "todir", "todir/f", "chain0", "chain0/x", "deep", "new0", "new1",
    "new2", "d0/new", "f0/", "f0/x", "d0/..", ".", "..", "m0", "m1", "s0", "s1", "/", "",
};
const char* const k_proc[] = {
    "/proc", "/proc/self", "/proc/self/stat", "/proc/self/status", "/proc/self/maps", "/proc/self/cmdline",
    "/proc/self/fd", "/proc/self/fd/3", "/proc/self/cwd", "/proc/self/exe", "/proc/meminfo", "/proc/uptime",
    "/proc/loadavg", "/proc/stat", "/proc/1/stat", "/proc/1/status", "/proc/77777", "/proc/self/x",
    "/proc/new", "/tmp/nonexistent/x", "/proc/self/comm", "/proc/self/task", "/proc/self/task/77777",
    "/proc/1/comm", "/proc/1/task", "/proc/1/task/1", "/proc/1/task/1/stat", "/proc/1/task/1/comm", "/proc/01",
};
// The files of a thread's directory, /proc/PID/task/TID/.
const char* const k_task_files[] = {"", "/stat", "/status", "/comm", "/x", "/.."};
// Not named: /dev and its devices. As root a worker may rename or unlink
// them (Linux allows it), and the next worker would find no /dev/null to
// point its output at; the workers reach the devices through descriptors
// opened at startup instead.
// Symlink chains longer than Linux's 40-link limit end in ELOOP.
constexpr int k_chain_links = 45;

std::uint64_t put_string(WorkerContext& ctx, const std::string& s)
{
    std::uint8_t* p = scratch_bytes(ctx, s.size() + 1);
    std::memcpy(p, s.data(), std::min(s.size(), ctx.scratch_size - 1));
    p[std::min(s.size(), ctx.scratch_size - 1)] = 0;
    return reinterpret_cast<std::uint64_t>(p);
}

std::string repeat(const std::string& part, std::size_t times)
{
    std::string s;
    s.reserve(part.size() * times);
    for (std::size_t i = 0; i < times; ++i)
        s += part;
    return s;
}

} // namespace

std::uint64_t generate_path(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    unsigned roll = unsigned(rng.below(100));
    if (roll < 45)
        return put_string(ctx, ctx.dir + "/" + rng.pick(k_names));
    if (roll < 55)
        return put_string(ctx, rng.pick(k_names)); // relative to the cwd, normally the worker's directory
    if (roll < 67) {
        std::string p = rng.pick(k_proc);
        if (rng.one_in(4) && !ctx.children.empty())
            p = "/proc/" + std::to_string(rng.pick(ctx.children)) + (rng.chance(50) ? "/stat" : "");
        else if (rng.one_in(4)) { // its own thread, or a child's pid (not a thread of it: ENOENT)
            pid_t tid = rng.chance(50) || ctx.children.empty() ? getpid() : rng.pick(ctx.children);
            p = "/proc/self/task/" + std::to_string(tid) + rng.pick(k_task_files);
        }
        return put_string(ctx, p);
    }
    if (roll < 72) { // long: near and past PATH_MAX (4096), components near and past NAME_MAX (255)
        switch (rng.below(4)) {
        case 0: return put_string(ctx, ctx.dir + "/" + repeat("x", 255 + rng.below(2)));
        case 1: return put_string(ctx, ctx.dir + "/" + repeat("d0/../", 680 + rng.below(20)) + "f0");
        case 2: return put_string(ctx, repeat("a", 4095 + rng.below(3)));
        default: return put_string(ctx, ctx.dir + repeat("/.", 2040 + rng.below(16)));
        }
    }
    if (roll < 80) { // symlink walks: loops, ".." through a link, deep chains
        const char* walks[] = {"loop/x", "a/b/a/b/x", "up/up/up/x", "self/self/self/loop", "chain0/x",
                               "chain0", "deep/x", "up/..", "todir/../f0"};
        return put_string(ctx, ctx.dir + "/" + rng.pick(walks));
    }
    if (roll < 86) { // unterminated: runs into the guard page after scratch
        std::size_t n = 1 + rng.below(200);
        std::uint8_t* end = ctx.scratch + ctx.scratch_size;
        std::memset(end - n, 'z', n);
        return reinterpret_cast<std::uint64_t>(end - n);
    }
    if (roll < 94)
        return bad_pointer(ctx, false);
    return put_string(ctx, ctx.dir + (rng.chance(50) ? "" : "/") + (rng.chance(50) ? "//f0" : ""));
}

void populate_worker_dir(WorkerContext& ctx)
{
    const std::string& d = ctx.dir;
    mkdir(d.c_str(), 0755);
    auto file = [&](const char* name, std::size_t size) {
        int fd = open((d + "/" + name).c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        if (fd < 0)
            return;
        std::string data(size, 'q');
        if (write(fd, data.data(), data.size()) < 0) {
            // a short or failed write leaves a shorter file: still a file to fuzz
        }
        close(fd);
    };
    file("f0", 4096);
    file("f1", 0);
    file("f2", 20000);
    mkdir((d + "/d0").c_str(), 0755);
    file("d0/f", 100);
    auto link = [&](const std::string& target, const std::string& name) {
        if (symlink(target.c_str(), (d + "/" + name).c_str()) != 0) {
            // an existing name: fine
        }
    };
    link("loop", "loop");
    link("b", "a");
    link("a", "b");
    link("..", "up");
    link(".", "self");
    link("nowhere", "dangling");
    link("f0", "tofile");
    link("d0", "todir");
    link(d + "/deep", "deep"); // absolute self-loop
    for (int i = 0; i < k_chain_links; ++i)
        link("chain" + std::to_string(i + 1), "chain" + std::to_string(i));
    link("f0", "chain" + std::to_string(k_chain_links));
}

} // namespace fuzz
