# Kernel mode: KernelEvaluator (compiled policies with BPF_PROG_TEST_RUN and
# the injected clock), `psc test` / `psc run` in the kernel, and every
# policy under policies/ in the kernel. Skips without BPF (root, CAP_BPF);
# PSC_REQUIRE_BPF=1 turns the skips into failures.
add_executable(kernel_eval_test ${CMAKE_CURRENT_SOURCE_DIR}/kernel_eval_test.cc)
target_link_libraries(kernel_eval_test PRIVATE psl_kernel_eval psl_driver
                      psl_backend_testing PkgConfig::LIBPCAP
                      nlohmann_json::nlohmann_json GTest::gtest_main)
target_compile_definitions(kernel_eval_test PRIVATE
  PSC_BINARY="$<TARGET_FILE:psc>"
  PSC_POLICIES_DIR="${PROJECT_SOURCE_DIR}/policies")
add_dependencies(kernel_eval_test psc)
gtest_discover_tests(kernel_eval_test DISCOVERY_MODE PRE_TEST)

# The example policies' own test blocks, in the kernel. psc exits 2 and
# says what is missing when it cannot run BPF: a skip (77), unless
# PSC_REQUIRE_BPF=1.
set(PSC_KERNEL_OR_SKIP [=[
log=$(mktemp) || exit 1
"$1" test "$2" 2>"$log"; rc=$?
cat "$log" >&2
if [ "$rc" -eq 2 ] && grep -q "cannot run the tests in the kernel" "$log"; then
  rm -f "$log"
  if [ "$PSC_REQUIRE_BPF" = 1 ]; then
    echo "FAIL: BPF required (PSC_REQUIRE_BPF=1) but psc cannot run it" >&2
    exit 1
  fi
  echo "SKIP: no BPF here (see above); PSC_REQUIRE_BPF=1 makes this a failure"
  exit 77
fi
rm -f "$log"
exit "$rc"
]=])
add_test(NAME policies_kernel
         COMMAND sh -c "${PSC_KERNEL_OR_SKIP}" sh $<TARGET_FILE:psc>
                 ${PROJECT_SOURCE_DIR}/policies)
set_tests_properties(policies_kernel PROPERTIES LABELS kernel TIMEOUT 300
                     SKIP_RETURN_CODE 77)

# A verifier rejection mapped back to the rule whose code failed.
add_executable(verifier_rules_test ${CMAKE_CURRENT_SOURCE_DIR}/verifier_rules_test.cc)
target_link_libraries(verifier_rules_test PRIVATE psl_policy_build psl_driver
                      psl_backend_testing GTest::gtest_main)
target_compile_definitions(verifier_rules_test PRIVATE
  PSC_BPF_TEMPLATE_DIR="${PROJECT_SOURCE_DIR}/bpf/templates")
gtest_discover_tests(verifier_rules_test DISCOVERY_MODE PRE_TEST
                     PROPERTIES LABELS kernel)
