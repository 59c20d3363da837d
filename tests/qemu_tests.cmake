# CTest tests that boot the kernel under QEMU (tests/tools/qemu.py).
set(MYRIAD_IMAGE ${CMAKE_BINARY_DIR}/kernel/Image)
set(MYRIAD_QEMU ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/qemu.py --image ${MYRIAD_IMAGE})
# The same as one string, for tests that run it from a shell command line.
set(MYRIAD_QEMU_SH "'${Python3_EXECUTABLE}' '${CMAKE_SOURCE_DIR}/tests/tools/qemu.py' --image '${MYRIAD_IMAGE}'")

function(myriad_qemu_test name)
    add_test(NAME ${name} COMMAND ${MYRIAD_QEMU} ${ARGN})
    set_tests_properties(${name} PROPERTIES LABELS qemu TIMEOUT 180)
endfunction()

# The image the self-tests and test suites boot (ktest.*, usertests.*): the
# hardened kernel (UBSan, slab red zones, page poisoning, stack protector;
# docs/robustness.md), so that a bug they provoke stops the run with a
# report. Boot, board, panic and benchmark tests keep the production Image.
set(MYRIAD_TEST_IMAGE ${CMAKE_BINARY_DIR}/kernel-hardened/Image)
function(myriad_qemu_selftest name)
    myriad_qemu_test(${name} --image ${MYRIAD_TEST_IMAGE} ${ARGN}) # the last --image wins
endfunction()

# Boots to init and the shell: a command runs, `exit` makes init start a
# new shell, a CPU-bound program runs and returns the prompt, and
# `poweroff` (reboot(2)) ends the machine with status 0.
myriad_qemu_test(boot.virt
    --expect "Myriad" --expect "kernel ready" --expect "starting /sbin/init as pid 1" --expect "# "
    --send "echo hello world\\r" --expect "hello world" --expect "# "
    --send "exit\\r" --expect "starting a new one" --expect "# "
    --send "false\\r" --expect "# " --send "echo status $?\\r" --expect "status 1" --expect "# "
    --send "spin 1\\r" --expect "# "
    --send "poweroff\\r" --expect-exit 0
    --reject "PANIC")

# A plain std::thread program (userland/demos/threads_demo.cpp, built with
# riscv64-linux-gnu-g++ -static -pthread) typed at the shell, and ps -T
# (busybox: one line per thread) beside a background job: what a user
# does first with threads.
myriad_qemu_test(boot.threads_at_the_shell
    --expect "# " --send "threads_demo\\r" --expect "threads_demo: ok" --expect "# "
    --send "spin 2 &\\r" --expect "# " --send "ps -T\\r" --expect "PID   USER" --expect "spin 2" --expect "# "
    --send "poweroff\\r" --expect-exit 0
    --reject "PANIC")

# No init: the kernel says why and falls back to its monitor, which still
# answers typed commands (UART receive interrupts through the PLIC).
myriad_qemu_test(boot.no_init --append "init=/sbin/none"
    --expect "cannot start init /sbin/none: ENOENT" --expect "> "
    --send "ticks\\r" --expect "ticks: "
    --send "poweroff\\r" --expect-exit 0 --reject "PANIC")

# Every ktest suite, each case a visible result.
myriad_qemu_selftest(ktest.virt --append "ktest ktest.mem_mib=128 ktest.harts=1" --ktap --expect-exit 0)
myriad_qemu_selftest(ktest.virt_smp4_2g --smp 4 --mem 2G --append "ktest ktest.mem_mib=2048 ktest.harts=4"
    --ktap --expect-exit 0 --timeout 240) # the hardened kernel poisons all 2 GiB as exhaust_and_return frees it
set_tests_properties(ktest.virt_smp4_2g PROPERTIES TIMEOUT 260)
myriad_qemu_selftest(ktest.sifive_u --machine sifive_u --mem 256M
    --append "ktest ktest.mem_mib=256 ktest.harts=1" --ktap --expect-exit 0)

# A deliberately failing case must make the run fail (the runner must see
# it): enabled by the test-only option ktest.fail.
myriad_qemu_selftest(ktest.failure_is_reported --append "ktest=ktest_meta ktest.fail" --ktap
    --ktap-expect-fail ktest_meta.deliberate_failure
    --ktap-expect-fail ktest_meta.expect_continues_assert_returns --expect-exit 1)

