# Cross-compiling the early-boot program for 64-bit ARM on Debian (issue 17):
# Debian's g++-aarch64-linux-gnu, with the static libblkid of the multiarch
# package libblkid-dev:arm64 (dpkg --add-architecture arm64). Debian's cross
# compilers search /usr/lib/aarch64-linux-gnu and /usr/include/aarch64-linux-gnu
# themselves, and libblkid's header is architecture-independent in
# /usr/include/blkid, so nothing else needs pointing at.
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DIOFS_EARLY_BOOT_ONLY=ON
# (the top CMakeLists.txt does this itself with -DIOFS_ARM64=ON).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Programs (cmake, the shell) are the build machine's; libraries and headers
# only the target's.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
