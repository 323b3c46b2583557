# Backend tests (compiler/backend). The compiler test needs nothing special;
# the others load programs into the running kernel, attach XDP in network
# namespaces they create, and skip when the machine cannot
# (PSC_REQUIRE_BPF=1 turns those skips into failures).
set(PSC_BACKEND_TEST_DEFS
  PSC_BACKEND_TEST_DATA="${CMAKE_CURRENT_SOURCE_DIR}/backend_data"
  PSC_BPF_TEMPLATES_DIR="${PROJECT_SOURCE_DIR}/bpf/templates")

foreach(name backend_compiler_test backend_object_test backend_attach_test)
  add_executable(${name} ${CMAKE_CURRENT_SOURCE_DIR}/${name}.cc)
  target_link_libraries(${name} PRIVATE psl_backend psl_backend_testing
                        GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE ${PSC_BACKEND_TEST_DEFS})
endforeach()
gtest_discover_tests(backend_compiler_test DISCOVERY_TIMEOUT 30)
gtest_discover_tests(backend_object_test DISCOVERY_TIMEOUT 30)
# Network tests run alone: they count ping losses across program swaps.
gtest_discover_tests(backend_attach_test DISCOVERY_TIMEOUT 30
                     PROPERTIES RUN_SERIAL TRUE)
