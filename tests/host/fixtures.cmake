# Fixtures made at build time by the real tools, included by cmake/host.cmake
# (which then builds everything appended to MYRIAD_DTBS before host_tests):
#  - fixtures/elf/: tests/fixtures/elf/hello.c built by the riscv64 Linux
#    toolchain as a static executable, a static-pie, a dynamically linked
#    PIE, rv64 and rv32 objects, and by the host compiler; next to each,
#    NAME.readelf holds `readelf -lhW NAME`, which elf_test compares with.
#  - fixtures/cpio/: archives written by GNU cpio from a tree that
#    tests/fixtures/cpio/make_archives.py creates (see there).
find_program(MYRIAD_RISCV_LINUX_CC riscv64-linux-gnu-gcc REQUIRED)
find_program(MYRIAD_READELF NAMES riscv64-linux-gnu-readelf readelf REQUIRED)
find_program(MYRIAD_CPIO cpio REQUIRED)

# --- ELF
set(elf_src ${CMAKE_SOURCE_DIR}/tests/fixtures/elf/hello.c)
set(elf_out ${CMAKE_BINARY_DIR}/fixtures/elf)
# name; compiler; flags. static-pie: Debian's cross glibc has no rcrt1.o and
# GCC 12's RISC-V link spec drops -static-pie's linker flags, so it is built
# without libc and asks ld for a static PIE itself.
set(elf_fixtures
    "static|${MYRIAD_RISCV_LINUX_CC}|-O1 -static"
    "static-pie|${MYRIAD_RISCV_LINUX_CC}|-O1 -fPIE -DMYRIAD_NOLIBC -nostdlib -static-pie -Wl,-static,--no-dynamic-linker,-z,text"
    "dynamic|${MYRIAD_RISCV_LINUX_CC}|-O1"
    "object.o|${MYRIAD_RISCV_LINUX_CC}|-O1 -c"
    "object32.o|${MYRIAD_RISCV_LINUX_CC}|-O1 -DMYRIAD_NOLIBC -march=rv32imac -mabi=ilp32 -c"
    "host|${CMAKE_C_COMPILER}|-O1")
foreach(fx ${elf_fixtures})
    string(REPLACE "|" ";" fx_parts "${fx}")
    list(GET fx_parts 0 fx_name)
    list(GET fx_parts 1 fx_compiler)
    list(GET fx_parts 2 fx_flags)
    separate_arguments(fx_flags UNIX_COMMAND "${fx_flags}")
    set(fx_out ${elf_out}/${fx_name})
    add_custom_command(OUTPUT ${fx_out} ${fx_out}.readelf
                       COMMAND ${CMAKE_COMMAND} -E make_directory ${elf_out}
                       COMMAND ${fx_compiler} ${fx_flags} -o ${fx_out} ${elf_src}
                       COMMAND ${MYRIAD_READELF} -lhW ${fx_out} > ${fx_out}.readelf
                       DEPENDS ${elf_src} VERBATIM)
    list(APPEND MYRIAD_DTBS ${fx_out} ${fx_out}.readelf)
endforeach()

# --- cpio
set(cpio_script ${CMAKE_SOURCE_DIR}/tests/fixtures/cpio/make_archives.py)
set(cpio_out ${CMAKE_BINARY_DIR}/fixtures/cpio)
set(cpio_outputs ${cpio_out}/tree.cpio ${cpio_out}/tree-crc.cpio ${cpio_out}/extra.cpio ${cpio_out}/manifest.txt)
add_custom_command(OUTPUT ${cpio_outputs}
                   COMMAND ${Python3_EXECUTABLE} ${cpio_script} ${cpio_out} ${MYRIAD_CPIO}
                   DEPENDS ${cpio_script} VERBATIM)
list(APPEND MYRIAD_DTBS ${cpio_outputs})
