# Cross toolchain for the freestanding kernel. Prefers the bare-metal
# riscv64-unknown-elf-g++ (Debian gcc-riscv64-unknown-elf) and falls back to
# riscv64-linux-gnu-g++ used with -ffreestanding. The kernel includes only
# the compiler's own freestanding C headers (stddef.h, stdint.h), which both
# toolchains provide.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv64)

find_program(MYRIAD_RISCV_CXX NAMES riscv64-unknown-elf-g++ riscv64-linux-gnu-g++ REQUIRED)
get_filename_component(_dir ${MYRIAD_RISCV_CXX} DIRECTORY)
get_filename_component(_name ${MYRIAD_RISCV_CXX} NAME)
string(REGEX REPLACE "g\\+\\+$" "" MYRIAD_RISCV_PREFIX ${_name})

set(CMAKE_CXX_COMPILER ${MYRIAD_RISCV_CXX})
set(CMAKE_C_COMPILER ${_dir}/${MYRIAD_RISCV_PREFIX}gcc)
set(CMAKE_ASM_COMPILER ${_dir}/${MYRIAD_RISCV_PREFIX}gcc)
set(CMAKE_OBJCOPY ${_dir}/${MYRIAD_RISCV_PREFIX}objcopy CACHE FILEPATH "")
set(CMAKE_NM ${_dir}/${MYRIAD_RISCV_PREFIX}nm CACHE FILEPATH "")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
