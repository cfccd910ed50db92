# SPDX-License-Identifier: GPL-2.0-or-later
# What `cmake --install` puts where. Every path follows GNUInstallDirs and the prefix the build
# was configured with (CMAKE_INSTALL_PREFIX, default /usr/local), and the daemon has the same
# paths compiled in (packaging/paths.cmake):
#
#   sbin/portcullisd
#   share/portcullis/catalog.d/*.toml              the shipped catalogue
#   SYSCONFDIR/portcullis/portcullis.toml          the example config, when there is none yet
#   SYSCONFDIR/portcullis/catalog.d/               local catalogue additions (empty)
#   lib/systemd/system/portcullisd.service         ExecStart from the prefix
#   share/dbus-1/system.d/org.portcullis1.conf     only root may own org.portcullis1
#   share/dbus-1/interfaces/org.portcullis1.*.xml  the introspection data
#   share/doc/portcullis/                          README, docs/*.md, examples/portcullis.toml
#   share/man/man5, share/man/man8                 the man pages (docs/CMakeLists.txt)
#
# SYSCONFDIR is /etc for prefix /usr and PREFIX/etc otherwise; the state directory
# LOCALSTATEDIR/lib/portcullis likewise (/var/lib/portcullis for /usr).
include(GNUInstallDirs)

set(PORTCULLIS_SYSTEMD_UNIT_DIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" CACHE PATH
    "Where portcullisd.service is installed")

# Installing to another prefix than the configured one (cmake --install --prefix) would leave
# a daemon that looks for its catalogue and config where they are not.
install(CODE "
  if(NOT CMAKE_INSTALL_PREFIX STREQUAL \"${CMAKE_INSTALL_PREFIX}\")
    message(FATAL_ERROR \"portcullisd was configured for prefix ${CMAKE_INSTALL_PREFIX}, \"
      \"and its built-in paths (config, catalogue, state) are there; installing to \"
      \"\${CMAKE_INSTALL_PREFIX} would leave it blind. Reconfigure with \"
      \"-DCMAKE_INSTALL_PREFIX=\${CMAKE_INSTALL_PREFIX} instead of passing --prefix.\")
  endif()")

install(TARGETS portcullisd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/conf/catalog.d/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/portcullis/catalog.d FILES_MATCHING PATTERN "*.toml")
install(DIRECTORY DESTINATION ${PORTCULLIS_LOCAL_CATALOG_DIR})

# The commented example config, with the paths of this prefix.
file(READ ${PROJECT_SOURCE_DIR}/conf/portcullis.toml example)
string(REPLACE "/usr/share/portcullis/catalog.d" "${PORTCULLIS_SHIPPED_CATALOG_DIR}" example
       "${example}")
string(REPLACE "/etc/portcullis" "${PORTCULLIS_CONFIG_DIR}" example "${example}")
string(REPLACE "/var/lib/portcullis" "${PORTCULLIS_STATE_DIR}" example "${example}")
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/packaging/portcullis.toml CONTENT "${example}")
install(FILES ${CMAKE_BINARY_DIR}/packaging/portcullis.toml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
# An admin's edited config is never overwritten by installing again.
install(CODE "
  if(EXISTS \"\$ENV{DESTDIR}${PORTCULLIS_CONFIG_FILE}\")
    message(STATUS \"Keeping: \$ENV{DESTDIR}${PORTCULLIS_CONFIG_FILE}\")
  else()
    # file(INSTALL) prefixes DESTDIR itself.
    file(INSTALL \"${CMAKE_BINARY_DIR}/packaging/portcullis.toml\"
         DESTINATION \"${PORTCULLIS_CONFIG_DIR}\")
  endif()")

# The unit: the checked-in file with this prefix's ExecStart, and, when the state directory is
# not /var/lib/portcullis (where systemd's StateDirectory= puts it), that directory made
# writable under ProtectSystem=strict instead.
file(READ ${PROJECT_SOURCE_DIR}/systemd/portcullisd.service unit)
foreach(line "ExecStart=/usr/sbin/portcullisd" "StateDirectory=portcullis")
  string(FIND "${unit}" "\n${line}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "systemd/portcullisd.service has no line '${line}' to adapt")
  endif()
endforeach()
string(REPLACE "\nExecStart=/usr/sbin/portcullisd\n"
       "\nExecStart=${CMAKE_INSTALL_FULL_SBINDIR}/portcullisd\n" unit "${unit}")
if(NOT PORTCULLIS_STATE_DIR STREQUAL "/var/lib/portcullis")
  string(REPLACE "\nStateDirectory=portcullis\n" "\nReadWritePaths=${PORTCULLIS_STATE_DIR}\n"
         unit "${unit}")
  install(DIRECTORY DESTINATION ${PORTCULLIS_STATE_DIR})
endif()
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/packaging/portcullisd.service CONTENT "${unit}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${PROJECT_SOURCE_DIR}/systemd/portcullisd.service ${PROJECT_SOURCE_DIR}/conf/portcullis.toml)
install(FILES ${CMAKE_BINARY_DIR}/packaging/portcullisd.service
        DESTINATION ${PORTCULLIS_SYSTEMD_UNIT_DIR})

install(FILES ${PROJECT_SOURCE_DIR}/conf/dbus/org.portcullis1.conf
        DESTINATION ${CMAKE_INSTALL_DATADIR}/dbus-1/system.d)
install(FILES ${PROJECT_SOURCE_DIR}/conf/dbus/org.portcullis1.Manager.xml
              ${PROJECT_SOURCE_DIR}/conf/dbus/org.portcullis1.Service.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/dbus-1/interfaces)
