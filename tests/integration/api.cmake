# SPDX-License-Identifier: GPL-2.0-or-later
# The D-Bus API, driven with busctl on a private bus (tests/integration/api/).
add_test(NAME "api: busctl on a private bus, as root and as nobody"
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/api/busctl-admin.sh
                 $<TARGET_FILE:portcullisd> ${CMAKE_SOURCE_DIR})
set_tests_properties("api: busctl on a private bus, as root and as nobody"
                     PROPERTIES LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 120)
