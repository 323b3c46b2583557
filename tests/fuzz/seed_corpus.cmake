# Copies the seed corpus of the fuzzers: every example policy and every
# expected-diagnostics input, flattened into one directory (a file's path
# below the source root becomes its name: tests/diag/e02/x.psl ->
# tests_diag_e02_x.psl). Run at build time, so new .psl files are picked up
# without reconfiguring.
#   cmake -DSOURCE_DIR=<repo> -DSEED_DIR=<out> -P seed_corpus.cmake
if(NOT SOURCE_DIR OR NOT SEED_DIR)
  message(FATAL_ERROR "seed_corpus.cmake: SOURCE_DIR and SEED_DIR are required")
endif()

file(GLOB policies LIST_DIRECTORIES false "${SOURCE_DIR}/policies/*.psl")
file(GLOB_RECURSE diag_inputs LIST_DIRECTORIES false
     "${SOURCE_DIR}/tests/diag/*.psl")
file(GLOB_RECURSE unit_inputs LIST_DIRECTORIES false
     "${SOURCE_DIR}/tests/unit/*.psl")

file(REMOVE_RECURSE "${SEED_DIR}")
file(MAKE_DIRECTORY "${SEED_DIR}")
set(count 0)
foreach(f IN LISTS policies diag_inputs unit_inputs)
  file(RELATIVE_PATH rel "${SOURCE_DIR}" "${f}")
  string(REPLACE "/" "_" flat "${rel}")
  configure_file("${f}" "${SEED_DIR}/${flat}" COPYONLY)
  math(EXPR count "${count} + 1")
endforeach()
# An empty corpus still needs one input for libFuzzer to start from.
if(count EQUAL 0)
  file(WRITE "${SEED_DIR}/minimal.psl" "policy p {\n  default pass\n}\n")
endif()
