# The embedded detector (runtime/analyze/detector/): what the summary
# carries for it (SYNs per port, every source summed, horizontal fan-out)
# against docs/summary.schema.json.
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
