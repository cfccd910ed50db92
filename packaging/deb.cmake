# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package, built with CPack from the install rules (packaging/install.cmake):
# `cross/package deb ARCH` runs it on build-ARCH/ and writes dist/portcullis_VERSION_ARCH.deb.
# CPack rather than dpkg-buildpackage: a cross package is then the cross build's own install
# tree, with no build dependencies to satisfy for the target architecture on this machine
# (which a multiarch mirror without the target's security updates cannot), and no second
# description of what is installed where. What debhelper would add is here by hand: the
# maintainer scripts, the conffile, copyright, changelog, compressed man pages.
set(PORTCULLIS_DEB_DIR ${CMAKE_CURRENT_LIST_DIR}/deb)

# Debian's name of the target architecture (amd64, arm64, armhf), from the compiler's triplet;
# CPack would otherwise label a cross package with this machine's architecture.
find_program(PORTCULLIS_DPKG_ARCHITECTURE dpkg-architecture)
if(PORTCULLIS_DPKG_ARCHITECTURE AND CMAKE_LIBRARY_ARCHITECTURE)
  execute_process(COMMAND ${PORTCULLIS_DPKG_ARCHITECTURE} -t ${CMAKE_LIBRARY_ARCHITECTURE}
                          -qDEB_HOST_ARCH
                  OUTPUT_VARIABLE PORTCULLIS_DEB_ARCH OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET)
endif()
if(NOT PORTCULLIS_DEB_ARCH)
  set(PORTCULLIS_DEB_ARCH unknown)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME portcullis)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "firewall that opens exactly the ports of enabled services")
set(CPACK_PACKAGE_CONTACT "portcullis developers <portcullis@example.org>")
# cross/package copies the package from there to dist/.
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/cpack)
# The absolute /etc and /var paths of the install rules need a DESTDIR-style staging.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_FILE_NAME portcullis_${PROJECT_VERSION}_${PORTCULLIS_DEB_ARCH}.deb)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${PORTCULLIS_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# CPack puts the summary first; this is the extended description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "portcullisd knows which ports each service needs (a catalogue of the
Synology DSM and Apple port tables), watches which services are enabled
(systemd units over D-Bus, Synology package markers), and keeps one
nftables table that opens exactly their ports, per zone. Its state and
controls are on D-Bus (org.portcullis1, for busctl).
.
A fresh install runs in monitor mode: it counts what it would drop and
drops nothing until the admin writes zones and switches to enforce.")
# The libraries of the binary's NEEDED entries, with the versions dpkg-shlibdeps computes on
# amd64 (the package test compares the two); libgcc-s1 3.5 for ARM's EABI unwinder symbols.
# Written out because dpkg-shlibdeps cannot run for a target whose libraries are not
# installed as packages (a sysroot).
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6 (>= 2.34), libgcc-s1 (>= 3.5), libmnl0 (>= 1.0.4-1~), libnftnl11 (>= 1.2.1), libstdc++6 (>= 12), libsystemd0 (>= 243), libuv1 (>= 1.4.2)")
# nft to look at the table (and for prerm to delete it); dbus for the API and systemd's bus.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "nftables, dbus")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PORTCULLIS_DEB_DIR}/conffiles ${PORTCULLIS_DEB_DIR}/postinst ${PORTCULLIS_DEB_DIR}/prerm
    ${PORTCULLIS_DEB_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# Debian's documentation conventions, applied to the staged tree only (cmake --install leaves
# man pages uncompressed): gzip -9n, copyright and changelog.gz in the doc directory.
set(PORTCULLIS_DEB_PREFIX ${CMAKE_INSTALL_PREFIX})
set(PORTCULLIS_DEB_DOCDIR ${CMAKE_INSTALL_FULL_DOCDIR})
set(PORTCULLIS_DEB_MANDIR ${CMAKE_INSTALL_FULL_MANDIR})
configure_file(${PORTCULLIS_DEB_DIR}/pre-build.cmake.in
               ${CMAKE_BINARY_DIR}/packaging/deb-pre-build.cmake @ONLY)
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_BINARY_DIR}/packaging/deb-pre-build.cmake)
include(CPack)
