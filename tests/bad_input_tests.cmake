# Bad input where it enters at boot (included by tests/qemu_tests.cmake):
# a corrupt external initrd, a corrupt or nonsensical device tree, an
# absurd command line. Each must give a clear message and no fault; the
# kernel boots on to a working shell wherever it can run at all. The
# damaged inputs are made by tests/tools/bad_inputs.py from real ones (an
# archive from GNU cpio, QEMU virt's own device tree).
set(MYRIAD_BAD ${CMAKE_BINARY_DIR}/fixtures/bad)
set(MYRIAD_BAD_INITRDS good truncated garbage bad-magic huge-filesize name-no-nul)
set(MYRIAD_BAD_DTBS bad-token bad-nameoff no-memory bad-memory-reg bogus-chosen small-plic far-poweroff)
set(MYRIAD_BAD_OUTPUTS ${MYRIAD_BAD}/virt.dtb)
foreach(v ${MYRIAD_BAD_INITRDS})
    list(APPEND MYRIAD_BAD_OUTPUTS ${MYRIAD_BAD}/initrd-${v}.cpio)
endforeach()
foreach(v ${MYRIAD_BAD_DTBS})
    list(APPEND MYRIAD_BAD_OUTPUTS ${MYRIAD_BAD}/dtb-${v}.dtb)
endforeach()
find_program(MYRIAD_QEMU_SYSTEM qemu-system-riscv64 REQUIRED)
add_custom_command(OUTPUT ${MYRIAD_BAD_OUTPUTS}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/bad_inputs.py ${MYRIAD_BAD} ${MYRIAD_CPIO}
            ${DTC} ${MYRIAD_QEMU_SYSTEM} 128M
    DEPENDS ${CMAKE_SOURCE_DIR}/tests/tools/bad_inputs.py VERBATIM)
add_custom_target(bad_inputs ALL DEPENDS ${MYRIAD_BAD_OUTPUTS})

# The shell works, then powers off: the kernel kept running.
set(MYRIAD_SHELL_WORKS --expect "# " --send "echo still alive\\r" --expect "still alive" --expect "# "
    --send "poweroff\\r" --expect-exit 0 --reject "PANIC")

# --- External initrd: the entries before the damage load, the rest is
# ignored with the reason and the offset.
myriad_qemu_test(bad_input.initrd_good --initrd ${MYRIAD_BAD}/initrd-good.cpio
    --expect "external archive: 2 entries" --expect "# "
    --send "cat /etc/initrd-a /etc/initrd-b | wc -l\\r" --expect "2\\r\\n" ${MYRIAD_SHELL_WORKS})
foreach(v truncated huge-filesize)
    myriad_qemu_test(bad_input.initrd_${v} --initrd ${MYRIAD_BAD}/initrd-${v}.cpio
        --expect "external archive: cpio file data runs past the end at offset 160\\x3b ignoring the rest"
        --expect "external archive: 1 entries" --expect "# "
        --send "cat /etc/initrd-a\\r" --expect "first entry of the external initrd" ${MYRIAD_SHELL_WORKS})
endforeach()
myriad_qemu_test(bad_input.initrd_bad-magic --initrd ${MYRIAD_BAD}/initrd-bad-magic.cpio
    --expect "external archive: bad cpio magic (not newc 070701/070702) at offset 160"
    --expect "external archive: 1 entries" ${MYRIAD_SHELL_WORKS})
myriad_qemu_test(bad_input.initrd_name-no-nul --initrd ${MYRIAD_BAD}/initrd-name-no-nul.cpio
    --expect "external archive: cpio name is not NUL-terminated at offset 160"
    --expect "external archive: 1 entries" --expect "# "
    --send "cat /etc/initrd-b\\r" --expect "No such file" ${MYRIAD_SHELL_WORKS})
myriad_qemu_test(bad_input.initrd_garbage --initrd ${MYRIAD_BAD}/initrd-garbage.cpio
    --expect "external archive: bad cpio magic (not newc 070701/070702) at offset 0"
    --expect "external archive: 0 entries" ${MYRIAD_SHELL_WORKS})

