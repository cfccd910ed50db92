# SPDX-License-Identifier: GPL-2.0-or-later
# The real daemon end to end (tests/integration/daemon/): real systemd --user, real nftables in
# a network namespace, real traffic from a peer namespace.
foreach(t enable-disable open-when restart-adopts synology dry-run-and-errors notify)
  add_test(NAME "integration: daemon ${t}"
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/daemon/${t}.sh)
  set_tests_properties("integration: daemon ${t}" PROPERTIES
    LABELS "integration;daemon" SKIP_RETURN_CODE 77 TIMEOUT 180
    ENVIRONMENT "PORTCULLISD=$<TARGET_FILE:portcullisd>")
endforeach()
