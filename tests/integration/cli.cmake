# SPDX-License-Identifier: GPL-2.0-or-later
# The offline CLI, run as an admin would run it (tests/integration/cli/*.sh).
add_test(NAME "cli: print-catalog lists every seed port fact"
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/cli/catalog_facts.py
                 $<TARGET_FILE:portcullisd> ${CMAKE_SOURCE_DIR})
add_test(NAME "cli: print-ruleset has the same rules for 5 and for every service"
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/cli/rule-count.sh
                 $<TARGET_FILE:portcullisd> ${CMAKE_SOURCE_DIR})
add_test(NAME "cli: check-config points at line and column, exit 78"
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/cli/check-config.sh
                 $<TARGET_FILE:portcullisd> ${CMAKE_SOURCE_DIR})
add_test(NAME "cli: print-ruleset loads into nft and lists back identically"
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/cli/nft-roundtrip.sh
                 $<TARGET_FILE:portcullisd> ${CMAKE_SOURCE_DIR})
set_tests_properties("cli: print-catalog lists every seed port fact"
                     "cli: print-ruleset has the same rules for 5 and for every service"
                     "cli: check-config points at line and column, exit 78"
                     PROPERTIES LABELS cli)
set_tests_properties("cli: print-ruleset loads into nft and lists back identically"
                     PROPERTIES LABELS "cli;integration" SKIP_RETURN_CODE 77)

# Config and catalogue paths that are not regular files, a NUL in a path, a dangling link.
add_test(NAME "cli: bad files are errors naming the file, exit 78, never a hang"
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/cli/bad-files.sh
                 $<TARGET_FILE:portcullisd> ${CMAKE_SOURCE_DIR})
set_tests_properties("cli: bad files are errors naming the file, exit 78, never a hang"
                     PROPERTIES LABELS cli TIMEOUT 120)

# --migrate-from on copies of firewalld's and ufw's files: the printed config and catalogue,
# installed as an admin would, open in each zone exactly the ports the old firewall opened.
add_test(NAME "cli: migrate-from firewalld and ufw opens the same ports"
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/cli/migrate.sh
                 $<TARGET_FILE:portcullisd> ${CMAKE_SOURCE_DIR})
set_tests_properties("cli: migrate-from firewalld and ufw opens the same ports"
                     PROPERTIES LABELS cli)

# [import] on the definitions Debian's firewalld and ufw packages ship (unpacked, never
# installed: tests/integration/cli/fetch-shipped-definitions.sh). CI sets the directory; on
# another machine the test reads the installed packages' directories, and fails when neither
# is there.
set(PORTCULLIS_SHIPPED_DEFINITIONS "" CACHE PATH
    "Root of unpacked firewalld and ufw packages, for the shipped-imports test")
if(PORTCULLIS_SHIPPED_DEFINITIONS)
  set(shipped_dirs ${PORTCULLIS_SHIPPED_DEFINITIONS}/usr/lib/firewalld/services
                   ${PORTCULLIS_SHIPPED_DEFINITIONS}/etc/ufw/applications.d)
else()
  set(shipped_dirs)
endif()
add_test(NAME "cli: import every firewalld service and ufw profile Debian ships"
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/cli/shipped-imports.sh
                 $<TARGET_FILE:portcullisd> ${CMAKE_SOURCE_DIR} ${shipped_dirs})
set_tests_properties("cli: import every firewalld service and ufw profile Debian ships"
                     PROPERTIES LABELS cli)
