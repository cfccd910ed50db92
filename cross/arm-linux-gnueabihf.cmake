# SPDX-License-Identifier: GPL-2.0-or-later
# 32-bit ARMv7 hard-float routers (Debian armhf): Debian's cross compiler
# (g++-arm-linux-gnueabihf), the :armhf multiarch libraries or PORTCULLIS_SYSROOT, and tests run
# under qemu-arm-static. Usage and other sysroots: cross/README.md.
set(PORTCULLIS_CROSS_TRIPLET arm-linux-gnueabihf)
set(PORTCULLIS_CROSS_PROCESSOR armv7l)
set(PORTCULLIS_CROSS_QEMU_ARCH arm)
include(${CMAKE_CURRENT_LIST_DIR}/debian-multiarch.cmake)
