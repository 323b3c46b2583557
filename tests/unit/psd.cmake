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

# psd's LLM analyzer against the scripted model server (tests/llm) on
# loopback: cadence, hand-over, fallback and return, stop mid-request.
add_executable(psd_llm_test ${CMAKE_CURRENT_SOURCE_DIR}/psd_llm_test.cc)
target_include_directories(psd_llm_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(psd_llm_test PRIVATE psd_lib psl_llm_testing
                      GTest::gtest_main)
target_compile_definitions(psd_llm_test PRIVATE
  PSD_DEFAULT_POLICY="${PROJECT_SOURCE_DIR}/policies/default.psl")
gtest_discover_tests(psd_llm_test DISCOVERY_MODE PRE_TEST
                     PROPERTIES LABELS llm TIMEOUT 120)

# The psd binary as a subprocess: what it says before it touches the
# kernel (help, bad flags and config files, token checks, --check-config).
if(TARGET psd)
  add_executable(psd_cli_test ${CMAKE_CURRENT_SOURCE_DIR}/psd_cli_test.cc)
  target_link_libraries(psd_cli_test PRIVATE GTest::gtest_main)
  target_compile_definitions(psd_cli_test PRIVATE
    PSD_BINARY="$<TARGET_FILE:psd>" PSD_VERSION="${PROJECT_VERSION}")
  add_dependencies(psd_cli_test psd)
  gtest_discover_tests(psd_cli_test DISCOVERY_MODE PRE_TEST)
endif()

# The systemd unit in the tree parses and names real settings
# (systemd-analyze verify, with ExecStart pointed at the built psd).
find_program(PSD_SYSTEMD_ANALYZE systemd-analyze)
if(TARGET psd AND PSD_SYSTEMD_ANALYZE)
  add_test(NAME psd_service_verify
    COMMAND sh -c "sed 's|/usr/local/bin/psd|$<TARGET_FILE:psd>|g' \"$1\" > \"$2\" && \"$3\" verify \"$2\""
            sh ${PROJECT_SOURCE_DIR}/runtime/tools/psd/psd.service
            ${CMAKE_CURRENT_BINARY_DIR}/psd.service ${PSD_SYSTEMD_ANALYZE})
endif()