# A kernel fault outside the fixup table panics with a readable report:
# cause, sepc symbolized, registers, backtrace through the callers.
myriad_qemu_test(panic.report --append "panic_test=fault"
    --expect "KERNEL PANIC: store/AMO page fault" --expect "sepc"
    --expect "panic_test_fault_store" --expect "backtrace:" --expect "kernel_main"
    --expect "end Kernel panic" --expect-exit 3)

# Bad command line: a clear message, then boot continues with defaults.
myriad_qemu_test(boot.bad_cmdline --append "init=\"/bin/sh"
    --expect "command line ignored: unterminated quote" --expect "kernel ready" --expect "# "
    --send "poweroff\\r" --expect-exit 0)

# The second machine model with all its harts: the E51 (hart 0, no MMU,
# only an M-mode PLIC context) left out, the four U54s (harts 1-4, any of
# them the boot hart: OpenSBI's lottery) up, each with its S-mode PLIC
# context from interrupts-extended; sifive,uart0 console.
myriad_qemu_test(boot.sifive_u --machine sifive_u --smp 4 --mem 256M
    --expect "booting on hart " --expect "plic: 0xc000000, "
    --expect "console: sifive,uart0"
    --expect "up as cpu 1" --expect "up as cpu 2" --expect "up as cpu 3" --expect "smp: 4 hart(s) online"
    --expect "kernel ready" --expect "# "
    --send "echo on the unleashed\\r" --expect "on the unleashed" --expect "# "
    --send "cat /sys/devices/system/cpu/online\\r" --expect "0-3\\r\\n" --expect "# "
    --send "poweroff\\r" --expect-exit 0 --reject "PANIC" --reject "left out")

# The user test suite as init: KTAP from user space, every case visible;
# init's exit status is QEMU's.
myriad_qemu_selftest(usertests.myriad --append "init=/bin/usertests" --ktap --expect-exit 0 --timeout 300)
set_tests_properties(usertests.myriad PROPERTIES TIMEOUT 320)

# The whole suite again on four harts, with the smp group (threads and
# processes pinned to different harts, shootdowns, a fork+exec storm):
# the threads of a process run on several harts at once here.
myriad_qemu_selftest(usertests.myriad_smp4 --smp 4 --append "init=/bin/usertests -- default,smp" --ktap
    --expect-exit 0 --timeout 400)
set_tests_properties(usertests.myriad_smp4 PROPERTIES TIMEOUT 420)

# Running out of memory in 64 MiB: brk, mmap and malloc say ENOMEM, a
# fault that finds no page kills only its process, a fork bomb is refused,
# and every case ends with free memory exactly at its baseline.
myriad_qemu_selftest(usertests.oom_64m --mem 64M --append "init=/bin/usertests -- oom" --ktap --expect-exit 0
    --expect "out of memory: killed pid" --timeout 200)
set_tests_properties(usertests.oom_64m PROPERTIES TIMEOUT 220)

# The process cases (fork, exec, wait, faults, scheduling) on the other
# scheduler policy, round-robin (sched=rr): both policies sit behind the
# same interface, and the mechanism must work with either. (The signals
# group's nice_weighting case is the fair policy's alone: round-robin
# ignores nice by design.)
myriad_qemu_selftest(usertests.sched_rr --append "sched=rr init=/bin/usertests -- process" --ktap --expect-exit 0
    --expect "scheduler: rr policy" --timeout 200)
set_tests_properties(usertests.sched_rr PROPERTIES TIMEOUT 220)


# Threads, vfork children and clone(CLONE_VM) processes share address
# spaces, which the memory checker (mm_check=1: after every system call
# and page fault) must count once: the thread cases that share one, and
# the fuzzer's regressions for it. (The whole group under the checker
# takes 45 s, most of it the thousand threads.)
set(MYRIAD_MM_CHECK_THREAD_CASES
    threads.create_join_return_values threads.shared_futex_across_processes threads.fork_from_a_threaded_process
    threads.vfork_child_exit_status threads.vfork_suspends_the_parent threads.posix_spawn_with_file_actions
    threads.system_exit_status threads.popen_reads_output threads.exec_from_a_non_leader_thread
    threads.exit_group_from_a_thread threads.robust_mutex_kernel_cleanup
    fuzz_regressions.vfork_child_calls_while_sharing_memory fuzz_regressions.clone_vm_process_makes_calls)
