# The reference docs stay in sync with the code: every diagnostic code has a
# section in docs/diagnostics.md and every field is in docs/language.md.
add_executable(docs_test ${CMAKE_CURRENT_SOURCE_DIR}/docs_test.cc)
target_link_libraries(docs_test PRIVATE psl_core GTest::gtest_main)
target_compile_definitions(docs_test PRIVATE
  PSL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(docs_test)
