// The boot file set: the cpio (newc) archive built into the kernel, then
// the external initrd the device tree names (its files win), parsed once
// at boot into a list of files that fs/populate.cpp links into the VFS.
#pragma once

#include "lib/result.hpp"
#include "lib/string_view.hpp"

namespace kernel {

struct BootFile {
    lib::StringView path; // absolute, e.g. "/bin/sh"
    u32 mode;             // file type and permission bits (st_mode)
    const u8* data;
    u64 size;
    u32 ino;
    // Hard-link identity within one archive (newc: same archive, dev, ino).
    u32 archive, dev_major, dev_minor, nlink;
    u32 uid, gid; // the owner
};

// Reads both archives; a malformed archive is reported and skipped from
// the point of the error, never fatal.
void initramfs_init(const void* builtin, usize builtin_size, const void* external, usize external_size);
usize initramfs_file_count();
const BootFile* initramfs_file(usize index);

} // namespace kernel
