// The table of harts: discovered from the device tree at boot (every
// enabled cpu node with an MMU, the boot hart first, at most maxcpus=N),
// then marked online as each one comes up.
#include "kernel/smp.hpp"
#include "arch/arch.hpp"
#include "kernel/boot.hpp"
#include "kernel/printk.hpp"
#include "kernel/process/scheduler.hpp"

namespace kernel {

namespace {

constinit HartInfo s_info[MAX_HARTS] = {};
constinit u32 s_discovered = 0;     // entries of s_info filled
constinit u64 s_online_mask = 1;    // the boot hart is online from the start

lib::StringView without_prefix(lib::StringView s, lib::StringView prefix)
{
    if (s.starts_with(prefix))
        return s.substring(prefix.length());
    return s;
}

bool isa_is_enough(lib::StringView isa)
{
    static constexpr const char* needed[] = {"i", "m", "a", "f", "d", "c"};
    for (const char* ext : needed)
        if (!lib::fdt::isa_has_extension(isa, ext))
            return false;
    return true;
}

HartInfo info_of(const lib::fdt::Blob& fdt, const lib::fdt::Hart& h)
{
    HartInfo info{};
    info.hart_id = h.id;
    info.isa = h.isa;
    info.mmu = without_prefix(h.mmu_type, "riscv,");
    if (auto compatible = fdt.property(h.node, "compatible"))
        info.uarch = compatible->as_string().value_or("");
    return info;
}

} // namespace

u32 smp_discover(const lib::fdt::Blob& fdt, u64 boot_hart_id, u32 max_harts)
{
    s_discovered = 0;
    s_info[s_discovered++] = HartInfo{boot_hart_id, {}, {}, {}};
    if (auto boot = fdt.find_hart(boot_hart_id); boot.is_ok())
        s_info[0] = info_of(fdt, boot.value());
    auto cpus = fdt.find_path("/cpus");
    if (!cpus)
        return s_discovered;
    for (lib::fdt::Node child : fdt.children(*cpus)) {
        auto hart = fdt.hart(child);
        if (hart.is_error() || hart->id == boot_hart_id)
            continue;
        // RISC-V cpus binding: a hart without mmu-type has no S-mode paging
        // (the E51/S7 monitor cores of the FU540/FU740/JH7110).
        if (!hart->enabled || hart->mmu_type.is_empty())
            continue;
        // The kernel is built for rv64imafdc (with Zicsr/Zifencei).
        if (!hart->isa.is_empty() && !isa_is_enough(hart->isa)) {
            printk("smp: hart {} lacks what the kernel needs (riscv,isa \"{}\"); left out\n", hart->id, hart->isa);
            continue;
        }
        if (s_discovered >= max_harts || s_discovered >= MAX_HARTS) {
            printk("smp: hart {} left out (maxcpus={})\n", hart->id, max_harts);
            continue;
        }
        s_info[s_discovered++] = info_of(fdt, hart.value());
    }
    return s_discovered;
}

u32 smp_discovered() { return s_discovered; }
void smp_mark_online(u32 index) { __atomic_fetch_or(&s_online_mask, 1ull << index, __ATOMIC_RELEASE); }

u32 online_hart_count() { return u32(__builtin_popcountll(online_harts_mask())); }
u64 online_harts_mask() { return __atomic_load_n(&s_online_mask, __ATOMIC_ACQUIRE); }

const HartInfo* hart_info(u32 index)
{
    if (index >= MAX_HARTS || !(online_harts_mask() & (1ull << index)))
        return nullptr;
    return &s_info[index];
}

} // namespace kernel
