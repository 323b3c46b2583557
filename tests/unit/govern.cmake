# The governor and the policy lifecycle of psd (runtime/govern/): the
# governor's checks, the composition, the store and the audit log without
# a kernel; then the lifecycle against the kernel in network namespaces
# (root; skips, or with PSC_REQUIRE_BPF=1 fails, without BPF).
add_executable(govern_test ${CMAKE_CURRENT_SOURCE_DIR}/govern_test.cc
               ${CMAKE_CURRENT_SOURCE_DIR}/govern_parts_test.cc)
target_link_libraries(govern_test PRIVATE psr_govern psl_interp
                      GTest::gtest_main)
target_compile_definitions(govern_test PRIVATE
                           PSC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(govern_test DISCOVERY_TIMEOUT 30)

add_executable(govern_kernel_test
               ${CMAKE_CURRENT_SOURCE_DIR}/govern_kernel_test.cc)
target_link_libraries(govern_kernel_test PRIVATE psr_govern
                      psl_backend_testing GTest::gtest_main)
target_compile_definitions(govern_kernel_test PRIVATE
                           PSC_BINARY="$<TARGET_FILE:psc>")
add_dependencies(govern_kernel_test psc)
gtest_discover_tests(govern_kernel_test DISCOVERY_TIMEOUT 30
                     PROPERTIES LABELS kernel RUN_SERIAL TRUE TIMEOUT 300)
