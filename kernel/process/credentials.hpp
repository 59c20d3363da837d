// A process's security context (credentials(7), capabilities(7)): the
// real, effective, saved and filesystem user and group ids, the
// supplementary groups and the capability sets. One per process (thread
// group): the threads share it, so a set*id call by any thread changes
// them all at once (glibc still broadcasts its set*id calls to every
// thread, which then finds nothing left to change). Copied by fork, kept
// (and transformed, as Linux's execve does) by exec.
#pragma once

#include "lib/types.hpp"

namespace kernel {

// Capability numbers (include/uapi/linux/capability.h).
enum class Cap : u8 {
    chown = 0, dac_override = 1, dac_read_search = 2, fowner = 3, fsetid = 4, kill = 5, setgid = 6, setuid = 7,
    setpcap = 8, linux_immutable = 9, sys_nice = 23, sys_resource = 24, sys_time = 25, mknod = 27, mac_override = 32,
};
inline constexpr u32 CAP_LAST_CAP = 40; // CAP_CHECKPOINT_RESTORE
inline constexpr u64 CAP_FULL_SET = (1ull << (CAP_LAST_CAP + 1)) - 1;
constexpr u64 cap_bit(Cap c) { return 1ull << u32(c); }
// The capabilities a filesystem uid of 0 brings (Linux's CAP_FS_SET):
// setfsuid away from 0 drops them from the effective set, back to 0
// raises them again from the permitted set.
inline constexpr u64 CAP_FS_SET = cap_bit(Cap::chown) | cap_bit(Cap::dac_override) | cap_bit(Cap::dac_read_search) |
                                  cap_bit(Cap::fowner) | cap_bit(Cap::fsetid) | cap_bit(Cap::linux_immutable) |
                                  cap_bit(Cap::mknod) | cap_bit(Cap::mac_override);

// Linux allows NGROUPS_MAX (65536) supplementary groups in an allocated
// list; here a bounded array: setgroups with more is EINVAL.
inline constexpr u32 MAX_GROUPS = 32;
inline constexpr u32 INVALID_ID = 0xffffffffu; // (uid_t)-1: "leave unchanged" for set*id

struct Credentials {
    u32 uid = 0, euid = 0, suid = 0, fsuid = 0;
    u32 gid = 0, egid = 0, sgid = 0, fsgid = 0;
    u32 group_count = 0;
    u32 groups[MAX_GROUPS] = {};
    u64 cap_effective = CAP_FULL_SET;
    u64 cap_permitted = CAP_FULL_SET;
    u64 cap_inheritable = 0;
    bool keep_caps = false; // prctl(PR_SET_KEEPCAPS); exec clears it

    bool capable(Cap c) const { return cap_effective & cap_bit(c); }
    // Is gid the filesystem group or a supplementary one (in_group_p)?
    bool in_group(u32 g) const
    {
        if (g == fsgid)
            return true;
        for (u32 i = 0; i < group_count; ++i)
            if (groups[i] == g)
                return true;
        return false;
    }
};

// Linux's capability fix-ups when uids change (security/commoncap.c,
// cap_emulate_setxuid, and the LSM_SETID_FS case): `old` before the call,
// `now` after it, adjusted in place.
inline void fix_caps_after_setuid(const Credentials& old, Credentials& now)
{
    bool had_root = old.uid == 0 || old.euid == 0 || old.suid == 0;
    bool has_root = now.uid == 0 || now.euid == 0 || now.suid == 0;
    if (had_root && !has_root && !now.keep_caps)
        now.cap_permitted = now.cap_effective = 0;
    if (old.euid == 0 && now.euid != 0)
        now.cap_effective = 0;
    if (old.euid != 0 && now.euid == 0)
        now.cap_effective = now.cap_permitted;
}

inline void fix_caps_after_setfsuid(const Credentials& old, Credentials& now)
{
    if (old.fsuid == 0 && now.fsuid != 0)
        now.cap_effective &= ~CAP_FS_SET;
    if (old.fsuid != 0 && now.fsuid == 0)
        now.cap_effective |= now.cap_permitted & CAP_FS_SET;
}

} // namespace kernel
