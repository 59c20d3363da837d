# Userland part: configured by cmake/host.cmake as an ExternalProject with
# toolchain-riscv-linux.cmake. Builds the programs of the boot image as
# static glibc/libstdc++ binaries and packs them into initramfs.cpio
# (cpio newc), which the kernel build embeds.
#
# Image layout (see userland/mkinitramfs.sh, docs/userland.md):
#   /bin/busybox and its applets (/bin/sh, /usr/bin/awk, ...)
#                      busybox from Debian's source (userland/thirdparty/)
#   /usr/bin/lua       Lua 5.4 from Debian's source
#   /sbin/init, /sbin/poweroff, /bin/{boxsh,spin,exec_probe},
#   /usr/libexec/box/* one multi-call binary ("box", dispatching on the
#                      basename of argv[0]) under every name
#   /bin/usertests     the user test suite
#   /bin/bench         micro-benchmarks (instructions per operation)
#   /bin/fuzz          the system-call fuzzer (./myriad fuzz)
#   /bin/threads_demo  a plain std::thread program (userland/demos/)
#   /bin/hello, /bin/dynamic_cxx
#                      dynamically linked C and C++ programs (demos/)
#   /lib/ld-linux-riscv64-lp64d.so.1, /lib/riscv64-linux-gnu/lib*.so.*
#                      glibc's loader and the shared libraries they use,
#                      from the cross toolchain's Debian packages
#   /bin/garbage       0755, not an ELF file: execve must say ENOEXEC
#   /bin/noexec        0644 text file: execve must say EACCES
#   /dev /proc /tmp    empty directories (future mount points)
#
# A static glibc binary costs ~420 KiB however small its main() is, so
# the names share one binary (~490 KiB stripped). They are hard links,
# which newc stores once: every entry of a link group carries the same
# inode number and nlink, and only the last one carries the data (the
# others have c_filesize 0). As plain copies (-DMYRIAD_INITRAMFS_COPIES=ON,
# for a reader without hard links) the image grows from ~1.2 MiB to ~4.2
# MiB.
option(MYRIAD_INITRAMFS_COPIES "Store the multi-call names as plain copies, not hard links" OFF)

# -g1 (line tables and function names, enough for a backtrace) instead of
# the build type's full -g: full debug information is about a quarter of
# the time it takes to compile the user test suite.
set(MYRIAD_USER_FLAGS -O2 -g1 -Wall -Wextra -Werror -ffunction-sections -fdata-sections)

function(myriad_user_program name)
    add_executable(${name} ${ARGN})
    target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/userland)
    target_compile_options(${name} PRIVATE ${MYRIAD_USER_FLAGS})
    target_link_options(${name} PRIVATE -static -Wl,--gc-sections)
endfunction()

