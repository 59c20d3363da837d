// PhysAddr and VirtAddr: a physical and a virtual address as two types
// that do not mix. Each is a u64 underneath (same size, same code), built
// only explicitly from a number and read back with .value(); neither turns
// into the other. The one conversion between them belongs to the memory
// code (kernel::mm::phys_to_virt / virt_to_phys), which knows the direct map.
#pragma once

#include "lib/mm/page_meta.hpp"
#include "lib/types.hpp"

namespace lib {

enum class AddressSpaceKind : u8 { Physical, Virtual };

template <AddressSpaceKind Kind> class Address {
public:
    constexpr Address() = default;
    constexpr explicit Address(u64 value) : m_value(value) {}

    constexpr u64 value() const { return m_value; }

    // A byte offset either way; no overflow check (as with a u64).
    constexpr Address operator+(u64 bytes) const { return Address(m_value + bytes); }
    constexpr Address operator-(u64 bytes) const { return Address(m_value - bytes); }
    constexpr Address& operator+=(u64 bytes)
    {
        m_value += bytes;
        return *this;
    }
    constexpr Address& operator-=(u64 bytes)
    {
        m_value -= bytes;
        return *this;
    }
    // The distance in bytes from `other` up to this address.
    constexpr u64 operator-(Address other) const { return m_value - other.m_value; }

    // `alignment` is a power of two (a page size, usually).
    constexpr Address align_down(u64 alignment = mm::PAGE_SIZE) const
    {
        return Address(lib::align_down(m_value, alignment));
    }
    constexpr Address align_up(u64 alignment = mm::PAGE_SIZE) const
    {
        return Address(lib::align_up(m_value, alignment));
    }
    constexpr bool is_aligned(u64 alignment = mm::PAGE_SIZE) const { return lib::is_aligned(m_value, alignment); }
    constexpr u64 page_offset(u64 page_size = mm::PAGE_SIZE) const { return m_value & (page_size - 1); }

    constexpr bool operator==(const Address&) const = default;
    constexpr bool operator<(Address other) const { return m_value < other.m_value; }
    constexpr bool operator<=(Address other) const { return m_value <= other.m_value; }
    constexpr bool operator>(Address other) const { return m_value > other.m_value; }
    constexpr bool operator>=(Address other) const { return m_value >= other.m_value; }

private:
    u64 m_value = 0;
};

using PhysAddr = Address<AddressSpaceKind::Physical>;
using VirtAddr = Address<AddressSpaceKind::Virtual>;

// The types must cost nothing over the u64 they wrap: same size, trivially
// copyable (so passed and returned in a register), so an Optional<PhysAddr>
// or an array of them is laid out as the u64 version was.
static_assert(sizeof(PhysAddr) == 8 && sizeof(VirtAddr) == 8);
static_assert(__is_trivially_copyable(PhysAddr) && __is_trivially_copyable(VirtAddr));

} // namespace lib

using lib::PhysAddr;
using lib::VirtAddr;
