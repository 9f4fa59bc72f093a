# The API reference of the public headers (docs/Doxyfile.in), when doxygen is found:
# `cmake --build BUILD --target docs` writes BUILD/docs/api/html/index.html. Any doxygen warning
# fails the target, and the ctest test api-reference builds it, so a warning fails the tests.
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  message(STATUS "queuednet: doxygen not found: no `docs` target (install the Debian package doxygen)")
  return()
endif()
set(QUEUEDNET_DOCS_OUTPUT ${PROJECT_BINARY_DIR}/docs/api)
configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${PROJECT_BINARY_DIR}/docs/Doxyfile @ONLY)
add_custom_target(docs
  COMMAND ${CMAKE_COMMAND} -E make_directory ${QUEUEDNET_DOCS_OUTPUT}
  COMMAND Doxygen::doxygen ${PROJECT_BINARY_DIR}/docs/Doxyfile
  COMMENT "API reference: ${QUEUEDNET_DOCS_OUTPUT}/html/index.html"
  VERBATIM)
if(QUEUEDNET_BUILD_TESTS)
  add_test(NAME api-reference COMMAND ${CMAKE_COMMAND} --build ${PROJECT_BINARY_DIR} --target docs)
  set_tests_properties(api-reference PROPERTIES TIMEOUT 300)
endif()
