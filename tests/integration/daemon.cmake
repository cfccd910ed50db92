# SPDX-License-Identifier: GPL-2.0-or-later
# The real daemon end to end (tests/integration/daemon/): real systemd --user, real nftables in
# a network namespace, real traffic from a peer namespace.
#
# Every test runs twice, the same script with the backend as a parameter: nftables, and the
# legacy backend (ip sets + iptables-legacy, for kernels without nf_tables; "[legacy]" in the
# test's name).
foreach(backend nftables legacy)
  set(suffix "")
  if(backend STREQUAL "legacy")
    set(suffix " [legacy]")
  endif()
  foreach(t enable-disable open-when restart-adopts synology dry-run-and-errors notify
            overlap monitor zones ftp-helper tamper single-instance
            faults-state-dir faults-reload faults-bus faults-systemd confirmed)
    add_test(NAME "integration: daemon ${t}${suffix}"
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/daemon/${t}.sh)
    set_tests_properties("integration: daemon ${t}${suffix}" PROPERTIES
      LABELS "integration;daemon;${backend}" SKIP_RETURN_CODE 77 TIMEOUT 180
      ENVIRONMENT "PORTCULLISD=$<TARGET_FILE:portcullisd>;PORTCULLIS_BACKEND=${backend}")
  endforeach()
endforeach()

# backend = "auto" on a kernel without nf_tables (simulated at the probe seam): the legacy
# backend, end to end, with the same D-Bus answers; and the exit message when neither works.
add_test(NAME "integration: daemon backend-choice"
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/daemon/backend-choice.sh)
set_tests_properties("integration: daemon backend-choice" PROPERTIES
  LABELS "integration;daemon;legacy" SKIP_RETURN_CODE 77 TIMEOUT 180
  ENVIRONMENT "PORTCULLISD=$<TARGET_FILE:portcullisd>")

# Start-up and scale (nftables): signals during the start, SetOverride while systemd reloads;
# 10,000 D-Bus calls from 4 clients, kill -9 in the middle of a burst of unit changes.
foreach(t early-signals override-while-reloading faults-dbus-burst faults-kill-burst)
  add_test(NAME "integration: daemon ${t}"
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/daemon/${t}.sh)
  set_tests_properties("integration: daemon ${t}" PROPERTIES
    LABELS "integration;daemon;nftables" SKIP_RETURN_CODE 77 TIMEOUT 240
    ENVIRONMENT "PORTCULLISD=$<TARGET_FILE:portcullisd>;PORTCULLIS_BACKEND=nftables")
endforeach()