string(REPLACE ";" "," MYRIAD_MM_CHECK_THREAD_CASES "${MYRIAD_MM_CHECK_THREAD_CASES}")
myriad_qemu_selftest(usertests.threads_mm_check --append "mm_check=1 init=/bin/usertests -- ${MYRIAD_MM_CHECK_THREAD_CASES}"
    --ktap --expect-exit 0 --expect "mm_check: checking every address space" --timeout 200)
set_tests_properties(usertests.threads_mm_check PROPERTIES TIMEOUT 220)

# The external initrd (-initrd, /chosen/linux,initrd-*) is read after the
# built-in initramfs and its files win: this one replaces /sbin/init with
# the user test suite, so the boot runs usertests (its process group)
# instead of the shell.
set(MYRIAD_TEST_INITRD ${CMAKE_BINARY_DIR}/fixtures/override-init.cpio)
add_custom_command(OUTPUT ${MYRIAD_TEST_INITRD}
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${CMAKE_BINARY_DIR}/fixtures/override-init
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/fixtures/override-init/sbin
    COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_BINARY_DIR}/userland/rootfs/bin/usertests
            ${CMAKE_BINARY_DIR}/fixtures/override-init/sbin/init
    COMMAND sh -c "cd ${CMAKE_BINARY_DIR}/fixtures/override-init && find . -mindepth 1 | cpio -o -H newc --owner=0:0 --quiet > ${MYRIAD_TEST_INITRD}"
    DEPENDS userland ${MYRIAD_INITRAMFS} VERBATIM) # rootfs files carry mtime 0; the archive does not
add_custom_target(test_initrd ALL DEPENDS ${MYRIAD_TEST_INITRD})
myriad_qemu_test(boot.external_initrd_wins --initrd ${MYRIAD_TEST_INITRD}
    --append "init=/sbin/init -- process"
    --expect "initramfs: external archive: 2 entries" --expect "starting /sbin/init as pid 1"
    --expect "KTAP version 1" --ktap --expect-exit 0 --timeout 300)
set_tests_properties(boot.external_initrd_wins PROPERTIES TIMEOUT 320)

# A scripted console session with the real shell: pipelines, redirection into the RAM filesystem, && and ||, $?,
# directories and cd, a #! script, a background job, ^C interrupting a
# running program, poll on the terminal in canonical and raw mode
# (usertests poll_tty), and ^D at the prompt ending the shell (init
# starts a new one).
myriad_qemu_test(shell.session --timeout 120
    --expect "# " --send "echo one two | wc -w\\r" --expect "2\\r\\n" --expect "# "
    --send "ls -l /bin > /tmp/x\\x3b cat /tmp/x | grep sh\\r" --expect " sh\\r\\n" --expect "# "
    --send "mkdir /tmp/d && cd /tmp/d && pwd\\r" --expect "/tmp/d\\r\\n" --expect "# "
    --send "false || echo rescued && echo chained\\r" --expect "rescued" --expect "chained" --expect "# "
    --send "false\\x3b echo status=$?\\r" --expect "status=1" --expect "# "
    --send "echo 'echo from a script: $1' > s.sh\\x3b echo '#!/bin/sh' > t.sh\\x3b cat s.sh >> t.sh\\r" --expect "# "
    --send "sh s.sh arg1\\r" --expect "from a script: arg1" --expect "# "
    --send "chmod 755 t.sh && ./t.sh arg2\\r" --expect "from a script: arg2" --expect "# "
    --send "echo hello > f\\x3b echo more >> f\\x3b wc -l < f\\r" --expect "2\\r\\n" --expect "# "
    --send "ls /nonexistent 2> err\\x3b cat err\\r" --expect "ls: /nonexistent" --expect "# "
    --send "spin &\\r" --expect "# " --send "jobs\\r" --expect "[1]+  Running" --expect "# "
    --send "echo still here\\r" --expect "still here" --expect "# "
    --send "spin\\r" --sleep 1 --send "\\x03" --expect "# "
    --send "echo after interrupt\\r" --expect "after interrupt" --expect "# "
    --send "usertests poll_tty\\r" --expect "tty poll: type a line"
    --send "abc" --sleep 0.6 --send "def\\r" --expect "tty poll: type three keys"
    --send "xy" --sleep 0.6 --send "z" --expect "tty poll: type one key, then two"
    --send "q" --sleep 0.6 --send "rs" --expect "ok 1 tty_canonical_and_raw" --expect "# "
    --send "\\x04" --expect "starting a new one" --expect "# "
    --send "poweroff\\r" --expect-exit 0 --reject "PANIC" --reject "not ok")

