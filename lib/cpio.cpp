// cpio newc reader: each header is decoded and checked against the bytes
// left in the buffer before its name or data is looked at. Offsets are
// usize and every size read from a header is compared with what remains,
// never added to a position first, so no sum can wrap.
#include "lib/cpio.hpp"

namespace lib::cpio {

namespace {

// cpio(5) "New ASCII Format": the header fields after the magic, in order.
enum Field : usize {
    f_ino, f_mode, f_uid, f_gid, f_nlink, f_mtime, f_filesize,
    f_devmajor, f_devminor, f_rdevmajor, f_rdevminor, f_namesize, f_check,
    f_count,
};
constexpr usize k_magic_size = 6;
constexpr usize k_field_digits = 8;
static_assert(k_magic_size + f_count * k_field_digits == k_header_size);

Error invalid(const char* what) { return make_error(Errno::einval, what); }

// Bytes needed to pad n up to the next multiple of 4.
usize padding(usize n) { return (k_alignment - n % k_alignment) % k_alignment; }

bool decode_hex(const u8* p, u32& out)
{
    u32 v = 0;
    for (usize i = 0; i < k_field_digits; ++i) {
        u8 c = p[i];
        u32 digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        else
            return false;
        v = (v << 4) | digit;
    }
    out = v;
    return true;
}

// The magic, or as much of it as the left bytes hold.
bool has_magic(const u8* p, const char* magic, usize left)
{
    for (usize i = 0; i < k_magic_size && i < left; ++i)
        if (p[i] != u8(magic[i]))
            return false;
    return true;
}

StringView strip_dot_slash(StringView name)
{
    while (name.length() >= 2 && name[0] == '.' && name[1] == '/')
        name = name.substring(2);
    return name.is_empty() ? StringView(".", 1) : name;
}

} // namespace

Result<bool> Reader::next(Entry& entry)
{
    if (m_failed)
        return m_error;
    if (m_done)
        return false;
    auto r = read_entry(entry);
    if (r.is_error()) {
        m_failed = true;
        m_error = r.error();
    } else if (!r.value()) {
        m_done = true;
    }
    return r;
}

Result<bool> Reader::read_entry(Entry& entry)
{
    for (;;) {
        if (!m_in_archive) {
            // Between archives (or before the first): skip zero padding.
            while (m_pos < m_size && m_data[m_pos] == 0)
                ++m_pos;
            if (m_pos == m_size)
                return false;
            if (m_pos % k_alignment != 0)
                return invalid("cpio archive does not start at a 4-byte boundary");
        }
        if (m_pos == m_size)
            return invalid("cpio archive ends without TRAILER!!!");
        const usize left = m_size - m_pos;
        const u8* h = m_data + m_pos;
        const bool crc = has_magic(h, k_magic_crc, left);
        if (!crc && !has_magic(h, k_magic_newc, left))
            return invalid("bad cpio magic (not newc 070701/070702)");
        if (left < k_header_size)
            return invalid("cpio header runs past the end");
        u32 fields[f_count];
        for (usize i = 0; i < f_count; ++i)
            if (!decode_hex(h + k_magic_size + i * k_field_digits, fields[i]))
                return invalid("non-hex digit in cpio header");

        const usize namesize = fields[f_namesize];
        const usize filesize = fields[f_filesize];
        if (namesize == 0)
            return invalid("cpio name size is 0");
        if (namesize > left - k_header_size)
            return invalid("cpio name runs past the end");
        auto name = reinterpret_cast<const char*>(h + k_header_size);
        if (name[namesize - 1] != '\0')
            return invalid("cpio name is not NUL-terminated");
        StringView raw(name, namesize - 1);
        if (raw.find('\0') != raw.length())
            return invalid("NUL inside a cpio name");
        if (raw.is_empty())
            return invalid("empty cpio name");
        // The data starts after header + name padded to 4; that padding
        // may be cut short only where nothing follows.
        usize head = k_header_size + namesize;
        head += padding(head);
        if (head > left)
            head = left;
        if (filesize > left - head)
            return invalid("cpio file data runs past the end");
        const u8* data = h + head;
        usize total = head + filesize;
        total = total + padding(total) > left ? left : total + padding(total);

        // GNU cpio sums only regular files' data (symlinks carry 0).
        if (crc && (fields[f_mode] & k_s_ifmt) == k_s_ifreg) {
            u32 sum = 0;
            for (usize i = 0; i < filesize; ++i)
                sum += data[i];
            if (sum != fields[f_check])
                return invalid("cpio CRC (070702) checksum mismatch");
        }

        const usize offset = m_pos;
        m_pos += total;
        if (raw == StringView(k_trailer_name)) {
            m_in_archive = false;
            ++m_archive;
            continue;
        }
        m_in_archive = true;

        entry.name = strip_dot_slash(raw);
        entry.ino = fields[f_ino];
        entry.mode = fields[f_mode];
        entry.uid = fields[f_uid];
        entry.gid = fields[f_gid];
        entry.nlink = fields[f_nlink];
        entry.mtime = fields[f_mtime];
        entry.filesize = fields[f_filesize];
        entry.dev_major = fields[f_devmajor];
        entry.dev_minor = fields[f_devminor];
        entry.rdev_major = fields[f_rdevmajor];
        entry.rdev_minor = fields[f_rdevminor];
        entry.check = fields[f_check];
        entry.data = data;
        entry.archive = m_archive;
        entry.offset = offset;
        return true;
    }
}

Result<usize> validate(const void* data, usize size)
{
    Reader reader(data, size);
    Entry entry;
    usize count = 0;
    while (TRY(reader.next(entry)))
        ++count;
    return count;
}

} // namespace lib::cpio
