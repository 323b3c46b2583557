# The condition space (compiler/analysis/): one test file per file pair,
# in one executable (the built conditions go through the real pipeline,
# psl::check_source).
add_executable(analysis_test
  ${CMAKE_CURRENT_SOURCE_DIR}/analysis_interval_set_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/analysis_literal_points_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/analysis_box_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/analysis_witness_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/analysis_describe_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/analysis_dnf_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/analysis_nnf_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/analysis_condition_builder_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/analysis_box_index_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/analysis_cover_test.cc)
target_link_libraries(analysis_test PRIVATE psl_driver GTest::gtest_main)
gtest_discover_tests(analysis_test)
