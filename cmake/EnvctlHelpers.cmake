# Shared build rules: every module is one static library built with our warning set,
# every test suite one GoogleTest binary labelled unit / integration / e2e.

set(ENVCTL_WARNINGS -Wall -Wextra -Werror -Wno-deprecated-declarations)
# clang flags libgit2's GIT_*_OPTIONS_INIT macros (they leave trailing fields to zero).
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND ENVCTL_WARNINGS -Wno-missing-field-initializers)
endif()
# cpprestsdk's U() macro collides with GoogleTest; we never use it.
set(ENVCTL_DEFINES _TURN_OFF_PLATFORM_STRING)

# envctl_library(NAME SRCS a.cc b.cc DEPS x y)
function(envctl_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_definitions(${name} PUBLIC ${ENVCTL_DEFINES})
  target_compile_options(${name} PRIVATE ${ENVCTL_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# envctl_test(NAME SRCS a_test.cc DEPS lib LABEL unit|integration|e2e [TIMEOUT s])
function(envctl_test name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SRCS;DEPS" ${ARGN})
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${name} ${ARG_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(${name} PRIVATE ${ENVCTL_DEFINES}
    ENVCTL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    ENVCTL_BINARY_DIR="${PROJECT_BINARY_DIR}")
  target_compile_options(${name} PRIVATE ${ENVCTL_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name}
    PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
endfunction()