# Busybox's sh (ash) as a user drives it over the console, and the
# programs of the image a script leans on. Each expected text is computed
# by the guest (an arithmetic result, a file name find found, a status),
# never a part of the typed line the terminal echoes. Line editing (poll
# on the tty in raw mode): arrow keys, backspace, ^A. Any system call the
# kernel does not have fails the test ("not implemented" in the log).
myriad_qemu_test(shell.busybox_session --timeout 150
    --expect "# " --send "echo $((7-2))" --send "\\x1b\\x5bD\\x1b\\x5bD\\x1b\\x5bD\\x7f*" --send "\\r" --expect "14\\r\\n" --expect "# "
    --send "cho $((40+2))\\x01e\\r" --expect "42\\r\\n" --expect "# "
    --send "printf 'a 1\\\\nb 2\\\\n' | while read n v\\x3b do echo \"got $n=$((v*10))\"\\x3b done\\r"
    --expect "got a=10\\r\\ngot b=20\\r\\n" --expect "# "
    --send "for i in 1 2 3 4\\x3b do if [ $((i % 2)) = 0 ]\\x3b then case $i in 2) echo two-even\\x3b\\x3b *) echo other-$i\\x3b\\x3b esac\\x3b fi\\x3b done\\r"
    --expect "two-even\\r\\nother-4\\r\\n" --expect "# "
    --send "time spin 0.1\\r" --expect "real\\t0m 0." --expect "user\\t0m 0." --expect "# "
    --send "timeout 1 spin 10\\x3b echo rc=$?\\r" --expect "rc=143" --expect "# "
    --send "seq 4 | xargs -n 2 echo pair\\r" --expect "pair 1 2\\r\\npair 3 4\\r\\n" --expect "# "
    --send "mkdir -p /tmp/fx/a && touch /tmp/fx/a/one.t /tmp/fx/two.x && find /tmp/fx -name '*.t' -exec echo found: {} \\\\\\x3b\\r"
    --expect "found: /tmp/fx/a/one.t\\r\\n" --expect "# "
    --send "sleep 47 &\\r" --expect "# "
    --send "ps\\r" --expect "sleep 47\\r\\n" --expect "# "
    --send "top -b -n 1\\r" --expect "Load average" --expect "sleep 47" --expect "# "
    --send "pstree -p\\r" --expect "init(1)---sh(" --expect "sleep(" --expect "# "
    --send "kill %1\\r" --sleep 0.5 --send "\\r" --expect "Terminated" --expect "# "
    --send "tee /tmp/t.lua > /dev/null <<'END'\\r"
    --send "local t = {}\\r"
    --send "for i = 1, 5 do t[#t + 1] = i * i end\\r"
    --send "print('lua squares ' .. table.concat(t, ','))\\r"
    --send "print('lua exit', os.execute('exit 3'))\\r"
    --send "local f = io.popen('echo popen && echo works')\\r"
    --send "print('lua read ' .. (f:read('a'):gsub(string.char(10), '+')))\\r"
    --send "print('lua close', f:close())\\r"
    --send "END\\r" --expect "# "
    --send "lua /tmp/t.lua\\r" --expect "lua squares 1,4,9,16,25\\r\\n" --expect "lua exit\\tnil\\texit\\t3\\r\\n"
    --expect "lua read popen+works+\\r\\n" --expect "lua close\\ttrue\\texit\\t0\\r\\n" --expect "# "
    --send "cat /etc/passwd\\r" --expect "root:x:0:0:" --expect "# "
    --send "cat /etc/group | wc -l\\r" --expect "2\\r\\n" --expect "# "
    --send "id\\r" --expect "uid=0(root) gid=0(root)\\r\\n" --expect "# "
    --send "poweroff\\r" --expect-exit 0 --reject "PANIC" --reject "not implemented" --reject "not found"
    --reject "can't get groups")

