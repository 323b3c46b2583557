# The embedded detector (runtime/analyze/detector/): every detection on
# windows built by hand (the attack, its near-miss, busy benign traffic,
# what is there already), its options and the block sets of a checked
# policy, and what the summary carries for it (SYNs per port, every
# source summed, horizontal fan-out) against docs/summary.schema.json.
add_executable(detector_test
  ${CMAKE_CURRENT_SOURCE_DIR}/detector_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/detector_config_test.cc)
target_link_libraries(detector_test PRIVATE psr_detector psl_driver psl_report
                      GTest::gtest_main)
target_compile_definitions(detector_test PRIVATE
  PSD_DETECTOR_DOC="${PROJECT_SOURCE_DIR}/docs/detector.md"
  PSD_DEFAULT_POLICY="${PROJECT_SOURCE_DIR}/policies/default.psl")
gtest_discover_tests(detector_test DISCOVERY_MODE PRE_TEST)

find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_executable(detector_summary_test
    ${CMAKE_CURRENT_SOURCE_DIR}/detector_summary_test.cc)
  target_link_libraries(detector_summary_test PRIVATE psr_summary
                        GTest::gtest_main)
  target_compile_definitions(detector_summary_test PRIVATE
    PSD_PYTHON="${Python3_EXECUTABLE}"
    PSD_VALIDATOR="${CMAKE_CURRENT_SOURCE_DIR}/validate_json_schema.py"
    PSD_SCHEMA="${PROJECT_SOURCE_DIR}/docs/summary.schema.json")
  gtest_discover_tests(detector_summary_test DISCOVERY_MODE PRE_TEST)
endif()
