# SPDX-License-Identifier: GPL-2.0-or-later
# nftables backend: a driver program linking the core library, and shell tests that run it in
# their own network namespaces (pc-nft-*) against the real kernel. They need root, and exit 77
# (reported as skipped) without it.
add_executable(nft-driver ${CMAKE_CURRENT_LIST_DIR}/nft/nft-driver.cpp)
target_link_libraries(nft-driver PRIVATE portcullis_nft)
target_compile_options(nft-driver PRIVATE ${PORTCULLIS_WARNINGS})

set(NFT_INTEGRATION_TESTS
  apply-and-list
  traffic-enforce-monitor
  self-heal
  restart-adopts
  stale-table
  failing-batch)
foreach(t ${NFT_INTEGRATION_TESTS})
  add_test(NAME "integration: nft ${t}"
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/nft/${t}.sh)
  set_tests_properties("integration: nft ${t}" PROPERTIES
    SKIP_RETURN_CODE 77
    LABELS "integration;nft"
    TIMEOUT 120
    ENVIRONMENT "NFT_DRIVER=$<TARGET_FILE:nft-driver>;PORTCULLIS_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endforeach()
