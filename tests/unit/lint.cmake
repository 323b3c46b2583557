# Lint: the lint pass through the real pipeline (psl::check_source); the
# condition space it reasons with is tested in analysis.cmake.
#   lint_pass_test             exact diagnostics of PSL snippets; the
#                              disabled LintTiming test times the lint on
#                              files (tests/bench/gen_policy.py writes them):
#     PSL_LINT_TIMING_FILES="a.psl b.psl" lint_pass_test \
#         --gtest_also_run_disabled_tests --gtest_filter='LintTiming.*'
add_executable(lint_pass_test ${CMAKE_CURRENT_SOURCE_DIR}/lint_pass_test.cc)
target_link_libraries(lint_pass_test PRIVATE psl_driver GTest::gtest_main)
target_compile_definitions(lint_pass_test PRIVATE
  PSC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(lint_pass_test)

# The lint's second thread (passes/ordered_feed.h): items made in order
# beside the caller, and the same diagnostics with and without it.
add_executable(lint_threads_test ${CMAKE_CURRENT_SOURCE_DIR}/lint_threads_test.cc)
target_link_libraries(lint_threads_test PRIVATE psl_driver GTest::gtest_main)
gtest_discover_tests(lint_threads_test)

# The protect pass (W0204, E0401, E0402) through the real pipeline.
add_executable(protect_pass_test ${CMAKE_CURRENT_SOURCE_DIR}/protect_pass_test.cc)
target_link_libraries(protect_pass_test PRIVATE psl_driver GTest::gtest_main)
gtest_discover_tests(protect_pass_test)

# psl::check_source with a build beside the lint (driver.h): the same
# diagnostics as the plain check on every tests/diag case, and when the
# work runs.
add_executable(check_alongside_test
  ${CMAKE_CURRENT_SOURCE_DIR}/check_alongside_test.cc)
target_link_libraries(check_alongside_test PRIVATE psl_driver GTest::gtest_main)
target_compile_definitions(check_alongside_test PRIVATE
  PSC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(check_alongside_test)
