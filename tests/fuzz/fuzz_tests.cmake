# The libFuzzer harnesses (tests/fuzz/*_fuzz.cpp), built by clang as the
# "fuzzers" ExternalProject (cmake/fuzz.cmake), and one CTest test per
# harness (libfuzzer.NAME, label `fuzz`): a fixed number of runs from a fixed seed over the
# seed corpus, so the test is deterministic and takes seconds. Longer runs:
# ./myriad fuzz-host [--seconds N] [TARGET...] (tests/fuzz/run_fuzzers.py).
find_program(MYRIAD_CLANGXX NAMES clang++ clang++-14 clang++-15 clang++-16)
find_program(MYRIAD_CLANG NAMES clang clang-14 clang-15 clang-16)
if(NOT MYRIAD_CLANGXX OR NOT MYRIAD_CLANG)
    message(WARNING "clang not found (Debian: clang, libclang-rt-14-dev): no libFuzzer tests")
    return()
endif()

ExternalProject_Add(fuzzers
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${CMAKE_BINARY_DIR}/fuzz
    CMAKE_ARGS -DMYRIAD_PART=fuzz
               -DCMAKE_CXX_COMPILER=${MYRIAD_CLANGXX}
               -DCMAKE_C_COMPILER=${MYRIAD_CLANG}
               -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    USES_TERMINAL_BUILD ON)
add_dependencies(fuzzers fixtures)

set(MYRIAD_RUN_FUZZERS ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/fuzz/run_fuzzers.py
    --source ${CMAKE_SOURCE_DIR} --build ${CMAKE_BINARY_DIR})
file(GLOB MYRIAD_FUZZ_HARNESSES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/*_fuzz.cpp)
foreach(harness ${MYRIAD_FUZZ_HARNESSES})
    get_filename_component(stem ${harness} NAME_WE)
    string(REGEX REPLACE "_fuzz$" "" name ${stem})
    add_test(NAME libfuzzer.${name} COMMAND ${MYRIAD_RUN_FUZZERS} --ctest ${name})
    set_tests_properties(libfuzzer.${name} PROPERTIES LABELS fuzz TIMEOUT 120)
endforeach()
