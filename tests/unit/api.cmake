# psr::api (runtime/api/): the router, query checking, listen addresses,
# the token file, the routes over a fake backend, /metrics through
# promtool, the event hub, and the HTTP server with many clients at once.
add_executable(api_test
  ${CMAKE_CURRENT_SOURCE_DIR}/api_router_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/api_routes_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/api_event_hub_test.cc)
target_link_libraries(api_test PRIVATE psr_api GTest::gtest_main)
# `promtool check metrics` (Debian's prometheus package, scripts/deps).
find_program(PSD_PROMTOOL promtool REQUIRED)
target_compile_definitions(api_test PRIVATE PSD_PROMTOOL="${PSD_PROMTOOL}")
gtest_discover_tests(api_test DISCOVERY_MODE PRE_TEST PROPERTIES TIMEOUT 120)

add_executable(api_server_test ${CMAKE_CURRENT_SOURCE_DIR}/api_server_test.cc)
target_link_libraries(api_server_test PRIVATE psr_api PkgConfig::CPP_HTTPLIB
                      GTest::gtest_main)
gtest_discover_tests(api_server_test DISCOVERY_MODE PRE_TEST
                     PROPERTIES TIMEOUT 120)

# The web view's files as psd serves them (the table runtime/web embeds).
add_executable(api_web_test ${CMAKE_CURRENT_SOURCE_DIR}/api_web_test.cc)
target_link_libraries(api_web_test PRIVATE psr_api psr_web_assets GTest::gtest_main)
gtest_discover_tests(api_web_test DISCOVERY_MODE PRE_TEST PROPERTIES TIMEOUT 60)
