# psd (runtime/tools/psd/): options from the config file and flags, the
# policy directory, the startup checks and the daemon loop on fakes.
add_executable(psd_test
  ${CMAKE_CURRENT_SOURCE_DIR}/psd_options_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/psd_policy_dir_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/psd_daemon_test.cc)
target_link_libraries(psd_test PRIVATE psd_lib PkgConfig::CPP_HTTPLIB
                      GTest::gtest_main)
target_compile_definitions(psd_test PRIVATE
  PSD_DOC="${PROJECT_SOURCE_DIR}/docs/psd.md"
  PSD_DEFAULT_POLICY="${PROJECT_SOURCE_DIR}/policies/default.psl")
gtest_discover_tests(psd_test DISCOVERY_MODE PRE_TEST PROPERTIES TIMEOUT 120)
