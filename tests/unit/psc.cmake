# psc: the diagnostic renderers, the fmt printer (hand-built trees, then
# real text through the parser), and the psc binary itself, run as a
# subprocess for exit statuses, stdin, directories and fmt -w.
add_executable(psc_report_test ${CMAKE_CURRENT_SOURCE_DIR}/psc_report_test.cc)
target_link_libraries(psc_report_test PRIVATE psl_report nlohmann_json::nlohmann_json
                      GTest::gtest_main)
gtest_discover_tests(psc_report_test DISCOVERY_MODE PRE_TEST)

add_executable(fmt_printer_test ${CMAKE_CURRENT_SOURCE_DIR}/fmt_printer_test.cc)
target_link_libraries(fmt_printer_test PRIVATE psl_fmt GTest::gtest_main)
gtest_discover_tests(fmt_printer_test DISCOVERY_MODE PRE_TEST)

# Walks policies/ and tests/diag/ at test time, so new files are covered
# without re-running CMake.
add_executable(fmt_roundtrip_test ${CMAKE_CURRENT_SOURCE_DIR}/fmt_roundtrip_test.cc)
target_link_libraries(fmt_roundtrip_test PRIVATE psl_fmt psl_frontend GTest::gtest_main)
target_compile_definitions(fmt_roundtrip_test PRIVATE PSL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(fmt_roundtrip_test DISCOVERY_MODE PRE_TEST)

add_executable(psc_cli_test ${CMAKE_CURRENT_SOURCE_DIR}/psc_cli_test.cc)
target_link_libraries(psc_cli_test PRIVATE nlohmann_json::nlohmann_json GTest::gtest_main)
target_compile_definitions(psc_cli_test PRIVATE PSC_BINARY="$<TARGET_FILE:psc>"
  PSC_INFORMATION_URI_DEFAULT="${PSC_INFORMATION_URI}")
add_dependencies(psc_cli_test psc)
gtest_discover_tests(psc_cli_test DISCOVERY_MODE PRE_TEST)

# psc build with the object cache (compiler/tools/psc/object_cache_choice.h).
add_executable(psc_cache_cli_test ${CMAKE_CURRENT_SOURCE_DIR}/psc_cache_cli_test.cc)
target_link_libraries(psc_cache_cli_test PRIVATE psl_backend_testing GTest::gtest_main)
target_compile_definitions(psc_cache_cli_test PRIVATE PSC_BINARY="$<TARGET_FILE:psc>")
add_dependencies(psc_cache_cli_test psc)
gtest_discover_tests(psc_cache_cli_test DISCOVERY_MODE PRE_TEST)

# The example policies are what operators start from: CI keeps them free of
# warnings and in the canonical layout, exactly as a user's CI would.
add_test(NAME policies_check
         COMMAND psc check --werror --color never ${PROJECT_SOURCE_DIR}/policies)
add_test(NAME policies_fmt
         COMMAND psc fmt --check ${PROJECT_SOURCE_DIR}/policies)
set_tests_properties(policies_check policies_fmt PROPERTIES LABELS policies)

# Typed errors and psc's exit status per kind (links the verbs' library).
add_executable(psc_exit_status_test ${CMAKE_CURRENT_SOURCE_DIR}/psc_exit_status_test.cc)
target_link_libraries(psc_exit_status_test PRIVATE psc_cli GTest::gtest_main)
gtest_discover_tests(psc_exit_status_test DISCOVERY_MODE PRE_TEST)