file(GLOB MYRIAD_BOX_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/userland/box/*.cpp)
myriad_user_program(box ${MYRIAD_BOX_SOURCES})

file(GLOB MYRIAD_USERTESTS_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/userland/tests/*.cpp)
myriad_user_program(usertests ${MYRIAD_USERTESTS_SOURCES})

file(GLOB MYRIAD_FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/userland/fuzz/*.cpp)
myriad_user_program(fuzz ${MYRIAD_FUZZ_SOURCES})

file(GLOB MYRIAD_BENCH_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/userland/bench/*.cpp)
myriad_user_program(bench ${MYRIAD_BENCH_SOURCES})

# An ordinary threaded C++ program, built the way anyone builds one
# (g++ -static -pthread): no project include path, no section garbage
# collection; only the warnings are ours.
add_executable(threads_demo ${CMAKE_SOURCE_DIR}/userland/demos/threads_demo.cpp)
target_compile_options(threads_demo PRIVATE -pthread -Wall -Wextra -Werror)
target_link_options(threads_demo PRIVATE -static -pthread)

# Dynamically linked, as the cross compiler builds by default (PIE, glibc's
# loader from PT_INTERP): the boot image carries the shared libraries
# they need (mkinitramfs.sh --cc).
# Built by plain compiler commands, not add_executable: the toolchain
# file links everything else -static.
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/hello
    COMMAND ${CMAKE_C_COMPILER} -O2 -g -Wall -Wextra -Werror ${CMAKE_SOURCE_DIR}/userland/demos/hello.c -o hello
    DEPENDS ${CMAKE_SOURCE_DIR}/userland/demos/hello.c VERBATIM)
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/dynamic_cxx
    COMMAND ${CMAKE_CXX_COMPILER} -O2 -g -Wall -Wextra -Werror -std=gnu++20
            ${CMAKE_SOURCE_DIR}/userland/demos/dynamic_cxx.cpp -o dynamic_cxx
    DEPENDS ${CMAKE_SOURCE_DIR}/userland/demos/dynamic_cxx.cpp VERBATIM)
add_custom_target(dynamic_programs DEPENDS ${CMAKE_BINARY_DIR}/hello ${CMAKE_BINARY_DIR}/dynamic_cxx)

# Busybox and Lua from Debian's source packages (apt-get source through
# a private apt configuration, userland/thirdparty/fetch_source.sh). The
# downloads and unpacked trees sit in build/thirdparty, outside this
# project's binary folder, so they outlive a reconfigure and a later
# build works offline; each program is rebuilt only when its source,
# configuration or build script changes.
get_filename_component(MYRIAD_TOP_BUILD ${CMAKE_BINARY_DIR} DIRECTORY)
set(MYRIAD_THIRDPARTY ${MYRIAD_TOP_BUILD}/thirdparty)
set(MYRIAD_TP_SCRIPTS ${CMAKE_SOURCE_DIR}/userland/thirdparty)
foreach(pkg busybox lua5.4)
    add_custom_command(OUTPUT ${MYRIAD_THIRDPARTY}/${pkg}/version
        COMMAND sh ${MYRIAD_TP_SCRIPTS}/fetch_source.sh --build ${MYRIAD_TOP_BUILD} ${pkg}
        DEPENDS ${MYRIAD_TP_SCRIPTS}/fetch_source.sh
        COMMENT "Fetching Debian source package ${pkg} (apt-get source, cached in build/thirdparty)"
        VERBATIM)
endforeach()
string(REGEX REPLACE "gcc$" "" MYRIAD_CROSS_PREFIX ${CMAKE_C_COMPILER})
set(MYRIAD_BUSYBOX ${CMAKE_BINARY_DIR}/busybox-build/busybox)
add_custom_command(OUTPUT ${MYRIAD_BUSYBOX}
    COMMAND sh ${MYRIAD_TP_SCRIPTS}/build_busybox.sh --src ${MYRIAD_THIRDPARTY}/busybox/src
            --options ${MYRIAD_TP_SCRIPTS}/busybox.options --cross ${MYRIAD_CROSS_PREFIX}
            --out ${CMAKE_BINARY_DIR}/busybox-build
    DEPENDS ${MYRIAD_THIRDPARTY}/busybox/version ${MYRIAD_TP_SCRIPTS}/busybox.options
            ${MYRIAD_TP_SCRIPTS}/build_busybox.sh
    COMMENT "Building busybox (make -j2, static)"
    VERBATIM)
set(MYRIAD_LUA ${CMAKE_BINARY_DIR}/lua-build/lua)
add_custom_command(OUTPUT ${MYRIAD_LUA}
    COMMAND sh ${MYRIAD_TP_SCRIPTS}/build_lua.sh --src ${MYRIAD_THIRDPARTY}/lua5.4/src
            --cc ${CMAKE_C_COMPILER} --out ${CMAKE_BINARY_DIR}/lua-build
    DEPENDS ${MYRIAD_THIRDPARTY}/lua5.4/version ${MYRIAD_TP_SCRIPTS}/build_lua.sh
    COMMENT "Building lua (static)"
    VERBATIM)

# The binaries in this directory keep their symbols (for GDB); the copies
# in rootfs/ are stripped.
set(MYRIAD_ROOTFS ${CMAKE_BINARY_DIR}/rootfs)
set(MYRIAD_INITRAMFS ${CMAKE_BINARY_DIR}/initramfs.cpio)
if(MYRIAD_INITRAMFS_COPIES)
    set(link_mode copies)
else()
    set(link_mode hardlinks)
endif()
find_program(MYRIAD_CPIO cpio REQUIRED)
add_custom_command(OUTPUT ${MYRIAD_INITRAMFS}
    COMMAND sh ${CMAKE_SOURCE_DIR}/userland/mkinitramfs.sh
            --strip ${CMAKE_STRIP} --cpio ${MYRIAD_CPIO} --links ${link_mode}
            --box $<TARGET_FILE:box> --usertests $<TARGET_FILE:usertests>
            --bench $<TARGET_FILE:bench> --fuzz $<TARGET_FILE:fuzz>
            --threads-demo $<TARGET_FILE:threads_demo>
            --busybox ${MYRIAD_BUSYBOX} --lua ${MYRIAD_LUA}
            --hello ${CMAKE_BINARY_DIR}/hello --dynamic-cxx ${CMAKE_BINARY_DIR}/dynamic_cxx --cc ${CMAKE_C_COMPILER}
            --rootfs ${MYRIAD_ROOTFS} --out ${MYRIAD_INITRAMFS}
    DEPENDS box usertests bench fuzz threads_demo ${MYRIAD_BUSYBOX} ${MYRIAD_LUA} ${CMAKE_BINARY_DIR}/hello ${CMAKE_BINARY_DIR}/dynamic_cxx
            ${CMAKE_SOURCE_DIR}/userland/mkinitramfs.sh
    COMMENT "Staging rootfs/ and packing initramfs.cpio (${link_mode})"
    VERBATIM)
add_custom_target(initramfs ALL DEPENDS ${MYRIAD_INITRAMFS})
