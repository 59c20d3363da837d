# Host part: unit tests for lib/, the kernel as an ExternalProject, and the
# CTest tests that boot it under QEMU.
include(ExternalProject)
enable_testing()

find_package(GTest REQUIRED)
find_package(Python3 REQUIRED COMPONENTS Interpreter)

add_library(myriad_lib_host STATIC ${MYRIAD_LIB_SOURCES})
target_include_directories(myriad_lib_host PUBLIC ${CMAKE_SOURCE_DIR})
# -O0: the host tests check logic under the sanitizers, not speed, and
# GoogleTest's macros take six times longer to compile at -O2 (about 150 s
# of a fresh build's wall time on two cores). The last -O on the command
# line wins, so this overrides the build type's.
target_compile_options(myriad_lib_host PUBLIC -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all -O0)
target_link_options(myriad_lib_host PUBLIC -fsanitize=address,undefined)

file(GLOB MYRIAD_HOST_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/host/*_test.cpp)
add_executable(host_tests ${MYRIAD_HOST_TESTS})
target_link_libraries(host_tests PRIVATE myriad_lib_host GTest::gtest GTest::gtest_main)
target_compile_definitions(host_tests PRIVATE MYRIAD_FIXTURES="${CMAKE_SOURCE_DIR}/tests/fixtures"
                                              MYRIAD_HOST_BUILD="${CMAKE_BINARY_DIR}")
# The scheduler policies are pure logic: the kernel's own sources, tested
# here against a model of the mechanism (tests/host/sched_sim.hpp).
target_sources(host_tests PRIVATE ${CMAKE_SOURCE_DIR}/kernel/process/fair.cpp
                                  ${CMAKE_SOURCE_DIR}/kernel/process/round_robin.cpp
                                  ${CMAKE_SOURCE_DIR}/kernel/process/realtime.cpp)
# GoogleTest's header is most of what each test file parses: compiled once
# (about 1.2 CPU-seconds saved per test file). The policies are kernel
# sources and do not see it.
target_precompile_headers(host_tests PRIVATE <gtest/gtest.h>)
set_source_files_properties(${CMAKE_SOURCE_DIR}/kernel/process/fair.cpp ${CMAKE_SOURCE_DIR}/kernel/process/round_robin.cpp
                            ${CMAKE_SOURCE_DIR}/kernel/process/realtime.cpp TARGET_DIRECTORY host_tests PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
# Each CTest test is one GoogleTest shard of the whole binary, not one
# process per test case: a process with the sanitizers costs about 0.2 s
# to start, which over 261 cases was 57 s of the suite's 566 s of test
# time. A failure still names its case in the shard's output.
set(MYRIAD_HOST_SHARDS 4)
math(EXPR last_shard "${MYRIAD_HOST_SHARDS} - 1")
foreach(shard RANGE ${last_shard})
    add_test(NAME host.shard${shard} COMMAND host_tests --gtest_brief=1 --gtest_filter=-Shebang.LinuxAgrees)
    set_tests_properties(host.shard${shard} PROPERTIES LABELS host TIMEOUT 120
        ENVIRONMENT "GTEST_TOTAL_SHARDS=${MYRIAD_HOST_SHARDS};GTEST_SHARD_INDEX=${shard}")
endforeach()
# The one slow case (it runs qemu-user many times) is a test of its own,
# so that it runs beside the shards.
add_test(NAME host.shebang_linux_agrees COMMAND host_tests --gtest_brief=1 --gtest_filter=Shebang.LinuxAgrees)
set_tests_properties(host.shebang_linux_agrees PROPERTIES LABELS host TIMEOUT 120)

# Device trees written by hand for tests (tests/fixtures/*.dts) are compiled
# with the real dtc at build time.
find_program(DTC dtc REQUIRED)
file(GLOB MYRIAD_DTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fixtures/*.dts)
set(MYRIAD_DTBS "")
foreach(dts ${MYRIAD_DTS})
    get_filename_component(stem ${dts} NAME_WE)
    set(out ${CMAKE_BINARY_DIR}/fixtures/${stem}.dtb)
    add_custom_command(OUTPUT ${out} COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/fixtures
                       COMMAND ${DTC} -q -I dts -O dtb -o ${out} ${dts} DEPENDS ${dts})
    list(APPEND MYRIAD_DTBS ${out})
endforeach()
# Fixtures made by real tools at build time (ELF files from the toolchain,
# cpio archives from cpio): tests/host/fixtures.cmake appends to MYRIAD_DTBS.
include(${CMAKE_SOURCE_DIR}/tests/host/fixtures.cmake OPTIONAL)
add_custom_target(fixtures ALL DEPENDS ${MYRIAD_DTBS})
add_dependencies(host_tests fixtures)

# User programs (static glibc) and the initramfs holding them.
set(MYRIAD_INITRAMFS ${CMAKE_BINARY_DIR}/userland/initramfs.cpio)
ExternalProject_Add(userland
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${CMAKE_BINARY_DIR}/userland
    CMAKE_ARGS -DMYRIAD_PART=userland
               -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/toolchain-riscv-linux.cmake
               -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
               -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
    BUILD_BYPRODUCTS ${MYRIAD_INITRAMFS} # so rules in this build may depend on it
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    USES_TERMINAL_BUILD ON)

# The kernel: this same source tree configured with the cross toolchain.
ExternalProject_Add(kernel
    DEPENDS userland
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${CMAKE_BINARY_DIR}/kernel
    CMAKE_ARGS -DMYRIAD_PART=kernel
               -DMYRIAD_INITRAMFS=${MYRIAD_INITRAMFS}
               -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/toolchain-riscv.cmake
               -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
               -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    USES_TERMINAL_BUILD ON)

# The hardened test kernel (cmake/kernel.cmake, MYRIAD_HARDENING): same
# sources, with the checks of docs/robustness.md; the self-test and user
# test-suite boots run it (MYRIAD_TEST_IMAGE in tests/qemu_tests.cmake).
ExternalProject_Add(kernel_hardened
    DEPENDS userland
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${CMAKE_BINARY_DIR}/kernel-hardened
    CMAKE_ARGS -DMYRIAD_PART=kernel
               -DMYRIAD_HARDENING=ON
               -DMYRIAD_INITRAMFS=${MYRIAD_INITRAMFS}
               -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/toolchain-riscv.cmake
               -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    USES_TERMINAL_BUILD ON)

# The heap's hardened bookkeeping (red zones, poison) on the host: the slab
# tests once more, with lib/mm/slab.cpp compiled as the hardened kernel
# compiles it. Its objects come before the library, so the archive's
# unhardened slab.o is never pulled in.
add_executable(host_tests_hardened ${CMAKE_SOURCE_DIR}/tests/host/slab_test.cpp ${CMAKE_SOURCE_DIR}/lib/mm/slab.cpp)
target_compile_definitions(host_tests_hardened PRIVATE MYRIAD_HARDENING)
target_link_libraries(host_tests_hardened PRIVATE myriad_lib_host GTest::gtest GTest::gtest_main)
add_test(NAME host.hardened COMMAND host_tests_hardened --gtest_brief=1)
set_tests_properties(host.hardened PROPERTIES LABELS host TIMEOUT 120)

# One compile_commands.json for clangd covering both builds.
add_custom_target(compile_commands ALL
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/merge_compile_commands.py
            ${CMAKE_BINARY_DIR}/compile_commands.json ${CMAKE_BINARY_DIR}/kernel/compile_commands.json
            ${CMAKE_BINARY_DIR}/userland/compile_commands.json
            ${CMAKE_SOURCE_DIR}/compile_commands.json
    DEPENDS kernel VERBATIM)

include(${CMAKE_SOURCE_DIR}/tests/qemu_tests.cmake)
include(${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_tests.cmake)
include(${CMAKE_SOURCE_DIR}/tests/fuzz_tests.cmake)
include(${CMAKE_SOURCE_DIR}/tests/structure_tests.cmake)
include(${CMAKE_SOURCE_DIR}/tests/docs_tests.cmake)
include(${CMAKE_SOURCE_DIR}/tests/userland_tests.cmake OPTIONAL)

# Where CTest has no timings yet (a fresh clone, CI), it starts tests in
# the order they are defined, and a long one defined last runs alone at
# the end. COST (about the seconds each took on a 2-core machine) makes
# the long ones start first; once CTest has timings it uses its own.
foreach(costed usertests.myriad_smp4:70 fuzz.campaign_60s:62 busybox.testsuite:50 usertests.myriad:35
               kstack.depth:35 usertests.linux:29 scale.forkbomb:20 usertests.linux.as_init:19
               fuzz.detects_hang:12 bench.regression:12 ktest.virt_smp4_2g:11)
    string(REPLACE ":" ";" pair ${costed})
    list(GET pair 0 name)
    list(GET pair 1 seconds)
    if(TEST ${name})
        set_tests_properties(${name} PROPERTIES COST ${seconds})
    endif()
endforeach()