# The Image header U-Boot's booti and QEMU's -kernel read.
add_test(NAME boot.image_header COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/check_image.py
         ${MYRIAD_IMAGE} ${CMAKE_BINARY_DIR}/kernel/kernel.elf ${CMAKE_BINARY_DIR}/kernel/kernel.nm)
set_tests_properties(boot.image_header PROPERTIES LABELS qemu)

# The board path: OpenSBI -> U-Boot (Debian's u-boot-qemu, S-mode) -> booti
# of the Image from RAM with U-Boot's own device tree -> the shell.
# Four harts: U-Boot runs on one and leaves the others stopped in the
# firmware (HSM), so the kernel must start each and say so.
myriad_qemu_test(boot.uboot_booti --uboot --smp 4 --mem 256M --timeout 120
    --expect "Hit any key to stop autoboot" --send "\\r" --expect "=> "
    --send "booti 0x84000000 - \${fdtcontroladdr}\\r"
    --expect "Myriad (RISC-V, Sv39) booting"
    --expect "up as cpu 1" --expect "up as cpu 2" --expect "up as cpu 3" --expect "smp: 4 hart(s) online"
    --expect "kernel ready" --expect "# "
    --send "echo booted by u-boot\\r" --expect "booted by u-boot" --expect "# "
    --send "cat /sys/devices/system/cpu/online\\r" --expect "0-3\\r\\n" --expect "# "
    --send "poweroff\\r" --expect-exit 0 --reject "PANIC" --reject "left out")

# spike: no UART and no PLIC in its device tree. The console is the SBI
# one (HTIF underneath), input polled on the tick; still a working shell.
# (SBI system reset through OpenSBI 1.1's HTIF does not end QEMU 7.2's
# spike, so the runner stops QEMU once the session passed.)
# Two harts: the second starts through HSM like on the other machines
# (spike has no PLIC, so no external interrupts on either).
myriad_qemu_test(boot.spike --machine spike --smp 2 --timeout 60 --char-delay 0.03 --stop-after-steps
    --expect "console: no UART driver matches" --expect "up as cpu 1" --expect "smp: 2 hart(s) online"
    --expect "kernel ready" --expect "# "
    --send "echo on spike\\r" --expect "on spike" --expect "# "
    --send "cat /sys/devices/system/cpu/online\\r" --expect "0-1" --expect "# "
    --reject "PANIC" --reject "left out")

# virt with 2 and 8 harts, booted to the shell: every hart up (each with
# its PLIC context, listed on the plic line) and user space sees them all.
myriad_qemu_test(boot.virt_smp2 --smp 2 --timeout 60
    --expect "plic: 0xc000000, "
    --expect "up as cpu 1" --expect "smp: 2 hart(s) online" --expect "# "
    --send "cat /sys/devices/system/cpu/online\\r" --expect "0-1\\r\\n" --expect "# "
    --send "poweroff\\r" --expect-exit 0 --reject "PANIC" --reject "left out")
myriad_qemu_test(boot.virt_smp8 --smp 8 --mem 256M --timeout 60
    --expect "plic: 0xc000000, "
    --expect "up as cpu 7" --expect "smp: 8 hart(s) online" --expect "# "
    --send "cat /sys/devices/system/cpu/online\\r" --expect "0-7\\r\\n" --expect "# "
    --send "poweroff\\r" --expect-exit 0 --reject "PANIC" --reject "left out")

# Odd RAM sizes: not a power of two, and more than fits one gigapage.
myriad_qemu_selftest(ktest.virt_100m --mem 100M --append "ktest ktest.mem_mib=100 ktest.harts=1" --ktap --expect-exit 0)

