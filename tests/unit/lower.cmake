# Lowering and code generation (compiler/lower, compiler/codegen): real PSL
# through the front end, then the classifier and the generated C.
add_executable(lower_classifier_test ${CMAKE_CURRENT_SOURCE_DIR}/lower_classifier_test.cc)
target_link_libraries(lower_classifier_test PRIVATE psl_codegen psl_driver GTest::gtest_main)
gtest_discover_tests(lower_classifier_test DISCOVERY_TIMEOUT 30)
# psl_rate_table.h: the layout of the rate groups' map values.
target_include_directories(lower_classifier_test PRIVATE ${PSC_BPF_TEMPLATE_DIR})

add_executable(lower_class_split_test ${CMAKE_CURRENT_SOURCE_DIR}/lower_class_split_test.cc)
target_link_libraries(lower_class_split_test PRIVATE psl_codegen psl_driver GTest::gtest_main)
gtest_discover_tests(lower_class_split_test DISCOVERY_TIMEOUT 30)

# The pure pieces of placement (conjunctions, prefixes, the IPv4 and IPv6
# class-table splits, entry encodings) on hand-made input.
add_executable(lower_pieces_test ${CMAKE_CURRENT_SOURCE_DIR}/lower_pieces_test.cc)
target_link_libraries(lower_pieces_test PRIVATE psl_lower GTest::gtest_main)
target_include_directories(lower_pieces_test PRIVATE ${PSC_BPF_TEMPLATE_DIR})
gtest_discover_tests(lower_pieces_test)

# The flat stores of placement: a group's keys (KeyTable) and the map
# contents (MapEntries), against the standard containers they replaced.
add_executable(lower_stores_test ${CMAKE_CURRENT_SOURCE_DIR}/lower_stores_test.cc)
target_link_libraries(lower_stores_test PRIVATE psl_lower GTest::gtest_main)
gtest_discover_tests(lower_stores_test)

# The cost model's choice of maps, code or a decision tree per part of a
# policy (compiler/lower/cost_model.h), and what psc shows of it.
add_executable(lower_cost_model_test ${CMAKE_CURRENT_SOURCE_DIR}/lower_cost_model_test.cc)
target_link_libraries(lower_cost_model_test PRIVATE psl_codegen psl_driver GTest::gtest_main)
gtest_discover_tests(lower_cost_model_test DISCOVERY_TIMEOUT 30)

# The parser cut to the policy (compiler/codegen/parse_layers.h): the
# layers of each field, the generated call, and that a cut decodes the
# fields it claims as the whole parser does (host twin of psl_parse.h).
add_executable(codegen_parse_layers_test ${CMAKE_CURRENT_SOURCE_DIR}/codegen_parse_layers_test.cc)
target_link_libraries(codegen_parse_layers_test PRIVATE psl_codegen psl_driver psl_interp GTest::gtest_main)
target_include_directories(codegen_parse_layers_test PRIVATE ${PSC_BPF_TEMPLATE_DIR})
gtest_discover_tests(codegen_parse_layers_test DISCOVERY_TIMEOUT 30)

# The perfect hash layout of a group's hash map (compiler/lower/
# perfect_hash.h) and the pass that uses it.
add_executable(lower_perfect_hash_test ${CMAKE_CURRENT_SOURCE_DIR}/lower_perfect_hash_test.cc)
target_link_libraries(lower_perfect_hash_test PRIVATE psl_codegen psl_driver GTest::gtest_main)
target_include_directories(lower_perfect_hash_test PRIVATE ${PSC_BPF_TEMPLATE_DIR})
gtest_discover_tests(lower_perfect_hash_test DISCOVERY_TIMEOUT 30)
