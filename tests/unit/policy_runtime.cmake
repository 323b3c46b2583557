# The policy runtime (runtime/policy/): the parts without a kernel (layout,
# lock, set values, state file, carry-over plan, rule expiry), then the
# library against the kernel in real network namespaces (root; skips, or
# with PSC_REQUIRE_BPF=1 fails, without BPF).
add_executable(policy_runtime_test ${CMAKE_CURRENT_SOURCE_DIR}/policy_runtime_test.cc)
target_link_libraries(policy_runtime_test PRIVATE psr_policy GTest::gtest_main)
gtest_discover_tests(policy_runtime_test DISCOVERY_TIMEOUT 30)

add_executable(policy_runtime_kernel_test
               ${CMAKE_CURRENT_SOURCE_DIR}/policy_runtime_kernel_test.cc)
target_link_libraries(policy_runtime_kernel_test PRIVATE psr_policy psr_trace
                      psl_backend_testing GTest::gtest_main)
gtest_discover_tests(policy_runtime_kernel_test DISCOVERY_TIMEOUT 30
                     PROPERTIES LABELS kernel RUN_SERIAL TRUE TIMEOUT 300)