# The same with Image.gz: U-Boot unpacks it (kernel_comp_addr_r/size)
# and moves it to its text_offset.
myriad_qemu_test(boot.uboot_booti_gz --uboot --image-file ${CMAKE_BINARY_DIR}/kernel/Image.gz --mem 256M --timeout 120
    --expect "Hit any key to stop autoboot" --send "\\r" --expect "=> "
    --send "setenv kernel_comp_addr_r 0x88000000\\r" --expect "=> "
    --send "setenv kernel_comp_size 0x1000000\\r" --expect "=> "
    --send "booti 0x84000000 - \${fdtcontroladdr}\\r" --expect "Uncompressing Kernel Image"
    --expect "kernel ready" --expect "# "
    --send "echo unpacked by u-boot\\r" --expect "unpacked by u-boot" --expect "# "
    --send "poweroff\\r" --expect-exit 0 --reject "PANIC")

# Process control and status over the console: a background job in ps, stopped and continued by pid
# and by job, ^Z and fg, kill %1, top refreshing and quitting on q,
# pstree from init.
myriad_qemu_test(shell.job_control --timeout 150
    --expect "# " --send "spin &\\r" --expect "# "
    --send "jobs\\r" --expect "Running" --expect "# "
    --send "ps\\r" --expect " spin" --expect "# "
    --send "kill -STOP %1\\r" --expect "# " --send "jobs\\r" --expect "Stopped" --expect "# "
    --send "ps -o stat,comm | grep spin\\r" --expect "T    spin" --expect "# "
    --send "bg %1\\r" --expect "[1] spin" --expect "# "
    --send "ps -o stat,comm | grep spin\\r" --expect "R    spin" --expect "# "
    --send "kill %1\\r" --expect "# " --sleep 0.5 --send "\\r" --expect "Terminated" --expect "# "
    --send "ps\\r" --expect "ps" --reject " spin\\r"
    --send "spin\\r" --sleep 1 --send "\\x1a" --expect "Stopped" --expect "# "
    --send "fg\\r" --expect "spin" --sleep 1 --send "\\x03" --expect "# "
    --send "spin &\\r" --expect "# " --send "top -d 1\\r" --expect "Load average" --expect "PID"
    --expect "spin" --expect "Load average" --send "q" --expect "# "
    --send "pstree -p\\r" --expect "init(1)" --expect "sh(" --expect "pstree(" --expect "# "
    --send "cat /proc/self/maps\\r" --expect "r-xp" --expect "[heap]" --expect "[stack]" --expect "[vdso]" --expect "# "
    --send "kill %1\\r" --expect "# "
    --send "cat &\\r" --expect "# " --sleep 1 --send "jobs\\r" --expect "Stopped (tty input)        cat" --expect "# "
    --send "fg\\r" --sleep 0.5 --send "typed in fg\\r" --expect "typed in fg" --expect "typed in fg" --send "\\x04" --expect "# "
    --send "poweroff\\r" --expect-exit 0 --reject "PANIC")

# A kernel stack overflow (unbounded recursion on a process kernel stack)
# is caught by the guard check in the trap entry and reported from an
# emergency stack -- not an endless fault loop.
myriad_qemu_test(panic.kernel_stack_overflow --append "panic_test=stack_overflow" --timeout 60
    --expect "KERNEL PANIC: kernel stack overflow" --expect "panic_test_recurse" --expect "end Kernel panic"
    --expect-exit 3)

# Regression guard: the short benchmarks under -icount shift=0 (exact,
# repeatable instruction counts) must not get more than 5% worse than the
# figures recorded in tests/bench_baseline.json. Re-recording them
# (./myriad bench --record) is a deliberate commit. The null system call
# also has a fixed ceiling (docs/performance.md: at most 150 instructions).
# A benchmark the baseline lists must give a figure; one it does not list
# yet (the thread benchmarks, until recorded) is printed, not compared, and
# may say "skipped" while the kernel lacks threads; the relative targets
# (thread_create_join <= fork_exit_wait / 3, futex_pingpong <= pipe_pingpong)
# are enforced whenever both figures are there.
add_test(NAME bench.regression COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/bench.py
         --image ${MYRIAD_IMAGE} --quick --check --baseline ${CMAKE_SOURCE_DIR}/tests/bench_baseline.json
         --ceiling null_syscall=150 --json ${CMAKE_BINARY_DIR}/bench/quick.json)
