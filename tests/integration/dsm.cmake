# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon as a DSM 7 package runs it (tests/integration/dsm/): the package's own uid, the
# capabilities --configure-host grants, the legacy backend, DSM's package markers and .sc
# files, in a DSM-shaped mount namespace. The .spk itself is tested by tests/package/.
add_test(NAME "integration: dsm daemon as the package user"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/dsm/package-user.sh)
set_tests_properties("integration: dsm daemon as the package user" PROPERTIES
  LABELS "integration;dsm;legacy" SKIP_RETURN_CODE 77 TIMEOUT 180
  ENVIRONMENT "PORTCULLISD=$<TARGET_FILE:portcullisd>;PORTCULLIS_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
