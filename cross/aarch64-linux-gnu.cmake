# SPDX-License-Identifier: GPL-2.0-or-later
# 64-bit ARM routers and NAS boxes (Debian arm64): Debian's cross compiler
# (g++-aarch64-linux-gnu), the :arm64 multiarch libraries or PORTCULLIS_SYSROOT, and tests run
# under qemu-aarch64-static. Usage and other sysroots: cross/README.md.
set(PORTCULLIS_CROSS_TRIPLET aarch64-linux-gnu)
set(PORTCULLIS_CROSS_PROCESSOR aarch64)
set(PORTCULLIS_CROSS_QEMU_ARCH aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-multiarch.cmake)
