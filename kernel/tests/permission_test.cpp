// ktests for the permission rules on their own (no processes, no VFS
// tree): the mode-bit classes against explicit credentials, the
// capabilities that override them, and the capability fix-ups of uid
// changes.
#include "kernel/fs/permission.hpp"
#include "kernel/ktest.hpp"

using namespace kernel;
using namespace kernel::fs;

namespace {

Inode file(u32 mode, u32 uid, u32 gid)
{
    Inode i;
    i.mode = S_IFREG | mode;
    i.uid = uid;
    i.gid = gid;
    return i;
}

Credentials user(u32 uid, u32 gid)
{
    Credentials c;
    c.uid = c.euid = c.suid = c.fsuid = uid;
    c.gid = c.egid = c.sgid = c.fsgid = gid;
    c.cap_effective = c.cap_permitted = 0;
    return c;
}

bool allowed(const Inode& i, int mask, const Credentials& c) { return check_permission(i, mask, c).is_ok(); }

} // namespace

KTEST(permission, owner_class_decides_for_the_owner)
{
    Credentials c = user(1000, 1000);
    Inode i = file(0066, 1000, 1000); // nothing for the owner, all for the rest
    EXPECT_FALSE(allowed(i, MAY_READ, c));
    EXPECT_TRUE(allowed(file(0600, 1000, 0), MAY_READ | MAY_WRITE, c));
    EXPECT_FALSE(allowed(file(0600, 1000, 0), MAY_EXEC, c));
}

KTEST(permission, group_class_by_fsgid_or_supplementary_group)
{
    Credentials c = user(1000, 1000);
    EXPECT_FALSE(allowed(file(0060, 0, 2000), MAY_READ, c));
    c.groups[0] = 2000;
    c.group_count = 1;
    EXPECT_TRUE(allowed(file(0060, 0, 2000), MAY_READ | MAY_WRITE, c));
    EXPECT_FALSE(allowed(file(0604, 0, 2000), MAY_READ, c)); // the group class, not other
    c.fsgid = 3000;
    EXPECT_TRUE(allowed(file(0040, 0, 3000), MAY_READ, c));
}

KTEST(permission, capabilities_override_but_exec_needs_an_x_bit)
{
    Credentials root;
    EXPECT_TRUE(allowed(file(0000, 5, 5), MAY_READ | MAY_WRITE, root));
    EXPECT_FALSE(allowed(file(0644, 5, 5), MAY_EXEC, root));
    EXPECT_TRUE(allowed(file(0100, 5, 5), MAY_EXEC, root));
    Inode dir = file(0000, 5, 5);
    dir.mode = S_IFDIR;
    EXPECT_TRUE(allowed(dir, MAY_EXEC | MAY_WRITE, root)); // directories: any search
    Credentials search_only = user(1000, 1000);
    search_only.cap_effective = cap_bit(Cap::dac_read_search);
    EXPECT_TRUE(allowed(dir, MAY_READ | MAY_EXEC, search_only));
    EXPECT_FALSE(allowed(dir, MAY_WRITE, search_only));
    EXPECT_TRUE(allowed(file(0000, 5, 5), MAY_READ, search_only));
    EXPECT_FALSE(allowed(file(0000, 5, 5), MAY_WRITE, search_only));
}

KTEST(permission, uid_changes_adjust_capabilities)
{
    Credentials old;
    Credentials now = old;
    now.euid = 1000; // seteuid(1000)
    fix_caps_after_setuid(old, now);
    EXPECT_EQ(now.cap_effective, 0ull);
    EXPECT_EQ(now.cap_permitted, CAP_FULL_SET);
    Credentials back = now;
    back.euid = 0;
    fix_caps_after_setuid(now, back);
    EXPECT_EQ(back.cap_effective, CAP_FULL_SET);
    Credentials gone = old;
    gone.uid = gone.euid = gone.suid = 1000;
    fix_caps_after_setuid(old, gone);
    EXPECT_EQ(gone.cap_permitted, 0ull);
    Credentials fs = old;
    fs.fsuid = 1000;
    fix_caps_after_setfsuid(old, fs);
    EXPECT_FALSE(fs.capable(Cap::dac_override));
    EXPECT_TRUE(fs.capable(Cap::kill));
}