set_tests_properties(bench.regression PROPERTIES LABELS qemu TIMEOUT 300)
# The kernel's SMP figures that ./myriad bench prints (IPI round trip,
# local and remote TLB flushes: ktest=bench, kernel/tests/smp_bench_test.cpp)
# on four harts under -icount: fails if a bench case fails or a figure is
# missing, zero or above its bound in bench.py's KERNEL_SMP. (The ktests
# themselves also run in ktest.virt_smp4_2g, without -icount.)
add_test(NAME bench.smp_kernel COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/bench.py
         --image ${MYRIAD_IMAGE} --kernel-smp-only --check --json ${CMAKE_BINARY_DIR}/bench/smp_kernel.json)
set_tests_properties(bench.smp_kernel PROPERTIES LABELS qemu TIMEOUT 150)
# The guard's rules on made-up bench outputs (no QEMU): each must pass or
# fail as it should.
add_test(NAME bench.regression_self_test
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/bench.py --self-test)
set_tests_properties(bench.regression_self_test PROPERTIES LABELS structure)

# A fork bomb started from the shell. RLIMIT_NPROC stops it
# (EAGAIN), the shell answers a builtin while it runs, ^C ends it, and
# MemAvailable and the process count return to the baseline (the slack
# allowed is explained in the script).
add_test(NAME scale.forkbomb COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/forkbomb_test.py
         --image ${MYRIAD_IMAGE} --mem 128M)
set_tests_properties(scale.forkbomb PROPERTIES LABELS qemu TIMEOUT 300)

# Kernel stack depth: the whole user test suite with every kernel stack
# painted and measured (kstack_check). Fails if any path used more than
# half of the 16 384 bytes: the deepest measured is about 4 KiB (path
# walks iterate and keep no path buffer on the stack; the compiler
# refuses frames over 2.5 KiB, cmake/kernel.cmake). The test kernel also
# keeps the worst case per system call and prints the deepest at the end;
# the syscall fuzzer runs with the same check (docs/robustness.md).
myriad_qemu_selftest(kstack.depth --append "init=/bin/usertests kstack_check=8192"
    --expect "kstack_check: deepest kernel stack use so far" --ktap --expect-exit 0 --timeout 300
    --expect "kstack_check: deepest kernel stack use per system call" --reject "OVER THE kstack_check LIMIT")
set_tests_properties(kstack.depth PROPERTIES TIMEOUT 320)

# Each hardening check of the test kernel fires on its bug (panic_test=KIND,
# kernel/hardening/panic_tests.cpp) with its own report, and stops the
# machine with the panic status.
function(myriad_hardening_panic_test kind)
    myriad_qemu_selftest(panic.hardening.${kind} --append "panic_test=${kind}" --timeout 60
        --expect "panic_test=${kind}: the check must stop the kernel now" ${ARGN}
        --expect "run_panic_test" --expect "end Kernel panic" --expect-exit 3
        --reject "NOT CAUGHT")
endfunction()
myriad_hardening_panic_test(ubsan
    --expect "KERNEL PANIC: UBSan: signed integer overflow: 2147483647 + 1 cannot be represented in type 'int'"
    --expect "at kernel/hardening/panic_tests.cpp:" --expect "backtrace:" --expect "panic_test_signed_overflow")
myriad_hardening_panic_test(ubsan_shift
    --expect "KERNEL PANIC: UBSan: shift exponent 40 is too large for 32-bit type 'int'" --expect "backtrace:" --expect "panic_test_shift")
myriad_hardening_panic_test(ubsan_bounds
    --expect "KERNEL PANIC: UBSan: index 8 out of bounds for type 'int [8]'" --expect "backtrace:" --expect "panic_test_bounds")
myriad_hardening_panic_test(stack_smash
    --expect "KERNEL PANIC: stack protector: canary overwritten" --expect "backtrace:"
    --expect "#0 0x" --expect "panic_test_stack_smash")
myriad_hardening_panic_test(slab_redzone
    --expect "KERNEL PANIC: slab red zone overwritten: object 0x" --expect "(24 of 32 bytes in use), byte 24 is 0x00, expected 0xcc"
    --expect "backtrace:" --expect "kfree")
myriad_hardening_panic_test(slab_use_after_free
    --expect "KERNEL PANIC: slab use after free: freed object 0x" --expect "was written at byte 8 (0x01, expected poison 0x6b)"
    --expect "backtrace:" --expect "kmalloc" --expect "panic_test_slab_use_after_free")
