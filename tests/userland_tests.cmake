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
# runner itself becomes the parent of orphans and reaps them.
myriad_linux_test(usertests.linux.as_init ${MYRIAD_RUN_USERTESTS} --as-init)
set_tests_properties(usertests.linux.as_init PROPERTIES SKIP_RETURN_CODE 77)

# The harness sees a failed check, a crashed case and a hung case, and
# then exits non-zero (the `meta` group fails on purpose).
myriad_linux_test(usertests.linux.failures_are_reported ${MYRIAD_RUN_USERTESTS} --filter meta --expect-exit 1
    --expect-fail meta.deliberate_failure --expect-fail meta.deliberate_crash --expect-fail meta.deliberate_hang)

# sh, echo, true, false, spin and init run directly, one test per case
# of programs_test.py.
set(MYRIAD_PROGRAMS_TEST ${CMAKE_SOURCE_DIR}/userland/tests/programs_test.py)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${MYRIAD_PROGRAMS_TEST})
execute_process(COMMAND ${Python3_EXECUTABLE} ${MYRIAD_PROGRAMS_TEST} --list
    OUTPUT_VARIABLE program_cases OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
string(REPLACE "\n" ";" program_cases "${program_cases}")
foreach(program_case ${program_cases})
    myriad_linux_test(programs.linux.${program_case} ${Python3_EXECUTABLE} ${MYRIAD_PROGRAMS_TEST}
        --qemu ${MYRIAD_QEMU_USER} --rootfs ${MYRIAD_ROOTFS} ${program_case})
endforeach()

# The shell (grammar, expansion, redirections, background jobs, scripts;
# job control on a pseudo-terminal) and the file utilities (cat, ls,
# mkdir, rm, mv, cp, wc, head, grep, touch, env, pwd), one test per case
# of shell_test.py.
set(MYRIAD_SHELL_TEST ${CMAKE_SOURCE_DIR}/userland/tests/shell_test.py)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${MYRIAD_SHELL_TEST})
execute_process(COMMAND ${Python3_EXECUTABLE} ${MYRIAD_SHELL_TEST} --list
    OUTPUT_VARIABLE shell_cases OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
string(REPLACE "\n" ";" shell_cases "${shell_cases}")
foreach(shell_case ${shell_cases})
    myriad_linux_test(shell.linux.${shell_case} ${Python3_EXECUTABLE} ${MYRIAD_SHELL_TEST}
        --qemu ${MYRIAD_QEMU_USER} --rootfs ${MYRIAD_ROOTFS} ${shell_case})
endforeach()

# ps, top, kill, pstree, sleep, nice and time reading the host's /proc
# (the reference format for Myriad's), one test per case of
# proc_tools_test.py.
set(MYRIAD_PROC_TOOLS_TEST ${CMAKE_SOURCE_DIR}/userland/tests/proc_tools_test.py)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${MYRIAD_PROC_TOOLS_TEST})
execute_process(COMMAND ${Python3_EXECUTABLE} ${MYRIAD_PROC_TOOLS_TEST} --list
    OUTPUT_VARIABLE proc_tools_cases OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
string(REPLACE "\n" ";" proc_tools_cases "${proc_tools_cases}")
foreach(proc_tools_case ${proc_tools_cases})
    myriad_linux_test(proc_tools.linux.${proc_tools_case} ${Python3_EXECUTABLE} ${MYRIAD_PROC_TOOLS_TEST}
        --qemu ${MYRIAD_QEMU_USER} --rootfs ${MYRIAD_ROOTFS} ${proc_tools_case})
endforeach()
