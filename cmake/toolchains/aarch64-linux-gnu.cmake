# Cross build for 64-bit ARM Linux with Debian's cross compiler (g++-aarch64-linux-gnu), run under
# qemu-user. The header-only dependencies (Eigen, nlohmann-json, gemmi, PEGTL, doctest, CLI11)
# come from the host's /usr/include; the libraries (pugixml, spglib, libgomp) are the arm64 ones
# (Debian multiarch: dpkg --add-architecture arm64; apt-get install libpugixml-dev:arm64
# libsymspg-dev:arm64). scripts/test_arm64.sh builds and tests with it:
#
#   cmake -S . -B build-arm64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
#         -DCMAKE_BUILD_TYPE=Release -DXRDID_CUDA=OFF -DXRDID_MARCH= -DXRDID_BUILD_BENCH=OFF
#
# Programs built here (tests, and the xrdid program that builds the bundled library at build
# time) run through CMAKE_CROSSCOMPILING_EMULATOR.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(XRDID_CROSS_TRIPLE aarch64-linux-gnu)

set(CMAKE_C_COMPILER ${XRDID_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${XRDID_CROSS_TRIPLE}-g++)
# Libraries and package configs from /usr/lib/aarch64-linux-gnu (never the host's x86-64 ones).
set(CMAKE_LIBRARY_ARCHITECTURE ${XRDID_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH /usr/${XRDID_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

find_program(XRDID_QEMU_AARCH64 qemu-aarch64)
if(XRDID_QEMU_AARCH64)
  # The arm64 libraries above bring Debian's arm64 libc (libc6:arm64, /lib/ld-linux-aarch64.so.1):
  # qemu then runs programs on that runtime, loader and libc of one version. Only without it does
  # -L point qemu at the cross toolchain's loader and libc (-L with the multiarch libc present
  # pairs the cross loader with the multiarch libc, and threaded programs hang).
  if(EXISTS /lib/ld-linux-aarch64.so.1)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${XRDID_QEMU_AARCH64})
  else()
    set(CMAKE_CROSSCOMPILING_EMULATOR ${XRDID_QEMU_AARCH64} -L /usr/${XRDID_CROSS_TRIPLE})
  endif()
endif()
