# The grammar exporter (compiler/grammar_export, psc grammar) and the LLM
# analyzer (runtime/analyze): unit tests, and tests against the scripted
# fake model server of tests/llm/ on loopback (real HTTP, no internet).
add_library(psl_bnf_testing STATIC ${PROJECT_SOURCE_DIR}/tests/llm/bnf_grammar.cc)
target_include_directories(psl_bnf_testing PUBLIC ${PROJECT_SOURCE_DIR}/tests/llm)
target_link_libraries(psl_bnf_testing PUBLIC psl_grammar_export)

add_executable(grammar_export_test ${CMAKE_CURRENT_SOURCE_DIR}/grammar_export_test.cc)
target_link_libraries(grammar_export_test PRIVATE psl_bnf_testing psl_frontend
                      GTest::gtest_main)
target_compile_definitions(grammar_export_test PRIVATE
                           PSL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                           PSC_BINARY="$<TARGET_FILE:psc>")
add_dependencies(grammar_export_test psc)
gtest_discover_tests(grammar_export_test PROPERTIES LABELS llm)

# Test support: the scripted model server and summary windows.
pkg_check_modules(PSL_TEST_HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
find_package(OpenSSL REQUIRED)
add_library(psl_llm_testing STATIC
  ${PROJECT_SOURCE_DIR}/tests/llm/fake_llm_server.cc
  ${PROJECT_SOURCE_DIR}/tests/llm/summary_fixture.cc)
target_include_directories(psl_llm_testing PUBLIC ${PROJECT_SOURCE_DIR}/tests/llm)
target_link_libraries(psl_llm_testing
  PUBLIC nlohmann_json::nlohmann_json Threads::Threads
  PRIVATE PkgConfig::PSL_TEST_HTTPLIB OpenSSL::SSL OpenSSL::Crypto)

# The same server as a process (scripts/llm-eval's scripted model).
add_executable(fake_llm_server ${PROJECT_SOURCE_DIR}/tests/llm/fake_llm_main.cc)
target_link_libraries(fake_llm_server PRIVATE psl_llm_testing)

foreach(t llm_unit_test llm_client_test llm_prompt_test llm_answer_test
          llm_analyzer_test analyze_evidence_test)
  add_executable(${t} ${CMAKE_CURRENT_SOURCE_DIR}/${t}.cc)
  target_link_libraries(${t} PRIVATE psr_llm psl_llm_testing GTest::gtest_main)
  target_compile_definitions(${t} PRIVATE PSL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(${t} PROPERTIES LABELS llm)
endforeach()
