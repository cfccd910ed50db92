# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd watcher against a real `systemd --user` on a private bus (see
# tests/integration/lib/harness.sh). Each test needs root and exits 77 (skipped) without it.

add_executable(watch-driver ${CMAKE_CURRENT_LIST_DIR}/systemd/watch-driver.cpp)
target_link_libraries(watch-driver PRIVATE portcullis_sources)
target_compile_options(watch-driver PRIVATE ${PORTCULLIS_WARNINGS})

# An old systemd (no *ByPatterns methods) on a private bus, driven by the test.
add_executable(fake-systemd ${CMAKE_CURRENT_LIST_DIR}/systemd/fake-systemd.cpp)
target_link_libraries(fake-systemd PRIVATE PkgConfig::SYSTEMD)
target_compile_options(fake-systemd PRIVATE ${PORTCULLIS_WARNINGS})

set(PORTCULLIS_SYSTEMD_TESTS
  enable-disable
  template
  reload-reexec
  removed-unit
  bus-restart
  burst
  fake-manager
  harness-netns
  targeted)
foreach(name ${PORTCULLIS_SYSTEMD_TESTS})
  add_test(NAME "integration: systemd ${name}"
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/systemd/test-${name}.sh)
  set_tests_properties("integration: systemd ${name}" PROPERTIES
    SKIP_RETURN_CODE 77
    LABELS "integration"
    TIMEOUT 60
    ENVIRONMENT "PC_WATCH_DRIVER=$<TARGET_FILE:watch-driver>;PC_FAKE_SYSTEMD=$<TARGET_FILE:fake-systemd>;PC_TEST_NAME=systemd-${name}")
endforeach()
