# Installation: headers, libqueuednet.a and libqueuednet.so, a CMake package (queuednetConfig.cmake,
# its version file and the exported targets queuednet::queuednet and queuednet::queuednet_static)
# and queuednet.pc for pkg-config. Included from the top-level CMakeLists.txt.
include(CMakePackageConfigHelpers)

set(QUEUEDNET_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/queuednet)

install(TARGETS queuednet queuednet_shared EXPORT queuednetTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/queuednet DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(EXPORT queuednetTargets NAMESPACE queuednet:: DESTINATION ${QUEUEDNET_CMAKE_DIR})

configure_package_config_file(cmake/queuednetConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/queuednetConfig.cmake
                              INSTALL_DESTINATION ${QUEUEDNET_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/queuednetConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/queuednetConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/queuednetConfigVersion.cmake
        DESTINATION ${QUEUEDNET_CMAKE_DIR})

# queuednet.pc finds its prefix relative to itself, so `cmake --install --prefix DIR` works for
# any DIR.
set(QUEUEDNET_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH QUEUEDNET_PC_TO_PREFIX /${QUEUEDNET_PC_DIR} /)
string(REGEX REPLACE "/$" "" QUEUEDNET_PC_TO_PREFIX "${QUEUEDNET_PC_TO_PREFIX}")
set(QUEUEDNET_PC_REQUIRES_PRIVATE "")
if(QUEUEDNET_HAVE_LIBURING)
  set(QUEUEDNET_PC_REQUIRES_PRIVATE "liburing")
endif()
configure_file(cmake/queuednet.pc.in ${CMAKE_CURRENT_BINARY_DIR}/queuednet.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/queuednet.pc DESTINATION ${QUEUEDNET_PC_DIR})
