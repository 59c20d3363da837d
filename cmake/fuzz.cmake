# libFuzzer part (MYRIAD_PART=fuzz): tests/fuzz/NAME_fuzz.cpp, one harness
# per parser, each linked into fuzz_NAME with lib/ built by clang with the
# same sanitizers. host.cmake configures this part with clang as an
# ExternalProject and tests/fuzz/fuzz_tests.cmake runs the fuzzers in CTest.
set(MYRIAD_FUZZ_SANITIZERS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

add_library(myriad_lib_fuzz STATIC ${MYRIAD_LIB_SOURCES})
target_include_directories(myriad_lib_fuzz PUBLIC ${CMAKE_SOURCE_DIR})
# fuzzer-no-link: coverage feedback for libFuzzer in lib/ too.
target_compile_options(myriad_lib_fuzz PUBLIC -Wall -Wextra -Werror -g -O1 ${MYRIAD_FUZZ_SANITIZERS}
                                              -fsanitize=fuzzer-no-link)

file(GLOB MYRIAD_FUZZ_HARNESSES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/*_fuzz.cpp)
foreach(harness ${MYRIAD_FUZZ_HARNESSES})
    get_filename_component(stem ${harness} NAME_WE)
    string(REGEX REPLACE "_fuzz$" "" name ${stem})
    add_executable(fuzz_${name} ${harness})
    target_link_libraries(fuzz_${name} PRIVATE myriad_lib_fuzz)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer ${MYRIAD_FUZZ_SANITIZERS})
endforeach()
