# The semantic passes (resolve, consteval, typecheck): real PSL text through
# psl::check_source, exact diagnostics (code, line, column, message, notes)
# and the annotations the passes leave on the tree. One binary per pass.
foreach(pass resolve consteval typecheck)
  add_executable(sema_${pass}_test ${CMAKE_CURRENT_SOURCE_DIR}/sema_${pass}_test.cc)
  target_link_libraries(sema_${pass}_test PRIVATE psl_driver GTest::gtest_main)
  gtest_discover_tests(sema_${pass}_test DISCOVERY_MODE PRE_TEST)
endforeach()
