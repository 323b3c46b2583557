# Frontend (grammar/Policy.g4 + compiler/frontend): parse trees to AST,
# literals, comments, syntax errors and recovery, robustness.
add_executable(frontend_test
  ${CMAKE_CURRENT_SOURCE_DIR}/frontend_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/frontend_errors_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/frontend_comments_test.cc
)
target_link_libraries(frontend_test PRIVATE psl_frontend GTest::gtest_main Threads::Threads)
gtest_discover_tests(frontend_test)

# Large files parsed in pieces on several threads give exactly the
# sequential parse (tree, ranges, comments through fmt, diagnostics).
add_executable(frontend_pieces_test
  ${CMAKE_CURRENT_SOURCE_DIR}/frontend_pieces_test.cc)
target_link_libraries(frontend_pieces_test PRIVATE psl_frontend psl_fmt
                      GTest::gtest_main Threads::Threads)
gtest_discover_tests(frontend_pieces_test)

# The parser's lexer against the generated ANTLR lexer, token for token.
add_executable(frontend_lexer_test
  ${CMAKE_CURRENT_SOURCE_DIR}/frontend_lexer_test.cc)
target_link_libraries(frontend_lexer_test PRIVATE psl_frontend GTest::gtest_main)
target_compile_definitions(frontend_lexer_test PRIVATE
  PSC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(frontend_lexer_test)
