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

# The static linker and the prebuilt parser (compiler/backend/static_link.h,
# prebuilt_parser.h, bpf/templates/psl_parse.bpf.c).
add_executable(backend_link_test ${CMAKE_CURRENT_SOURCE_DIR}/backend_link_test.cc)
target_link_libraries(backend_link_test PRIVATE psl_backend psl_backend_testing
                      psl_parse_prebuilt GTest::gtest_main)
target_compile_definitions(backend_link_test PRIVATE ${PSC_BACKEND_TEST_DEFS})
gtest_discover_tests(backend_link_test DISCOVERY_TIMEOUT 30)

# write_map_contents: batched map writes (compiler/codegen/policy_build.h).
add_executable(backend_map_write_test
               ${CMAKE_CURRENT_SOURCE_DIR}/backend_map_write_test.cc)
target_link_libraries(backend_map_write_test PRIVATE psl_policy_build
                      psl_backend_testing GTest::gtest_main)
gtest_discover_tests(backend_map_write_test DISCOVERY_TIMEOUT 30)

# The precompiled psl_policy.h (compiler/codegen/policy_compile.h).
add_executable(backend_pch_test ${CMAKE_CURRENT_SOURCE_DIR}/backend_pch_test.cc)
target_link_libraries(backend_pch_test PRIVATE psl_policy_build psl_parse_prebuilt psl_driver
                      GTest::gtest_main)
target_compile_definitions(backend_pch_test PRIVATE ${PSC_BACKEND_TEST_DEFS})
gtest_discover_tests(backend_pch_test DISCOVERY_TIMEOUT 30)

# The compiler as a module loaded on first use: psc and psd run as built.
add_executable(clang_module_test ${CMAKE_CURRENT_SOURCE_DIR}/clang_module_test.cc)
target_link_libraries(clang_module_test PRIVATE psl_backend_clang
                      GTest::gtest_main)
target_compile_definitions(clang_module_test PRIVATE
  PSC_BINARY="$<TARGET_FILE:psc>")
add_dependencies(clang_module_test psc)
if(TARGET psd)
  target_compile_definitions(clang_module_test PRIVATE
    PSD_BINARY="$<TARGET_FILE:psd>")
  add_dependencies(clang_module_test psd)
endif()
gtest_discover_tests(clang_module_test DISCOVERY_TIMEOUT 30)

# The object cache and its SHA-256 (compiler/backend/object_cache.h).
add_executable(object_cache_test ${CMAKE_CURRENT_SOURCE_DIR}/object_cache_test.cc)
target_link_libraries(object_cache_test PRIVATE psl_backend_cache GTest::gtest_main)
gtest_discover_tests(object_cache_test DISCOVERY_TIMEOUT 30)

# Policy builds with the object cache (compiler/codegen/policy_object_key.h).
add_executable(policy_object_cache_test
               ${CMAKE_CURRENT_SOURCE_DIR}/policy_object_cache_test.cc)
target_link_libraries(policy_object_cache_test PRIVATE psl_policy_build
                      psl_parse_prebuilt psl_driver GTest::gtest_main)
gtest_discover_tests(policy_object_cache_test DISCOVERY_TIMEOUT 30)

# The map sidecar, streamed (compiler/codegen/artifact_json.h).
add_executable(artifact_json_test ${CMAKE_CURRENT_SOURCE_DIR}/artifact_json_test.cc)
target_link_libraries(artifact_json_test PRIVATE psl_policy_build psl_driver
                      nlohmann_json::nlohmann_json GTest::gtest_main)
gtest_discover_tests(artifact_json_test DISCOVERY_TIMEOUT 30)
