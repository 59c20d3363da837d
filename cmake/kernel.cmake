# Kernel part: configured by cmake/host.cmake as an ExternalProject with
# toolchain-riscv.cmake. Produces kernel.elf (symbols, for GDB) and Image
# (flat binary with the Linux RISC-V image header, for QEMU -kernel and
# U-Boot booti).
file(GLOB_RECURSE MYRIAD_KERNEL_SOURCES CONFIGURE_DEPENDS
    ${CMAKE_SOURCE_DIR}/arch/riscv/*.cpp ${CMAKE_SOURCE_DIR}/arch/riscv/*.S
    ${CMAKE_SOURCE_DIR}/kernel/*.cpp ${CMAKE_SOURCE_DIR}/kernel/*.S ${CMAKE_SOURCE_DIR}/drivers/*.cpp)
list(FILTER MYRIAD_KERNEL_SOURCES EXCLUDE REGEX "ksyms_empty\\.S$") # pass 1 only

# The built-in initramfs (cpio newc from the userland build), linked in
# as read-only data by kernel/initramfs_blob.S.
set(MYRIAD_INITRAMFS "" CACHE FILEPATH "initramfs.cpio to build into the kernel")
if(NOT MYRIAD_INITRAMFS OR NOT EXISTS ${MYRIAD_INITRAMFS})
    set(MYRIAD_INITRAMFS ${CMAKE_BINARY_DIR}/empty.cpio)
    file(WRITE ${MYRIAD_INITRAMFS} "")
endif()
set_property(SOURCE ${CMAKE_SOURCE_DIR}/kernel/initramfs_blob.S APPEND PROPERTY OBJECT_DEPENDS ${MYRIAD_INITRAMFS})
set_property(SOURCE ${CMAKE_SOURCE_DIR}/kernel/initramfs_blob.S APPEND PROPERTY COMPILE_DEFINITIONS
             MYRIAD_INITRAMFS_PATH="${MYRIAD_INITRAMFS}")

set(MYRIAD_ARCH_FLAGS -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany)

set(MYRIAD_KERNEL_FLAGS
    -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit
    -fno-stack-protector -fno-omit-frame-pointer -fno-pic -fno-common -fno-builtin
    -fno-tree-loop-distribute-patterns # never turn kernel/string.cpp's loops into calls to itself
    ${MYRIAD_ARCH_FLAGS} -mno-relax
    # A process's kernel stack is 16 KiB and the deepest system call uses
    # about 4 KiB of it (kstack.depth): no function may hold a page-sized
    # buffer. The largest frames are rt_sigreturn's signal frame (2.2 KiB)
    # and the path walk's stack of 41 link bodies (1.4 KiB).
    -Wframe-larger-than=2560
    -Wall -Wextra -Werror -Wno-missing-field-initializers)

# The hardened kernel (MYRIAD_HARDENING=ON, build/kernel-hardened) is the
# one the self-tests and the user test suite boot: kernel UBSan, slab red
# zones and poisoning, page poisoning and the stack protector
# (docs/robustness.md). OFF compiles exactly the production kernel: no
# flag, definition or source differs.
option(MYRIAD_HARDENING "build the hardened test kernel" OFF)
if(MYRIAD_HARDENING)
    list(REMOVE_ITEM MYRIAD_KERNEL_FLAGS -fno-stack-protector)
    # GCC's undefined-behaviour checks that work freestanding: vptr needs
    # RTTI and the float checks have no floating point to look at.
    list(APPEND MYRIAD_KERNEL_FLAGS -fstack-protector-strong
         -fsanitize=undefined -fno-sanitize=vptr -fsanitize=bounds-strict)
    # early_mmu_setup runs at the physical load address before the MMU is
    # on: a check firing there could not print; and the canary is seeded
    # later, in kernel_main.
    set_property(SOURCE ${CMAKE_SOURCE_DIR}/arch/riscv/boot/early_mmu.cpp APPEND PROPERTY COMPILE_OPTIONS
                 -fno-sanitize=all -fno-stack-protector)
    # memset/memcpy/memmove/memcmp: what the compiler calls for copies and
    # fills. Their word loops are aligned by construction; checks on every
    # store took memset from 69 to 310 instructions of code, and page
    # poisoning is a memset per freed page. Their callers are checked.
    set_property(SOURCE ${CMAKE_SOURCE_DIR}/kernel/string.cpp APPEND PROPERTY COMPILE_OPTIONS -fno-sanitize=all)
    # UBSan reports name files relative to the source tree.
    set_property(SOURCE ${CMAKE_SOURCE_DIR}/kernel/hardening/ubsan.cpp APPEND PROPERTY COMPILE_DEFINITIONS
                 MYRIAD_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
else()
    list(FILTER MYRIAD_KERNEL_SOURCES EXCLUDE REGEX "/(kernel|arch/riscv)/hardening/")
endif()

add_library(kernel_objects OBJECT ${MYRIAD_KERNEL_SOURCES} ${MYRIAD_LIB_SOURCES})
# kernel_main runs once, on the boot stack (16 KiB in head.S), never on a
# process's stack.
set_source_files_properties(${CMAKE_SOURCE_DIR}/kernel/main.cpp PROPERTIES COMPILE_OPTIONS -Wframe-larger-than=4096)
target_include_directories(kernel_objects PRIVATE ${CMAKE_SOURCE_DIR})
target_compile_definitions(kernel_objects PRIVATE MYRIAD_KERNEL $<$<BOOL:${MYRIAD_HARDENING}>:MYRIAD_HARDENING>)
target_compile_options(kernel_objects PRIVATE ${MYRIAD_KERNEL_FLAGS}
    $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -Wno-volatile>)

# GCC 12's multilib matching does not understand the _zicsr_zifencei
# suffix; link with the plain ISA name so the rv64imac/lp64 libgcc is used.
set(MYRIAD_LINK_FLAGS -march=rv64imac -mabi=lp64 -nostdlib -static -no-pie -Wl,-T,${CMAKE_SOURCE_DIR}/link.ld
    -Wl,--no-warn-rwx-segments -Wl,-z,max-page-size=4096 -Wl,--build-id=none)

# Two-pass link, as Linux's kallsyms: pass 1 links with an empty symbol
# table; its text symbols are then compiled into ksyms.S and linked into
# the real kernel. The table lives in .rodata after .text, so no text
# address moves between the passes.
add_executable(kernel_pass1.elf ${CMAKE_SOURCE_DIR}/arch/riscv/ksyms_empty.S)
target_compile_options(kernel_pass1.elf PRIVATE ${MYRIAD_ARCH_FLAGS})
target_link_libraries(kernel_pass1.elf PRIVATE kernel_objects gcc)
target_link_options(kernel_pass1.elf PRIVATE ${MYRIAD_LINK_FLAGS})
set_target_properties(kernel_pass1.elf PROPERTIES LINK_DEPENDS ${CMAKE_SOURCE_DIR}/link.ld)

find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/ksyms.S
    COMMAND ${CMAKE_NM} -n --defined-only $<TARGET_FILE:kernel_pass1.elf> > ${CMAKE_BINARY_DIR}/kernel_pass1.nm
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/ksyms.py ${CMAKE_BINARY_DIR}/kernel_pass1.nm ${CMAKE_BINARY_DIR}/ksyms.S
    DEPENDS kernel_pass1.elf ${CMAKE_SOURCE_DIR}/tests/tools/ksyms.py VERBATIM)

add_executable(kernel.elf ${CMAKE_BINARY_DIR}/ksyms.S)
target_compile_options(kernel.elf PRIVATE ${MYRIAD_ARCH_FLAGS})
target_link_libraries(kernel.elf PRIVATE kernel_objects gcc)
target_link_options(kernel.elf PRIVATE ${MYRIAD_LINK_FLAGS})
set_target_properties(kernel.elf PROPERTIES LINK_DEPENDS ${CMAKE_SOURCE_DIR}/link.ld)

add_custom_command(TARGET kernel.elf POST_BUILD
    COMMAND ${CMAKE_NM} -n --defined-only $<TARGET_FILE:kernel.elf> > ${CMAKE_BINARY_DIR}/kernel.nm
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/ksyms.py --check ${CMAKE_BINARY_DIR}/kernel_pass1.nm ${CMAKE_BINARY_DIR}/kernel.nm
    COMMAND ${CMAKE_OBJCOPY} -O binary $<TARGET_FILE:kernel.elf> ${CMAKE_BINARY_DIR}/Image
    COMMAND gzip -9 -n -k -f ${CMAKE_BINARY_DIR}/Image
    VERBATIM)
