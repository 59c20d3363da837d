// Loading the cpio archives into a table of boot files.
#include "kernel/initramfs.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/printk.hpp"
#include "lib/cpio.hpp"

namespace kernel {

namespace {

constinit BootFile* s_files = nullptr;
constinit usize s_count = 0;
constinit usize s_capacity = 0;
constinit u32 s_archives_loaded = 0; // keeps archive ids distinct across the two buffers

// Paths are stored as "/" + the archive name, in kmalloc'd copies.
Result<lib::StringView> make_path(lib::StringView name)
{
    auto* text = static_cast<char*>(mm::kmalloc(name.length() + 2));
    if (!text)
        return Errno::enomem;
    text[0] = '/';
    __builtin_memcpy(text + 1, name.data(), name.length());
    text[name.length() + 1] = 0;
    return lib::StringView(text, name.length() + 1);
}

BootFile make_file(lib::StringView path, const lib::cpio::Entry& e)
{
    return {path, e.mode, e.data, e.filesize, e.ino, e.archive + s_archives_loaded, e.dev_major, e.dev_minor, e.nlink, e.uid, e.gid};
}

Result<void> add(const lib::cpio::Entry& e)
{
    if (e.name == lib::StringView(".") || e.name.is_empty())
        return {};
    lib::StringView path = TRY(make_path(e.name));
    // A later archive's file replaces an earlier one of the same path.
    for (usize i = 0; i < s_count; ++i) {
        if (s_files[i].path == path) {
            mm::kfree(const_cast<char*>(s_files[i].path.data()));
            s_files[i] = make_file(path, e);
            return {};
        }
    }
    if (s_count == s_capacity) {
        usize capacity = s_capacity ? s_capacity * 2 : 32;
        auto* files = static_cast<BootFile*>(mm::kmalloc(capacity * sizeof(BootFile)));
        if (!files)
            return Errno::enomem;
        for (usize i = 0; i < s_count; ++i)
            files[i] = s_files[i];
        mm::kfree(s_files);
        s_files = files;
        s_capacity = capacity;
    }
    s_files[s_count++] = make_file(path, e);
    return {};
}

void load(const char* what, const void* data, usize size)
{
    if (!data || size == 0)
        return;
    lib::cpio::Reader reader(data, size);
    lib::cpio::Entry entry;
    usize files = 0;
    for (;;) {
        auto more = reader.next(entry);
        if (more.is_error()) {
            printk("initramfs: {} archive: {} at offset {}; ignoring the rest\n", what, more.error().what,
                   reader.offset());
            break;
        }
        if (!more.value())
            break;
        if (add(entry).is_error()) {
            printk("initramfs: out of memory\n");
            return;
        }
        ++files;
    }
    s_archives_loaded += 1000; // each buffer may hold up to 1000 concatenated archives
    // newc hard links: the data travels with the last link of an inode;
    // the earlier links are empty. Give them the data.
    for (usize i = 0; i < s_count; ++i) {
        BootFile& f = s_files[i];
        if (f.size != 0 || f.nlink < 2 || (f.mode & lib::cpio::k_s_ifmt) != lib::cpio::k_s_ifreg)
            continue;
        for (usize j = 0; j < s_count; ++j) {
            const BootFile& g = s_files[j];
            if (j != i && g.size > 0 && g.archive == f.archive && g.ino == f.ino && g.dev_major == f.dev_major &&
                g.dev_minor == f.dev_minor) {
                f.data = g.data;
                f.size = g.size;
            }
        }
    }
    printk("initramfs: {} archive: {} entries ({} bytes)\n", what, files, size);
}

} // namespace

void initramfs_init(const void* builtin, usize builtin_size, const void* external, usize external_size)
{
    load("built-in", builtin, builtin_size);
    load("external", external, external_size);
}

usize initramfs_file_count() { return s_count; }
const BootFile* initramfs_file(usize index) { return index < s_count ? &s_files[index] : nullptr; }

} // namespace kernel
