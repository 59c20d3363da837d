// SBI calls: base-extension probing, timer, legacy console and reset.
#include "arch/riscv/sbi.hpp"
#include "arch/arch.hpp"
#include "kernel/arch_hooks.hpp"

namespace arch::riscv::sbi {

Return call(u64 ext, u64 fid, u64 arg0, u64 arg1, u64 arg2, u64 arg3, u64 arg4)
{
    register u64 a0 asm("a0") = arg0;
    register u64 a1 asm("a1") = arg1;
    register u64 a2 asm("a2") = arg2;
    register u64 a3 asm("a3") = arg3;
    register u64 a4 asm("a4") = arg4;
    register u64 a6 asm("a6") = fid;
    register u64 a7 asm("a7") = ext;
    asm volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a3), "r"(a4), "r"(a6), "r"(a7) : "memory");
    return {i64(a0), i64(a1)};
}

static constinit Info s_info;

void probe()
{
    u64 spec = u64(call(EXT_BASE, 0).value);
    s_info.spec_major = u32((spec >> 24) & 0x7f);
    s_info.spec_minor = u32(spec & 0xffffff);
    s_info.impl_id = u64(call(EXT_BASE, 1).value);
    s_info.impl_version = u64(call(EXT_BASE, 2).value);
    auto has = [](u64 ext) { return call(EXT_BASE, 3, ext).value != 0; };
    s_info.has_time = has(EXT_TIME);
    s_info.has_srst = has(EXT_SRST);
    s_info.has_hsm = has(EXT_HSM);
    s_info.has_ipi = has(EXT_IPI);
    s_info.has_rfence = has(EXT_RFENCE);
}

const Info& info() { return s_info; }

const char* implementation_name(u64 impl_id)
{
    // SBI spec 4.9: implementation ids.
    switch (impl_id) {
    case 0: return "BBL";
    case 1: return "OpenSBI";
    case 2: return "Xvisor";
    case 3: return "KVM";
    case 4: return "RustSBI";
    case 5: return "Diosix";
    default: return "unknown";
    }
}

void set_timer(u64 when)
{
    if (s_info.has_time)
        call(EXT_TIME, 0, when);
    else
        call(0x00, 0, when); // legacy set_timer
}

void console_putchar(char c) { call(EXT_LEGACY_PUTCHAR, 0, u8(c)); }

void shutdown(int status)
{
    // SRST type 0 = shutdown; reason 0 = none, 1 = system failure. It
    // returns (SBI_ERR_NOT_SUPPORTED) when firmware has no way to do it; the
    // legacy call is only for firmware without SRST, because OpenSBI's
    // legacy shutdown hangs in M-mode on such machines, silently.
    if (s_info.has_srst)
        call(EXT_SRST, 0, 0, status == 0 ? 0 : 1);
    else
        call(EXT_LEGACY_SHUTDOWN, 0);
    const char* msg = "power: firmware cannot power off this machine; halted\n";
    for (const char* p = msg; *p; ++p)
        firmware_putchar(*p);
    halt_forever();
}

} // namespace arch::riscv::sbi

namespace arch {
void firmware_putchar(char c) { riscv::sbi::console_putchar(c); }
int firmware_getchar()
{
    // Legacy console_getchar (SBI v0.1 extension 0x02): -1 when nothing waits.
    auto r = riscv::sbi::call(riscv::sbi::EXT_LEGACY_GETCHAR, 0);
    return r.error < 0 ? -1 : int(r.error);
}
void firmware_shutdown(int status) { riscv::sbi::shutdown(status); }
void firmware_probe() { riscv::sbi::probe(); }
void print_firmware_info()
{
    const auto& sbi = riscv::sbi::info();
    kernel::printk("SBI v{}.{}, {} v{}.{}\n", sbi.spec_major, sbi.spec_minor,
                   riscv::sbi::implementation_name(sbi.impl_id), sbi.impl_version >> 16, sbi.impl_version & 0xffff);
}
} // namespace arch
