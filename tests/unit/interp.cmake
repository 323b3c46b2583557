# The reference interpreter: semantics per construct, the test-packet
# builder, the test runner's timing model (real PSL text through the real
# pipeline), `psc test` and `psc run` as subprocesses, and every policy under policies/
# through `psc test --interp`.
foreach(part interpreter packet_builder test_runner)
  add_executable(interp_${part}_test ${CMAKE_CURRENT_SOURCE_DIR}/interp_${part}_test.cc)
  target_link_libraries(interp_${part}_test PRIVATE psl_interp psl_driver GTest::gtest_main)
  gtest_discover_tests(interp_${part}_test DISCOVERY_MODE PRE_TEST)
endforeach()

add_executable(interp_cli_test ${CMAKE_CURRENT_SOURCE_DIR}/interp_cli_test.cc)
target_link_libraries(interp_cli_test PRIVATE nlohmann_json::nlohmann_json GTest::gtest_main)
target_compile_definitions(interp_cli_test PRIVATE PSC_BINARY="$<TARGET_FILE:psc>")
add_dependencies(interp_cli_test psc)
gtest_discover_tests(interp_cli_test DISCOVERY_MODE PRE_TEST)

add_executable(interp_pcap_test ${CMAKE_CURRENT_SOURCE_DIR}/interp_pcap_test.cc)
target_link_libraries(interp_pcap_test PRIVATE psl_pcap psl_interp psl_driver
                      nlohmann_json::nlohmann_json GTest::gtest_main)
target_compile_definitions(interp_pcap_test PRIVATE PSC_BINARY="$<TARGET_FILE:psc>")
add_dependencies(interp_pcap_test psc)
gtest_discover_tests(interp_pcap_test DISCOVERY_MODE PRE_TEST)

# The example policies' own test blocks, on the interpreter.
add_test(NAME policies_interp
         COMMAND psc test --interp ${PROJECT_SOURCE_DIR}/policies)
set_tests_properties(policies_interp PROPERTIES LABELS interp TIMEOUT 120)
