# SPDX-License-Identifier: GPL-2.0-or-later
# What is installed (tests/integration/install/): the DESTDIR tree of this build's prefix and
# the daemon in it, and the daemon under the unit file that ships, run by a real systemd.
add_test(NAME "integration: install to a DESTDIR, the daemon finds its catalogue"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/install/destdir.sh ${CMAKE_BINARY_DIR}
                 ${CMAKE_INSTALL_PREFIX} ${PORTCULLIS_CONFIG_FILE} ${PORTCULLIS_SYSTEMD_UNIT_DIR}
                 ${CMAKE_SOURCE_DIR})
add_test(NAME "integration: daemon under the shipped unit's sandbox"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/install/hardened-unit.sh
                 $<TARGET_FILE:portcullisd> ${CMAKE_BINARY_DIR}/packaging/portcullisd.service
                 ${CMAKE_SOURCE_DIR})
set_tests_properties("integration: install to a DESTDIR, the daemon finds its catalogue"
                     "integration: daemon under the shipped unit's sandbox"
                     PROPERTIES LABELS "integration;install" SKIP_RETURN_CODE 77 TIMEOUT 120)
