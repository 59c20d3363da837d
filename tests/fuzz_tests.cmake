# The system-call fuzzer under QEMU (tests/tools/fuzz.py, /bin/fuzz as init).
# The test kernel where the build makes one (MYRIAD_TEST_IMAGE: the hardened
# kernel with its run-time checks), else the production one.
if(DEFINED MYRIAD_TEST_IMAGE)
    set(MYRIAD_FUZZ_IMAGE ${MYRIAD_TEST_IMAGE})
else()
    set(MYRIAD_FUZZ_IMAGE ${CMAKE_BINARY_DIR}/kernel/Image)
endif()
set(MYRIAD_FUZZ ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/fuzz.py --image ${MYRIAD_FUZZ_IMAGE})

# A 60-second campaign with a fixed seed: no panic, no hang, no canary
# change, no memory loss. Boot and the summary take a few seconds more.
add_test(NAME fuzz.campaign_60s COMMAND ${MYRIAD_FUZZ} --seconds 60 --seed 1)
set_tests_properties(fuzz.campaign_60s PROPERTIES LABELS qemu TIMEOUT 240)

# Each check must be able to fail: a fault injected on purpose (fuzz
# --inject, test-only) or a kernel made to panic must fail the campaign,
# with the reason named. The workers make no random calls here (--calls 0:
# they only set up and exit), so a kernel bug the fuzzer finds cannot
# stand in for the failure under test.
add_test(NAME fuzz.detects_canary_change
    COMMAND ${MYRIAD_FUZZ} --seconds 30 --seed 2 --fuzz-args "--inject canary --calls 0" --expect-failure "canary changed")
add_test(NAME fuzz.detects_memory_loss
    COMMAND ${MYRIAD_FUZZ} --seconds 40 --seed 3 --fuzz-args "--inject leak --calls 0" --expect-failure "memory loss")
add_test(NAME fuzz.detects_hang
    COMMAND ${MYRIAD_FUZZ} --seconds 30 --seed 4 --fuzz-args "--inject stall --calls 0" --progress-timeout 10
            --expect-failure "hang: no output")
add_test(NAME fuzz.detects_panic
    COMMAND ${MYRIAD_FUZZ} --seconds 30 --seed 5 --append "panic_test=fault" --expect-failure "kernel panic")
set_tests_properties(fuzz.detects_canary_change fuzz.detects_memory_loss fuzz.detects_hang fuzz.detects_panic
    PROPERTIES LABELS qemu TIMEOUT 120)
