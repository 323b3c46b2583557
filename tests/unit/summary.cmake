# psr::summary (runtime/summary/): windows from two readings, counter
# wrap and restarts, top talkers, latency, rule hits and ttl, the ring,
# the packet path log, the collector, and the JSON against
# docs/summary.schema.json.
add_executable(summary_test
  ${CMAKE_CURRENT_SOURCE_DIR}/summary_builder_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/summary_ring_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/summary_collector_test.cc)
target_link_libraries(summary_test PRIVATE psr_summary GTest::gtest_main)
gtest_discover_tests(summary_test DISCOVERY_MODE PRE_TEST)

# The schema is checked by python3-jsonschema (scripts/deps).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_executable(summary_schema_test
    ${CMAKE_CURRENT_SOURCE_DIR}/summary_schema_test.cc)
  target_link_libraries(summary_schema_test PRIVATE psr_summary
                        GTest::gtest_main)
  target_compile_definitions(summary_schema_test PRIVATE
    PSD_PYTHON="${Python3_EXECUTABLE}"
    PSD_VALIDATOR="${CMAKE_CURRENT_SOURCE_DIR}/validate_json_schema.py"
    PSD_SCHEMA="${PROJECT_SOURCE_DIR}/docs/summary.schema.json")
  gtest_discover_tests(summary_schema_test DISCOVERY_MODE PRE_TEST)
endif()
