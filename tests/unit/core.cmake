add_executable(core_test ${CMAKE_CURRENT_SOURCE_DIR}/core_test.cc)
target_link_libraries(core_test PRIVATE psl_core GTest::gtest_main)
gtest_discover_tests(core_test)

# The allocator psc and psd link (compiler/allocator/), and that they do.
add_executable(allocator_test ${CMAKE_CURRENT_SOURCE_DIR}/allocator_test.cc)
target_link_libraries(allocator_test PRIVATE psl_allocator GTest::gtest_main)
target_compile_definitions(allocator_test PRIVATE
  PSC_BINARY="$<TARGET_FILE:psc>"
  PSL_ALLOCATOR_TEST_BINARY="$<TARGET_FILE:allocator_test>")
add_dependencies(allocator_test psc)
if(TARGET psd)
  target_compile_definitions(allocator_test PRIVATE PSD_BINARY="$<TARGET_FILE:psd>")
  add_dependencies(allocator_test psd)
endif()
gtest_discover_tests(allocator_test)
