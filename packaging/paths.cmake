# SPDX-License-Identifier: GPL-2.0-or-later
# The paths compiled into the daemon, from the configured prefix (GNUInstallDirs). For prefix
# /usr they are the packaged paths (/etc/portcullis, /usr/share/portcullis, /var/lib/portcullis);
# for /usr/local, /usr/local/etc/portcullis and so on. Installing a build to another prefix than
# the one it was configured for would leave the daemon looking in the wrong place:
# packaging/install.cmake refuses that.
include(GNUInstallDirs)
# A package for a platform with its own layout sets the config and state directories itself
# (-DPORTCULLIS_CONFIG_DIR=... -DPORTCULLIS_STATE_DIR=...; the DSM package keeps both in the
# package's var/, which upgrades keep: packaging/spk/).
if(NOT DEFINED PORTCULLIS_CONFIG_DIR)
  set(PORTCULLIS_CONFIG_DIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/portcullis)
endif()
set(PORTCULLIS_CONFIG_FILE ${PORTCULLIS_CONFIG_DIR}/portcullis.toml)
set(PORTCULLIS_SHIPPED_CATALOG_DIR ${CMAKE_INSTALL_FULL_DATADIR}/portcullis/catalog.d)
set(PORTCULLIS_LOCAL_CATALOG_DIR ${PORTCULLIS_CONFIG_DIR}/catalog.d)
if(NOT DEFINED PORTCULLIS_STATE_DIR)
  set(PORTCULLIS_STATE_DIR ${CMAKE_INSTALL_FULL_LOCALSTATEDIR}/lib/portcullis)
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/../include/portcullis/paths.hpp.in
               ${CMAKE_BINARY_DIR}/generated/portcullis/paths.hpp @ONLY)
