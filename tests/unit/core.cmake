add_executable(core_test ${CMAKE_CURRENT_SOURCE_DIR}/core_test.cc)
target_link_libraries(core_test PRIVATE psl_core GTest::gtest_main)
gtest_discover_tests(core_test)
