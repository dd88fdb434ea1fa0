# Cross-compiles raibid-agent for 64-bit ARM Linux with Debian's cross toolchain
# (crossbuild-essential-arm64) against arm64 libraries installed through multiarch
# (dpkg --add-architecture arm64; apt-get install libhiredis-dev:arm64 ...). scripts/arm64.sh
# installs all of it and uses this file:
#
#   cmake -B build-arm64 -S . -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
#
# Multiarch keeps the arm64 libraries under /usr/lib/aarch64-linux-gnu of the build machine
# itself, so no separate sysroot is needed: CMake looks there because of
# CMAKE_LIBRARY_ARCHITECTURE. Headers of architecture-independent packages (nlohmann-json, CLI11)
# are shared with the native build.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# pkg-config must read the arm64 .pc files, never the build machine's own.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# Test binaries run under user-mode emulation: gtest_discover_tests lists their tests through it
# at build time, and CTest runs them through it.
find_program(RAIBID_QEMU_AARCH64 qemu-aarch64)
if(RAIBID_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${RAIBID_QEMU_AARCH64})
endif()

# Programs (git, redis-server used by tests) are the build machine's; libraries and packages
# are looked for in the arm64 multiarch directories first.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