# --- Device tree (QEMU's -dtb). A tree that is corrupt, or that names no
# usable RAM, leaves nothing to run on: the kernel says why and powers off
# through SBI (status 2 announced; QEMU's OpenSBI ends the machine with
# exit status 0 for any SBI system reset).
myriad_qemu_test(bad_input.dtb_bad-token --dtb ${MYRIAD_BAD}/dtb-bad-token.dtb --timeout 30
    --expect "boot failed: device tree rejected: unknown structure block token"
    --expect "power: off (status 2)" --expect-exit 0 --reject "PANIC")
myriad_qemu_test(bad_input.dtb_bad-nameoff --dtb ${MYRIAD_BAD}/dtb-bad-nameoff.dtb --timeout 30
    --expect "boot failed: device tree rejected: property name offset outside the strings block"
    --expect "power: off (status 2)" --expect-exit 0 --reject "PANIC")
myriad_qemu_test(bad_input.dtb_no-memory --dtb ${MYRIAD_BAD}/dtb-no-memory.dtb --timeout 30
    --expect "boot failed: no usable /memory in the device tree"
    --expect "power: off (status 2)" --expect-exit 0 --reject "PANIC")
myriad_qemu_test(bad_input.dtb_bad-memory-reg --dtb ${MYRIAD_BAD}/dtb-bad-memory-reg.dtb --timeout 30
    --expect "boot failed: no usable /memory in the device tree: reg length not a multiple of its entry size"
    --expect "power: off (status 2)" --expect-exit 0 --reject "PANIC")
# stdout-path naming no node and an initrd outside RAM: both ignored, the
# console found by compatible, a normal boot.
myriad_qemu_test(bad_input.dtb_bogus-chosen --dtb ${MYRIAD_BAD}/dtb-bogus-chosen.dtb
    --expect "initrd ignored: initrd is not inside RAM" --expect "console: ns16550a at 0x10000000"
    ${MYRIAD_SHELL_WORKS})

# --- Command line: rejected as a whole with the reason (the kernel runs on
# its defaults), or one bad option ignored with the reason.
string(REPEAT "word " 2000 MYRIAD_THOUSANDS_OF_WORDS)
myriad_qemu_test(bad_input.cmdline_long --append "${MYRIAD_THOUSANDS_OF_WORDS}"
    --expect "command line ignored: command line longer than 1024 characters" ${MYRIAD_SHELL_WORKS})
string(REPEAT "w " 100 MYRIAD_MANY_WORDS)
myriad_qemu_test(bad_input.cmdline_many_words --append "${MYRIAD_MANY_WORDS}"
    --expect "command line ignored: more than 64 words on the command line" ${MYRIAD_SHELL_WORKS})
myriad_qemu_test(bad_input.cmdline_huge_number
    --append "tick_ms=123456789012345678901234567890 pid_max=99999999999999999999999 kstack_check=0x"
    --expect "tick_ms=123456789012345678901234567890: command-line number overflows 64 bits\\x3b using 10"
    --expect "tick 10 ms" ${MYRIAD_SHELL_WORKS})

# Device-tree values a driver would have trusted into a fault: a PLIC reg
# too small for the boot hart's context (it panicked on the first MMIO
# store) and a syscon-poweroff offset outside its syscon. The first leaves
# the console without input (no external interrupts), so the runner stops
# at the prompt; the second powers off through SBI instead.
myriad_qemu_test(bad_input.dtb_small-plic --dtb ${MYRIAD_BAD}/dtb-small-plic.dtb --stop-after-steps
    --expect "plic: unusable device-tree node (reg too small for the context's registers)"
    --expect "kernel ready" --expect "# " --reject "PANIC")
myriad_qemu_test(bad_input.dtb_far-poweroff --dtb ${MYRIAD_BAD}/dtb-far-poweroff.dtb
    --expect "power: offset 0x100000 outside the syscon's reg" ${MYRIAD_SHELL_WORKS})
