# SPDX-License-Identifier: GPL-2.0-or-later
# The common part of the toolchain files in this folder (see cross/README.md). The including
# file sets PORTCULLIS_CROSS_TRIPLET (the GNU triplet of Debian's cross compiler) and
# PORTCULLIS_CROSS_PROCESSOR.
#
# Where the target's libraries come from:
#  - by default, Debian's multiarch packages on this machine (libuv1-dev:arm64 and so on), which
#    install into /usr/lib/TRIPLET and /usr/include;
#  - with PORTCULLIS_SYSROOT=DIR (a cache variable or the environment), from DIR instead: a
#    router vendor's SDK staging directory, or Debian packages unpacked there by cross/build,
#    laid out as DIR/usr/include and DIR/usr/lib/TRIPLET (or DIR/usr/lib) with the .pc files of
#    libuv, libmnl, libnftnl and libsystemd. The C library and libstdc++ stay the cross
#    compiler's own for building; to run the tests under qemu (qemu -L DIR), DIR must also
#    hold the target's runtime: the loader, libc and libstdc++.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${PORTCULLIS_CROSS_PROCESSOR})
set(CMAKE_C_COMPILER ${PORTCULLIS_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${PORTCULLIS_CROSS_TRIPLET}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${PORTCULLIS_CROSS_TRIPLET})

if(NOT DEFINED PORTCULLIS_SYSROOT AND DEFINED ENV{PORTCULLIS_SYSROOT})
  set(PORTCULLIS_SYSROOT "$ENV{PORTCULLIS_SYSROOT}")
endif()
set(PORTCULLIS_SYSROOT "${PORTCULLIS_SYSROOT}" CACHE PATH
    "Target libraries and headers (empty: Debian multiarch packages on this machine)")
# try_compile projects read this file again; they must see the same sysroot.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES PORTCULLIS_SYSROOT)

# "/" stays in the root path: the header-only toml++ and Catch2's CMake package are
# architecture-independent files of the build machine, and without it they are silently not
# found.
set(CMAKE_FIND_ROOT_PATH ${PORTCULLIS_SYSROOT} /usr/${PORTCULLIS_CROSS_TRIPLET} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Debian 12's cross kernel headers (linux-libc-dev-*-cross 6.1.4) still spell GNU C's typeof
# in their macros (XT_ALIGN, __ALIGN_KERNEL), which strict C++20 does not know; the native
# headers were fixed in a later 6.1 update to __typeof__. Spell it the same way here.
set(uapi_const /usr/${PORTCULLIS_CROSS_TRIPLET}/include/linux/const.h)
if(EXISTS ${uapi_const})
  file(STRINGS ${uapi_const} uses_typeof REGEX "[(]typeof[(]")
  if(uses_typeof)
    string(APPEND CMAKE_CXX_FLAGS_INIT " -Dtypeof=__typeof__")
  endif()
endif()

set(qemu qemu-${PORTCULLIS_CROSS_QEMU_ARCH}-static)
if(PORTCULLIS_SYSROOT)
  # Plain pkg-config, looking only into the sysroot and prefixing what it prints with it.
  set(PKG_CONFIG_EXECUTABLE pkg-config)
  set(ENV{PKG_CONFIG_LIBDIR}
      "${PORTCULLIS_SYSROOT}/usr/lib/${PORTCULLIS_CROSS_TRIPLET}/pkgconfig:${PORTCULLIS_SYSROOT}/usr/lib/pkgconfig:${PORTCULLIS_SYSROOT}/usr/share/pkgconfig")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${PORTCULLIS_SYSROOT}")
  # libsystemd's own dependencies (liblzma, libzstd, libgcrypt...) are resolved by the linker
  # from there too.
  set(libdirs ${PORTCULLIS_SYSROOT}/usr/lib/${PORTCULLIS_CROSS_TRIPLET}
              ${PORTCULLIS_SYSROOT}/lib/${PORTCULLIS_CROSS_TRIPLET} ${PORTCULLIS_SYSROOT}/usr/lib)
  string(REPLACE ";" ":" libdirs "${libdirs}")
  set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${libdirs}")
  set(CMAKE_CROSSCOMPILING_EMULATOR ${qemu} -L ${PORTCULLIS_SYSROOT})
else()
  # Debian's wrapper: it looks into /usr/lib/TRIPLET/pkgconfig and /usr/share/pkgconfig only.
  set(PKG_CONFIG_EXECUTABLE /usr/bin/${PORTCULLIS_CROSS_TRIPLET}-pkg-config)
  # The multiarch loader, libc and libstdc++ (libstdc++6:ARCH) are where the target's loader
  # looks, in this machine's /lib and /usr/lib/TRIPLET: qemu needs no prefix.
  set(CMAKE_CROSSCOMPILING_EMULATOR ${qemu})
endif()
