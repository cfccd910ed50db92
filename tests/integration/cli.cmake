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
