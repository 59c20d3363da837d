/* Constants shared by the assembly files (kept equal to memory_layout.hpp
   by static_asserts in trap.cpp). */
#pragma once
#define KERNEL_VIRT_BASE 0xffffffff80000000
