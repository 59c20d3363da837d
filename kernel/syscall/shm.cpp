// System V shared memory: shmget, shmat, shmdt, shmctl (svipc(7),
// shmget(2), shmop(2), shmctl(2)) and /proc/sysvipc/shm. How a segment
// is kept and counted: kernel/syscall/shm.hpp.
#include "kernel/syscall/shm.hpp"

#include "kernel/fs/inode.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/credentials.hpp"
#include "kernel/process/process.hpp"
#include "kernel/syscall/syscall.hpp"
#include "kernel/wallclock.hpp"

namespace kernel {

namespace ipc {

namespace {

// include/uapi/linux/ipc.h, shm.h
constexpr i32 IPC_PRIVATE = 0;
constexpr i32 IPC_CREAT = 01000, IPC_EXCL = 02000;
constexpr i32 IPC_RMID = 0, IPC_SET = 1, IPC_STAT = 2, IPC_INFO = 3, IPC_64 = 0x100;
constexpr i32 SHM_LOCK = 11, SHM_UNLOCK = 12, SHM_STAT = 13, SHM_INFO = 14, SHM_STAT_ANY = 15;
constexpr i32 SHM_RDONLY = 010000, SHM_RND = 020000, SHM_REMAP = 040000, SHM_EXEC = 0100000;
constexpr u32 SHM_DEST = 01000, SHM_LOCKED = 02000; // in shm_perm.mode
constexpr u64 SHMLBA = 4096;                        // asm-generic: one page
constexpr u64 SHMMIN = 1;
// Linux's defaults (ipc/shm.c): as good as unlimited.
constexpr u64 SHMMAX_DEFAULT = ~0ull - (1ull << 24), SHMALL_DEFAULT = ~0ull - (1ull << 24);
// Linux's IPCMNI is 32 768; this table has room for the default SHMMNI.
constexpr u32 TABLE_SIZE = 4096;
constexpr u32 SEQ_MULTIPLIER = 32768; // an id is seq * 32768 + slot, as Linux builds it
constexpr u32 CAP_IPC_OWNER = 15, CAP_SYS_ADMIN = 21;

struct Segment {
    i32 key;
    u32 seq;
    fs::Inode* file; // one reference held by the segment
    u64 size;        // shm_segsz as asked; the file is whole pages
    u32 mode;        // permission bits, SHM_DEST
    u32 uid, gid, cuid, cgid;
    i64 atime, dtime, ctime;
    i32 cpid, lpid;
};

// [V]: the vfs lock.
Segment* s_segments[TABLE_SIZE];
u32 s_next_seq;
u64 s_shmmax = SHMMAX_DEFAULT, s_shmall = SHMALL_DEFAULT, s_shmmni = TABLE_SIZE;
u64 s_total_pages; // every segment's pages, against shmall

i64 now_seconds() { return i64(wallclock_ns() / 1000000000ull); }

u64 nattch_vfs_locked(const Segment& s) { return s.file->open_refs - 1; }

i32 id_of(u32 slot, const Segment& s) { return i32(s.seq * SEQ_MULTIPLIER + slot); }

Segment* lookup_vfs_locked(i32 id, u32* slot_out = nullptr)
{
    if (id < 0)
        return nullptr;
    u32 slot = u32(id) % SEQ_MULTIPLIER;
    if (slot >= TABLE_SIZE || !s_segments[slot] || s_segments[slot]->seq != u32(id) / SEQ_MULTIPLIER)
        return nullptr;
    if (slot_out)
        *slot_out = slot;
    return s_segments[slot];
}

// ipcperms: the owner's, the group's or everyone's bits, by the
// effective ids; CAP_IPC_OWNER passes.
bool permitted(const Credentials& c, const Segment& s, u32 requested)
{
    u32 granted = s.mode;
    if (c.euid == s.cuid || c.euid == s.uid)
        granted >>= 6;
    else if (c.egid == s.gid || c.egid == s.cgid || c.in_group(s.gid) || c.in_group(s.cgid))
        granted >>= 3;
    return (requested & ~granted & 7) == 0 || (c.cap_effective & (1ull << CAP_IPC_OWNER));
}

// IPC_SET and IPC_RMID: the owner, the creator or CAP_SYS_ADMIN.
bool owns(const Credentials& c, const Segment& s)
{
    return c.euid == s.uid || c.euid == s.cuid || (c.cap_effective & (1ull << CAP_SYS_ADMIN));
}

// IPC_SET, IPC_RMID, SHM_LOCK: the segment id names, if the caller owns
// it (EINVAL: no such segment; EPERM: not its owner, creator or root).
Result<Segment*> owned_vfs_locked(const Credentials& c, i32 id, u32* slot_out = nullptr)
{
    fs::vfs_lock().assert_held();
    Segment* s = lookup_vfs_locked(id, slot_out);
    if (!s)
        return Errno::einval;
    if (!owns(c, *s))
        return Errno::eperm;
    return s;
}

// Out of the table; the caller drops the segment's file reference with
// fs::inode_unref and kfrees it, outside the vfs lock.
void remove_vfs_locked(u32 slot)
{
    s_total_pages -= lib::align_up(s_segments[slot]->size, SHMLBA) / SHMLBA;
    s_segments[slot] = nullptr;
}

void destroy(Segment* s)
{
    fs::inode_unref(*s->file);
    mm::kfree(s);
}

// struct ipc64_perm and struct shmid64_ds (asm-generic, 64-bit).
struct Ipc64Perm {
    i32 key;
    u32 uid, gid, cuid, cgid, mode;
    u16 seq, pad2;
    u64 unused1, unused2;
};
struct ShmidDs {
    Ipc64Perm perm;
    u64 segsz;
    i64 atime, dtime, ctime;
    i32 cpid, lpid;
    u64 nattch, unused4, unused5;
};
static_assert(sizeof(Ipc64Perm) == 48 && sizeof(ShmidDs) == 112);
struct ShmInfo64 { // IPC_INFO
    u64 shmmax, shmmin, shmmni, shmseg, shmall, unused[4];
};
struct ShmInfo { // SHM_INFO
    i32 used_ids;
    u64 shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
};

ShmidDs stat_vfs_locked(const Segment& s)
{
    ShmidDs d{};
    d.perm.key = s.key;
    d.perm.uid = s.uid;
    d.perm.gid = s.gid;
    d.perm.cuid = s.cuid;
    d.perm.cgid = s.cgid;
    d.perm.mode = s.mode;
    d.perm.seq = u16(s.seq);
    d.segsz = s.size;
    d.atime = s.atime;
    d.dtime = s.dtime;
    d.ctime = s.ctime;
    d.cpid = s.cpid;
    d.lpid = s.lpid;
    d.nattch = nattch_vfs_locked(s);
    return d;
}

u32 highest_slot_vfs_locked()
{
    u32 highest = 0;
    for (u32 i = 0; i < TABLE_SIZE; ++i)
        if (s_segments[i])
            highest = i;
    return highest;
}

} // namespace

void shm_region_detached(fs::Inode& file)
{
    Segment* gone = nullptr;
    {
        MutexGuard guard(fs::vfs_lock());
        for (u32 i = 0; i < TABLE_SIZE; ++i) {
            Segment* s = s_segments[i];
            if (!s || s->file != &file)
                continue;
            s->dtime = now_seconds();
            s->lpid = current_process().pid;
            // This region's reference and the segment's: the last attach.
            if ((s->mode & SHM_DEST) && file.open_refs == 2) {
                remove_vfs_locked(i);
                gone = s;
            }
            break;
        }
    }
    fs::inode_unref(file);
    if (gone)
        destroy(gone);
}

void format_sysvipc_shm(lib::FormatSink& out)
{
    lib::format(out, "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      "
                     "atime      dtime      ctime                   rss                  swap\n");
    MutexGuard guard(fs::vfs_lock());
    for (u32 i = 0; i < TABLE_SIZE; ++i) {
        const Segment* s = s_segments[i];
        if (!s)
            continue;
        u64 rss = 0;
        for (usize p = 0; p < s->file->page_slots; ++p)
            rss += s->file->pages[p] != PhysAddr{} ? 4096 : 0;
        lib::format(out, "{:>10} {:>10}  {:>4o} {:>21} {:>5} {:>5}  {:>5} {:>5} {:>5} {:>5} {:>5} {:>10} {:>10} {:>10} {:>21} {:>21}\n",
                    s->key, id_of(i, *s), s->mode, s->size, s->cpid, s->lpid, nattch_vfs_locked(*s), s->uid, s->gid,
                    s->cuid, s->cgid, s->atime, s->dtime, s->ctime, rss, 0);
    }
}

ShmLimits shm_limits()
{
    MutexGuard guard(fs::vfs_lock());
    return {s_shmmax, s_shmall, s_shmmni};
}

bool set_shm_limit(unsigned which, u64 value)
{
    MutexGuard guard(fs::vfs_lock());
    switch (which) {
    case 0: s_shmmax = value; return true;
    case 1: s_shmall = value; return true;
    case 2:
        if (value > TABLE_SIZE)
            return false;
        s_shmmni = value;
        return true;
    }
    return false;
}

} // namespace ipc

using namespace ipc;

namespace {

// shmget's work under the vfs lock. `file` is a new segment's file made
// by the caller beforehand; when it is taken, it becomes nullptr. When a
// segment is to be made and there is no file yet, need_file is set.
Result<u64> get_vfs_locked(i32 key, u64 size, i32 flags, const Credentials& creds, fs::Inode*& file, bool& need_file)
{
    if (key != IPC_PRIVATE) {
        for (u32 i = 0; i < TABLE_SIZE; ++i) {
            Segment* s = s_segments[i];
            if (!s || s->key != key)
                continue;
            if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
                return Errno::eexist;
            u32 asked = u32(flags) & 0777;
            if (!permitted(creds, *s, asked >> 6) || !permitted(creds, *s, asked >> 3) || !permitted(creds, *s, asked))
                return Errno::eacces;
            if (size > s->size)
                return Errno::einval;
            return u64(id_of(i, *s));
        }
        if (!(flags & IPC_CREAT))
            return Errno::enoent;
    }
    // A new segment (Linux's newseg).
    u64 pages = lib::align_up(size, SHMLBA) / SHMLBA;
    u32 used = 0, free_slot = TABLE_SIZE;
    for (u32 i = 0; i < TABLE_SIZE; ++i) {
        if (s_segments[i])
            ++used;
        else if (free_slot == TABLE_SIZE)
            free_slot = i;
    }
    if (size < SHMMIN || size > s_shmmax)
        return Errno::einval;
    if (pages * SHMLBA < size || s_total_pages + pages < s_total_pages || s_total_pages + pages > s_shmall)
        return Errno::enospc;
    if (used >= s_shmmni || free_slot == TABLE_SIZE)
        return Errno::enospc;
    if (!file) {
        need_file = true;
        return u64(0);
    }
    auto* s = static_cast<Segment*>(mm::kmalloc(sizeof(Segment)));
    if (!s)
        return Errno::enomem;
    i64 now = now_seconds();
    *s = Segment{key,       s_next_seq++ % (0x7fffffffu / SEQ_MULTIPLIER), file, size, u32(flags) & 0777, creds.euid,
                 creds.egid, creds.euid, creds.egid, 0, 0, now, current_process().pid, 0};
    file = nullptr;
    s_segments[free_slot] = s;
    s_total_pages += pages;
    return u64(id_of(free_slot, *s));
}

} // namespace

Result<u64> sys_shmget(i32 key, u64 size, i32 flags)
{
    Credentials creds = current_process().creds;
    fs::Inode* file = nullptr;
    for (;;) {
        bool need_file = false;
        Result<u64> outcome = u64(0);
        {
            MutexGuard guard(fs::vfs_lock());
            outcome = get_vfs_locked(key, size, flags, creds, file, need_file);
        }
        if (!need_file) {
            if (file) // not needed after all: the key was made meanwhile, or a limit
                fs::inode_unref(*file);
            return outcome;
        }
        // The file is made outside the lock (new_anonymous_inode takes
        // it); then everything is checked again, as another process may
        // have made the key meanwhile.
        file = TRY(fs::new_anonymous_inode(lib::align_up(size, SHMLBA)));
    }
}

Result<u64> sys_shmat(i32 id, u64 address, i32 flags)
{
    if (address & (SHMLBA - 1)) {
        if (!(flags & SHM_RND) || address < SHMLBA)
            return Errno::einval;
        address &= ~(SHMLBA - 1);
    }
    Credentials creds = current_process().creds;
    u32 wanted = 4 | ((flags & SHM_RDONLY) ? 0 : 2) | ((flags & SHM_EXEC) ? 1 : 0);
    fs::Inode* file;
    u64 size;
    {
        MutexGuard guard(fs::vfs_lock());
        Segment* s = lookup_vfs_locked(id);
        if (!s)
            return Errno::einval;
        if (!permitted(creds, *s, wanted))
            return Errno::eacces;
        file = s->file;
        ++file->open_refs; // held while mapping, so that an IPC_RMID cannot free it
        size = s->size;
    }
    mm::AddressSpace::MapRequest q;
    q.hint = address;
    q.length = size;
    q.prot = mm::PROT_READ | ((flags & SHM_RDONLY) ? 0 : mm::PROT_WRITE) | ((flags & SHM_EXEC) ? mm::PROT_EXEC : 0);
    q.fixed = address && (flags & SHM_REMAP);
    q.fixed_noreplace = address && !(flags & SHM_REMAP);
    q.flags = u8(mm::REGION_SHARED | mm::REGION_SHMEM | mm::REGION_SYSV | ((flags & SHM_RDONLY) ? 0 : mm::REGION_MAY_WRITE));
    q.file = file;
    auto mapped = current_process().address_space->map(q);
    if (mapped.is_ok()) {
        MutexGuard guard(fs::vfs_lock());
        for (Segment* s : s_segments)
            if (s && s->file == file) {
                s->atime = now_seconds();
                s->lpid = current_process().pid;
            }
    }
    // The temporary reference goes as a detach would (it may be the one
    // that ends a segment removed meanwhile), without the detach's times.
    {
        Segment* gone = nullptr;
        {
            MutexGuard guard(fs::vfs_lock());
            for (u32 i = 0; i < TABLE_SIZE; ++i)
                if (s_segments[i] && s_segments[i]->file == file && (s_segments[i]->mode & SHM_DEST) &&
                    file->open_refs == 2) {
                    gone = s_segments[i];
                    remove_vfs_locked(i);
                }
        }
        fs::inode_unref(*file);
        if (gone)
            destroy(gone);
    }
    if (mapped.is_error())
        return mapped.error().code == Errno::eexist ? Errno::einval : mapped.error().code;
    return mapped.value();
}

Result<u64> sys_shmdt(u64 address)
{
    if (address & (SHMLBA - 1))
        return Errno::einval;
    TRY(current_process().address_space->detach_segment(address));
    return u64(0);
}

Result<u64> sys_shmctl(i32 id, i32 command, u64 buffer)
{
    command &= ~IPC_64; // the only layout on 64-bit
    if (id < 0 || command < 0)
        return Errno::einval;
    Credentials creds = current_process().creds;
    switch (command) {
    case IPC_INFO: {
        ShmInfo64 info{};
        u32 highest;
        {
            MutexGuard guard(fs::vfs_lock());
            info = {s_shmmax, SHMMIN, s_shmmni, TABLE_SIZE, s_shmall, {}};
            highest = highest_slot_vfs_locked();
        }
        TRY(mm::copy_to_user(buffer, &info, sizeof(info)));
        return u64(highest);
    }
    case SHM_INFO: {
        ShmInfo info{};
        u32 highest;
        {
            MutexGuard guard(fs::vfs_lock());
            for (Segment* s : s_segments)
                if (s) {
                    ++info.used_ids;
                    for (usize p = 0; p < s->file->page_slots; ++p)
                        info.shm_rss += s->file->pages[p] != PhysAddr{};
                }
            info.shm_tot = s_total_pages;
            highest = highest_slot_vfs_locked();
        }
        TRY(mm::copy_to_user(buffer, &info, sizeof(info)));
        return u64(highest);
    }
    case IPC_STAT:
    case SHM_STAT:
    case SHM_STAT_ANY: {
        ShmidDs d;
        u64 result = 0;
        {
            MutexGuard guard(fs::vfs_lock());
            Segment* s;
            if (command == IPC_STAT) {
                s = lookup_vfs_locked(id);
            } else { // by slot, returning the id
                s = u32(id) < TABLE_SIZE ? s_segments[id] : nullptr;
                if (s)
                    result = u64(id_of(u32(id), *s));
            }
            if (!s)
                return Errno::einval;
            if (command != SHM_STAT_ANY && !permitted(creds, *s, 4))
                return Errno::eacces;
            d = stat_vfs_locked(*s);
        }
        TRY(mm::copy_to_user(buffer, &d, sizeof(d)));
        return result;
    }
    case IPC_SET: {
        ShmidDs d;
        TRY(mm::copy_from_user(&d, buffer, sizeof(d)));
        MutexGuard guard(fs::vfs_lock());
        Segment* s = TRY(owned_vfs_locked(creds, id));
        s->uid = d.perm.uid;
        s->gid = d.perm.gid;
        s->mode = (s->mode & ~0777u) | (d.perm.mode & 0777);
        s->ctime = now_seconds();
        return u64(0);
    }
    case IPC_RMID: {
        Segment* gone = nullptr;
        {
            MutexGuard guard(fs::vfs_lock());
            u32 slot;
            Segment* s = TRY(owned_vfs_locked(creds, id, &slot));
            if (nattch_vfs_locked(*s) == 0) {
                remove_vfs_locked(slot);
                gone = s;
            } else {
                // Gone with its last attach; its key is free at once.
                s->mode |= SHM_DEST;
                s->key = IPC_PRIVATE;
            }
        }
        if (gone)
            destroy(gone);
        return u64(0);
    }
    case SHM_LOCK:
    case SHM_UNLOCK: {
        // Nothing is ever swapped: only the flag changes.
        MutexGuard guard(fs::vfs_lock());
        Segment* s = TRY(owned_vfs_locked(creds, id));
        s->mode = command == SHM_LOCK ? s->mode | SHM_LOCKED : s->mode & ~SHM_LOCKED;
        return u64(0);
    }
    }
    return Errno::einval;
}

} // namespace kernel

#define MYRIAD_THUNKS_shm(handler) MYRIAD_THUNK(handler)
#include "kernel/syscall/instantiate_thunks.inc"
