// Credential system calls (credentials(7), capabilities(7)): the user and
// group ids, the supplementary groups and the capability sets of the
// calling process, with Linux's permission rules (kernel/sys.c,
// kernel/groups.c, kernel/capability.c, security/commoncap.c).
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/process.hpp"
#include "kernel/syscall/syscall.hpp"

namespace kernel {

namespace {

// Which of the two id families a call changes.
enum class IdKind : u8 { user, group };

// A change to the caller's credentials: `change` gets the old ones and a
// copy to edit, and says whether the change is allowed. Done under the
// process lock, which other processes (kill, setpriority, /proc) read
// them under; the copy is small and nothing here sleeps.
template <typename F> Result<u64> change_credentials(F&& change)
{
    Process& p = current_process();
    SpinLockGuard guard(process_lock());
    const Credentials& old = p.creds;
    Credentials next = old;
    TRY(change(old, next));
    // A process whose ids change is no longer dumpable (Linux's
    // commit_creds, suid_dumpable = 0): its memory may hold the old
    // user's secrets.
    if (next.euid != old.euid || next.egid != old.egid || next.fsuid != old.fsuid || next.fsgid != old.fsgid)
        p.dumpable = 0;
    p.creds = next;
    return u64(0);
}

bool privileged(const Credentials& c, IdKind kind) { return c.capable(kind == IdKind::user ? Cap::setuid : Cap::setgid); }

// The four ids of one family, by reference.
struct Ids {
    u32 &real, &effective, &saved, &fs;
};
Ids ids(Credentials& c, IdKind kind)
{
    if (kind == IdKind::user)
        return {c.uid, c.euid, c.suid, c.fsuid};
    return {c.gid, c.egid, c.sgid, c.fsgid};
}
Ids ids(const Credentials& c, IdKind kind) { return ids(const_cast<Credentials&>(c), kind); }

void fix_caps(IdKind kind, const Credentials& old, Credentials& next)
{
    if (kind == IdKind::user)
        fix_caps_after_setuid(old, next);
}

// setuid/setgid: privileged, every id; otherwise only the effective (and
// filesystem) one, to the real or the saved id.
Result<u64> set_id(IdKind kind, u32 id)
{
    if (id == INVALID_ID)
        return Errno::einval;
    return change_credentials([&](const Credentials& old, Credentials& next) -> Result<void> {
        Ids o = ids(old, kind), n = ids(next, kind);
        if (privileged(old, kind))
            n.real = n.effective = n.saved = n.fs = id;
        else if (id == o.real || id == o.saved)
            n.effective = n.fs = id;
        else
            return Errno::eperm;
        fix_caps(kind, old, next);
        return {};
    });
}

// setreuid/setregid: the real id may become the real or effective one,
// the effective any of the three; -1 leaves one alone. The saved id
// follows the new effective one when the real id is set, or the
// effective one is set to something other than the old real id.
Result<u64> set_re_id(IdKind kind, u32 real, u32 effective)
{
    return change_credentials([&](const Credentials& old, Credentials& next) -> Result<void> {
        Ids o = ids(old, kind), n = ids(next, kind);
        bool priv = privileged(old, kind);
        if (real != INVALID_ID) {
            if (!priv && real != o.real && real != o.effective)
                return Errno::eperm;
            n.real = real;
        }
        if (effective != INVALID_ID) {
            if (!priv && effective != o.real && effective != o.effective && effective != o.saved)
                return Errno::eperm;
            n.effective = effective;
        }
        if (real != INVALID_ID || (effective != INVALID_ID && effective != o.real))
            n.saved = n.effective;
        n.fs = n.effective;
        fix_caps(kind, old, next);
        return {};
    });
}

// setresuid/setresgid: unprivileged, each new id must be one of the
// three current ones.
Result<u64> set_res_id(IdKind kind, u32 real, u32 effective, u32 saved)
{
    return change_credentials([&](const Credentials& old, Credentials& next) -> Result<void> {
        Ids o = ids(old, kind), n = ids(next, kind);
        auto allowed = [&](u32 v) {
            return v == INVALID_ID || privileged(old, kind) || v == o.real || v == o.effective || v == o.saved;
        };
        if (!allowed(real) || !allowed(effective) || !allowed(saved))
            return Errno::eperm;
        if (real != INVALID_ID)
            n.real = real;
        if (effective != INVALID_ID)
            n.effective = effective;
        if (saved != INVALID_ID)
            n.saved = saved;
        n.fs = n.effective;
        fix_caps(kind, old, next);
        return {};
    });
}

Result<u64> get_res_id(IdKind kind, UserPtr<u32> real, UserPtr<u32> effective, UserPtr<u32> saved)
{
    Credentials c = current_process().creds; // ours: only our threads write it
    Ids v = ids(c, kind);
    TRY(mm::write_user(real, v.real));
    TRY(mm::write_user(effective, v.effective));
    TRY(mm::write_user(saved, v.saved));
    return u64(0);
}

// setfsuid/setfsgid: no error ever, the old value always; the change
// happens when the new id is one of the four current ones, or the caller
// is privileged.
Result<u64> set_fs_id(IdKind kind, u32 id)
{
    u32 before = ids(current_process().creds, kind).fs;
    (void)change_credentials([&](const Credentials& old, Credentials& next) -> Result<void> {
        Ids o = ids(old, kind), n = ids(next, kind);
        if (id == INVALID_ID)
            return Errno::einval;
        if (!privileged(old, kind) && id != o.real && id != o.effective && id != o.saved && id != o.fs)
            return Errno::eperm;
        n.fs = id;
        if (kind == IdKind::user)
            fix_caps_after_setfsuid(old, next);
        return {};
    });
    return u64(before);
}

} // namespace

Result<u64> sys_getuid(Process& p) { return u64(p.creds.uid); }
Result<u64> sys_geteuid(Process& p) { return u64(p.creds.euid); }
Result<u64> sys_getgid(Process& p) { return u64(p.creds.gid); }
Result<u64> sys_getegid(Process& p) { return u64(p.creds.egid); }

Result<u64> sys_setuid(u32 uid) { return set_id(IdKind::user, uid); }
Result<u64> sys_setgid(u32 gid) { return set_id(IdKind::group, gid); }
Result<u64> sys_setreuid(u32 ruid, u32 euid) { return set_re_id(IdKind::user, ruid, euid); }
Result<u64> sys_setregid(u32 rgid, u32 egid) { return set_re_id(IdKind::group, rgid, egid); }
Result<u64> sys_setresuid(u32 ruid, u32 euid, u32 suid) { return set_res_id(IdKind::user, ruid, euid, suid); }
Result<u64> sys_setresgid(u32 rgid, u32 egid, u32 sgid) { return set_res_id(IdKind::group, rgid, egid, sgid); }
Result<u64> sys_getresuid(UserPtr<u32> ruid, UserPtr<u32> euid, UserPtr<u32> suid)
{
    return get_res_id(IdKind::user, ruid, euid, suid);
}
Result<u64> sys_getresgid(UserPtr<u32> rgid, UserPtr<u32> egid, UserPtr<u32> sgid)
{
    return get_res_id(IdKind::group, rgid, egid, sgid);
}
Result<u64> sys_setfsuid(u32 fsuid) { return set_fs_id(IdKind::user, fsuid); }
Result<u64> sys_setfsgid(u32 fsgid) { return set_fs_id(IdKind::group, fsgid); }

// getgroups: size 0 asks how many; a smaller buffer than that is EINVAL.
Result<u64> sys_getgroups(i32 size, UserPtr<u32> list)
{
    if (size < 0)
        return Errno::einval;
    Credentials c = current_process().creds;
    if (size == 0)
        return u64(c.group_count);
    if (u32(size) < c.group_count)
        return Errno::einval;
    TRY(mm::copy_to_user(list, c.groups, c.group_count));
    return u64(c.group_count);
}

// setgroups: CAP_SETGID only; the list is kept sorted, as Linux keeps it
// (getgroups returns it in that order).
Result<u64> sys_setgroups(i32 size, UserPtr<const u32> list)
{
    constexpr i32 NGROUPS_MAX = 65536;
    if (!current_process().creds.capable(Cap::setgid))
        return Errno::eperm;
    if (size < 0 || size > NGROUPS_MAX || u32(size) > MAX_GROUPS)
        return Errno::einval;
    u32 groups[MAX_GROUPS];
    TRY(mm::copy_from_user(groups, list, usize(size)));
    for (i32 i = 1; i < size; ++i)
        for (i32 j = i; j > 0 && groups[j - 1] > groups[j]; --j) {
            u32 g = groups[j];
            groups[j] = groups[j - 1];
            groups[j - 1] = g;
        }
    return change_credentials([&](const Credentials&, Credentials& next) -> Result<void> {
        next.group_count = u32(size);
        __builtin_memcpy(next.groups, groups, usize(size) * sizeof(u32));
        return {};
    });
}

namespace {

// include/uapi/linux/capability.h
constexpr u32 CAP_VERSION_1 = 0x19980330, CAP_VERSION_2 = 0x20071026, CAP_VERSION_3 = 0x20080522;

// How many data blocks the header's version has; an unknown version is
// EINVAL, after the kernel's preferred version is written back.
Result<u32> cap_blocks(UserPtr<CapHeader> header, CapHeader& h)
{
    h = TRY(mm::read_user(header));
    if (h.version == CAP_VERSION_1)
        return 1u;
    if (h.version == CAP_VERSION_2 || h.version == CAP_VERSION_3)
        return 2u;
    TRY(mm::write_user(header.as<u32>(), CAP_VERSION_3));
    return Errno::einval;
}

} // namespace

// capget: any thread's sets (pid 0: the caller's). A null data pointer
// only probes the version: success, even for an unknown one.
Result<u64> sys_capget(UserPtr<CapHeader> header, UserPtr<CapData> data)
{
    CapHeader h;
    auto blocks = cap_blocks(header, h);
    if (!data)
        return blocks.is_error() && blocks.code() != Errno::einval ? Result<u64>(blocks.error()) : Result<u64>(u64(0));
    u32 n = TRY(blocks);
    if (h.pid < 0)
        return Errno::einval;
    Credentials c;
    {
        SpinLockGuard guard(process_lock());
        if (h.pid == 0) {
            c = current_process().creds;
        } else {
            Thread* t = find_thread_proc_locked(h.pid);
            if (!t || t->state == ThreadState::Dead)
                return Errno::esrch;
            c = t->process->creds;
        }
    }
    CapData out[2];
    for (u32 i = 0; i < 2; ++i)
        out[i] = {u32(c.cap_effective >> (32 * i)), u32(c.cap_permitted >> (32 * i)),
                  u32(c.cap_inheritable >> (32 * i))};
    TRY(mm::copy_to_user(data, out, n));
    return u64(0);
}

// capset: the caller's own sets only. Permitted may only shrink,
// effective must stay within it, and inheritable may only take what is
// permitted (or anything, with CAP_SETPCAP).
Result<u64> sys_capset(UserPtr<CapHeader> header, UserPtr<const CapData> data)
{
    CapHeader h;
    u32 n = TRY(cap_blocks(header, h));
    if (h.pid != 0 && h.pid != current_thread().tid)
        return Errno::eperm;
    CapData in[2] = {};
    TRY(mm::copy_from_user(in, data, n));
    auto join = [](u32 low, u32 high) { return (u64(low) | u64(high) << 32) & CAP_FULL_SET; };
    u64 effective = join(in[0].effective, in[1].effective);
    u64 permitted = join(in[0].permitted, in[1].permitted);
    u64 inheritable = join(in[0].inheritable, in[1].inheritable);
    return change_credentials([&](const Credentials& old, Credentials& next) -> Result<void> {
        if (!old.capable(Cap::setpcap) && (inheritable & ~(old.cap_inheritable | old.cap_permitted)))
            return Errno::eperm;
        if (permitted & ~old.cap_permitted)
            return Errno::eperm;
        if (effective & ~permitted)
            return Errno::eperm;
        next.cap_effective = effective;
        next.cap_permitted = permitted;
        next.cap_inheritable = inheritable;
        return {};
    });
}

} // namespace kernel

#define MYRIAD_THUNKS_credentials(handler) MYRIAD_THUNK(handler)
#include "kernel/syscall/instantiate_thunks.inc"