myriad_hardening_panic_test(slab_double_free
    --expect "KERNEL PANIC: bad kfree(0x" --expect "kfree: double free" --expect "backtrace:"
    --expect "panic_test_slab_double_free")
myriad_hardening_panic_test(page_use_after_free
    --expect "KERNEL PANIC: page use after free: pfn 0x" --expect "byte 0x64 of the page is 0x42, expected poison 0xaa"
    --expect "backtrace:" --expect "alloc_pages" --expect "panic_test_page_use_after_free")
myriad_hardening_panic_test(page_double_free
    --expect "KERNEL PANIC: page double free: pfn 0x" --expect "(order 0) is already free (on the hot list)"
    --expect "backtrace:" --expect "free_pages" --expect "panic_test_page_double_free")
# The lock checks (kernel/locking.hpp): the kernel's own locks taken in the
# wrong order, the same lock twice, and allocation or user-memory access
# under a spinlock each stop the test kernel with both locks named.
myriad_hardening_panic_test(lock_order
    --expect "KERNEL PANIC: lock order violation: taking 'vfs' (rank 5) while holding 'process' (rank 10)"
    --expect "backtrace:" --expect "panic_test_lock_order")
myriad_hardening_panic_test(lock_twice
    --expect "KERNEL PANIC: lock order violation: taking 'process' (rank 10) while holding 'process' (rank 10)"
    --expect "backtrace:" --expect "process_count" --expect "panic_test_lock_twice")
myriad_hardening_panic_test(mutex_order
    --expect "KERNEL PANIC: lock order violation: taking 'address-space' (rank 4) while holding 'vfs' (rank 5)"
    --expect "backtrace:" --expect "panic_test_mutex_order")
myriad_hardening_panic_test(alloc_under_spinlock
    --expect "KERNEL PANIC: kmalloc while holding spinlock 'process' (rank 10)"
    --expect "backtrace:" --expect "panic_test_alloc_under_spinlock")
myriad_hardening_panic_test(uaccess_under_spinlock
    --expect "KERNEL PANIC: user memory access while holding spinlock 'process' (rank 10)"
    --expect "backtrace:" --expect "panic_test_uaccess_under_spinlock")
# Corrupt initrds, device trees and command lines at boot.
include(${CMAKE_SOURCE_DIR}/tests/bad_input_tests.cmake)

# The README's first program of one's own: hello.c built with the cross
# compiler's defaults (dynamic, PIE), added to the image the way
# `./myriad run --add` does (tests/tools/image_add.py), booted, run.
add_test(NAME run.add_user_program COMMAND sh -c
    "riscv64-linux-gnu-gcc '${CMAKE_SOURCE_DIR}/userland/demos/hello.c' -o '${CMAKE_BINARY_DIR}/user-hello' && \
     '${Python3_EXECUTABLE}' '${CMAKE_SOURCE_DIR}/tests/tools/image_add.py' --rootfs '${CMAKE_BINARY_DIR}/userland/rootfs' \
         --out '${CMAKE_BINARY_DIR}/user-initrd.cpio' '${CMAKE_BINARY_DIR}/user-hello:/hello' && \
     ${MYRIAD_QEMU_SH} --initrd '${CMAKE_BINARY_DIR}/user-initrd.cpio' --timeout 60 --expect 'external archive' \
         --expect '# ' --send '/hello world\\r' \
         --expect 'Hello from a dynamically linked program: /hello, 1 argument(s)' --expect '# ' \
         --send 'poweroff\\r' --expect-exit 0")
set_tests_properties(run.add_user_program PROPERTIES LABELS qemu TIMEOUT 120)

# A core file Myriad writes, read by GDB: crash_demo.c (static, -g) added
# to the image, run as init; it crashes a child three calls deep and
# prints the core, which gdb-multiarch's backtrace must name
# (tests/tools/coredump_test.py).
add_test(NAME coredump.gdb_backtrace COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/coredump_test.py
    --image ${MYRIAD_IMAGE} --rootfs ${CMAKE_BINARY_DIR}/userland/rootfs
    --source ${CMAKE_SOURCE_DIR}/userland/demos/crash_demo.c --work ${CMAKE_BINARY_DIR}/coredump-test)
set_tests_properties(coredump.gdb_backtrace PROPERTIES LABELS qemu TIMEOUT 120)
