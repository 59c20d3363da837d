# CTest tests of the boot image's programs under qemu-riscv64-static, the
# Linux reference (label `linux`): the same binaries must behave under
# Linux as Myriad will make them behave. Each runs in a scratch directory.
# Cases that execve another RISC-V program say "# SKIP" here (qemu-user
# has no binfmt_misc to run it); under Myriad they run.
find_program(MYRIAD_QEMU_USER qemu-riscv64-static)
if(NOT MYRIAD_QEMU_USER)
    message(WARNING "qemu-riscv64-static not found (Debian: qemu-user-static): no userland tests")
    return()
endif()

set(MYRIAD_ROOTFS ${CMAKE_BINARY_DIR}/userland/rootfs)
set(MYRIAD_USERTESTS_SCRATCH ${CMAKE_BINARY_DIR}/usertests-scratch)
file(MAKE_DIRECTORY ${MYRIAD_USERTESTS_SCRATCH})

function(myriad_linux_test name)
    add_test(NAME ${name} COMMAND ${ARGN} WORKING_DIRECTORY ${MYRIAD_USERTESTS_SCRATCH})
    set_tests_properties(${name} PROPERTIES LABELS linux TIMEOUT 120)
endfunction()

set(MYRIAD_RUN_USERTESTS ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/userland/tests/run_usertests.py
    --qemu ${MYRIAD_QEMU_USER} --usertests ${MYRIAD_ROOTFS}/bin/usertests)

# Every group; exit status 0 and every case passed or skipped.
myriad_linux_test(usertests.linux ${MYRIAD_RUN_USERTESTS})

# As process 1 (of a PID namespace), as under init=/bin/usertests: the
# runner itself becomes the parent of orphans and reaps them, and runs
# some cases in its own process. Only the groups whose cases are written
# for that (orphans, reaping, process groups and sessions, kill(-1), the
# runner_when_init cases) run again; the others behave the same for any
# pid and already ran in usertests.linux.
myriad_linux_test(usertests.linux.as_init ${MYRIAD_RUN_USERTESTS} --as-init
    --filter process,signals,robustness,leak,conformance_wait,conformance_control)
set_tests_properties(usertests.linux.as_init PROPERTIES SKIP_RETURN_CODE 77)

# The harness sees a failed check, a crashed case and a hung case, and
# then exits non-zero (the `meta` group fails on purpose).
myriad_linux_test(usertests.linux.failures_are_reported ${MYRIAD_RUN_USERTESTS} --filter meta --expect-exit 1
    --expect-fail meta.deliberate_failure --expect-fail meta.deliberate_crash --expect-fail meta.deliberate_hang)

# The qemu-user test drivers (userland/tests/casekit.py): one CTest test
# per case the driver lists, named PREFIX.linux.CASE.
function(myriad_driver_tests prefix driver)
    set(script ${CMAKE_SOURCE_DIR}/userland/tests/${driver})
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${script})
    execute_process(COMMAND ${Python3_EXECUTABLE} ${script} --list
        OUTPUT_VARIABLE cases OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
    string(REPLACE "\n" ";" cases "${cases}")
    foreach(c ${cases})
        myriad_linux_test(${prefix}.linux.${c} ${Python3_EXECUTABLE} ${script}
            --qemu ${MYRIAD_QEMU_USER} --rootfs ${MYRIAD_ROOTFS} ${c})
    endforeach()
endfunction()

# sh, echo, true, false, spin and init run directly.
myriad_driver_tests(programs programs_test.py)
# The shell (grammar, expansion, redirections, background jobs, scripts;
# job control on a pseudo-terminal) and the file utilities.
myriad_driver_tests(shell shell_test.py)
# ps, top, kill, pstree, sleep, nice and time reading the host's /proc
# (the reference format for Myriad's).
myriad_driver_tests(proc_tools proc_tools_test.py)

# Busybox's own test suite (testsuite/ of its source, upstream's runtest)
# for every applet the image's busybox has and the suite covers, under
# qemu-riscv64-static and then booted in Myriad, with the same binary;
# every test's result must be the same on both sides, and a test that
# fails on both must be in userland/thirdparty/busybox_testsuite_known.txt
# with its reason (tests/tools/busybox_testsuite.py, docs/userland.md).
add_test(NAME busybox.testsuite COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/busybox_testsuite.py
    --testsuite ${CMAKE_BINARY_DIR}/thirdparty/busybox/src/testsuite
    --busybox ${CMAKE_BINARY_DIR}/userland/busybox-build/busybox
    --config ${CMAKE_BINARY_DIR}/userland/busybox-build/.config
    --links ${CMAKE_BINARY_DIR}/userland/busybox-build/busybox.links
    --known ${CMAKE_SOURCE_DIR}/userland/thirdparty/busybox_testsuite_known.txt
    --work ${CMAKE_BINARY_DIR}/busybox-testsuite
    --qemu-user ${MYRIAD_QEMU_USER} --image ${CMAKE_BINARY_DIR}/kernel-hardened/Image)
set_tests_properties(busybox.testsuite PROPERTIES LABELS "linux;qemu" TIMEOUT 400)
