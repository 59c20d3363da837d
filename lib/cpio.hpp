// cpio "newc" archive reader for the initramfs: a Reader walks the entries
// of one or more concatenated archives in a caller's buffer and hands out
// each one's header fields, name and data as views into that buffer.
// Format: cpio(5) "New ASCII Format" (magic "070701") and "New CRC Format"
// ("070702", whose checksum of a regular file's data is verified); concatenation and padding as
// Linux's Documentation/driver-api/early-userspace/buffer-format.rst.
//
// Hard links: newc stores every name of a multiply-linked file as its own
// entry with the same (dev_major, dev_minor, ino) and nlink > 1; GNU cpio
// gives the data only to the last of them, the earlier ones have filesize
// 0. To recreate them, as Linux's init/initramfs.c does: remember the name
// of each regular file with nlink > 1; when a later entry is the
// same_inode() as a remembered one, make it a hard link to that name and
// then write its data (if any) into the shared file. Inode numbers are
// only unique within one archive, so forget them at each archive's end
// (Entry::archive differs).
#pragma once

#include "lib/result.hpp"
#include "lib/string_view.hpp"
#include "lib/types.hpp"

namespace lib::cpio {

// cpio(5): a header is the 6-byte magic and 13 fields of 8 ASCII hex
// digits; header + name and the data are each padded to a multiple of 4.
inline constexpr usize k_header_size = 110;
inline constexpr usize k_alignment = 4;
inline constexpr char k_magic_newc[] = "070701";
inline constexpr char k_magic_crc[] = "070702";
inline constexpr char k_trailer_name[] = "TRAILER!!!";

// File type and permission bits of Entry::mode (POSIX <sys/stat.h> values,
// as stored by cpio).
inline constexpr u32 k_s_ifmt = 0170000;
inline constexpr u32 k_s_ifsock = 0140000;
inline constexpr u32 k_s_iflnk = 0120000;
inline constexpr u32 k_s_ifreg = 0100000;
inline constexpr u32 k_s_ifblk = 0060000;
inline constexpr u32 k_s_ifdir = 0040000;
inline constexpr u32 k_s_ifchr = 0020000;
inline constexpr u32 k_s_ififo = 0010000;
inline constexpr u32 k_permission_bits = 07777; // rwx for all + setuid/setgid/sticky

struct Entry {
    // The stored name with every leading "./" removed; the archive's root
    // itself (stored as ".") is ".". Not otherwise normalized: the caller
    // resolves it under its root and refuses ".." itself.
    StringView name;
    u32 ino = 0;
    u32 mode = 0; // file type (k_s_if*) | permission bits
    u32 uid = 0;
    u32 gid = 0;
    u32 nlink = 0;
    u32 mtime = 0; // seconds since the epoch
    u32 filesize = 0;
    u32 dev_major = 0; // the device holding the file (hard-link identity)
    u32 dev_minor = 0;
    u32 rdev_major = 0; // for character and block special files
    u32 rdev_minor = 0;
    u32 check = 0;          // "070702": sum of a regular file's data bytes; else 0
    const u8* data = nullptr; // filesize bytes; a symlink's target
    u32 archive = 0;        // index of the concatenated archive it is from
    usize offset = 0;       // of its header in the buffer (for messages)

    u32 file_type() const { return mode & k_s_ifmt; }
    u32 permissions() const { return mode & k_permission_bits; }
    bool is_regular() const { return file_type() == k_s_ifreg; }
    bool is_directory() const { return file_type() == k_s_ifdir; }
    bool is_symlink() const { return file_type() == k_s_iflnk; }
    bool is_char_device() const { return file_type() == k_s_ifchr; }
    bool is_block_device() const { return file_type() == k_s_ifblk; }
    bool is_fifo() const { return file_type() == k_s_ififo; }
    bool is_socket() const { return file_type() == k_s_ifsock; }
    StringView data_view() const { return {reinterpret_cast<const char*>(data), filesize}; }
    // A regular file that may share its inode with other entries.
    bool may_be_hard_link() const { return is_regular() && nlink > 1; }
    bool same_inode(const Entry& o) const
    {
        return archive == o.archive && ino == o.ino && dev_major == o.dev_major && dev_minor == o.dev_minor;
    }
};

// Walks the entries. Errors are EINVAL with a message (bad magic, a
// non-hex digit, an empty or unterminated name, a name or data running
// past the end, a CRC mismatch, an archive without its trailer). Zero bytes
// before an archive and after its "TRAILER!!!" are skipped, and another
// archive may follow at a 4-aligned offset, as the Linux kernel accepts
// when it appends an external initrd to the built-in initramfs. Never
// reads outside [data, data + size).
class Reader {
public:
    Reader(const void* data, usize size) : m_data(static_cast<const u8*>(data)), m_size(size) {}

    // Fills entry and returns true; returns false once the last archive
    // ended; after an error, returns that error again.
    Result<bool> next(Entry& entry);
    // Offset of the next header to read.
    usize offset() const { return m_pos; }

private:
    Result<bool> read_entry(Entry& entry);

    const u8* m_data;
    usize m_size;
    usize m_pos = 0;
    u32 m_archive = 0;
    bool m_in_archive = false; // read a header since the last trailer
    bool m_done = false;
    Error m_error{Errno::einval, nullptr}; // valid when m_failed
    bool m_failed = false;
};

// Calls visit(const Entry&) for each entry; visit returns void or
// Result<void>, and an error from it stops the walk and is returned.
template <typename Visitor> Result<void> for_each(const void* data, usize size, Visitor&& visit)
{
    Reader reader(data, size);
    Entry entry;
    while (TRY(reader.next(entry))) {
        if constexpr (is_same<decltype(visit(entry)), void>)
            visit(entry);
        else
            TRY(visit(entry));
    }
    return {};
}

// Walks the whole buffer: the number of entries (trailers not counted), or
// the first error. For "check everything, then commit".
Result<usize> validate(const void* data, usize size);

} // namespace lib::cpio
