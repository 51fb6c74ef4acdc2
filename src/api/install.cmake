# Installing libpeerdist: the shared and static library, the C headers, the C++ API header,
# a pkg-config file and a CMake package (find_package(peerdist) -> peerdist::peerdist).
include(CMakePackageConfigHelpers)

install(TARGETS peerdist_shared peerdist_static
  EXPORT peerdistTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(FILES
  ${PROJECT_SOURCE_DIR}/include/peerdist.h
  ${PROJECT_SOURCE_DIR}/include/peerdist_compat.h
  ${PROJECT_SOURCE_DIR}/include/peerdist_win32.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The C++ API and the one helper header it uses (Expected).
install(FILES ${PROJECT_SOURCE_DIR}/include/peerdist/peerdist.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/peerdist)
install(FILES ${PROJECT_SOURCE_DIR}/include/peerdist/util/expected.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/peerdist/util)

# pkg-config: what a C program needs (`cc prog.c $(pkg-config --cflags --libs peerdist)`);
# Libs.private adds the C++ runtime for `pkg-config --static`. The prefix is found from the
# file's own place (${pcfiledir}), so the package works wherever `cmake --install --prefix`
# put it.
file(RELATIVE_PATH PEERDIST_PC_PREFIX_FROM_PCDIR "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" PEERDIST_PC_PREFIX_FROM_PCDIR "${PEERDIST_PC_PREFIX_FROM_PCDIR}")
set(PEERDIST_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
set(PEERDIST_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/peerdist.pc.in
               ${CMAKE_CURRENT_BINARY_DIR}/peerdist.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/peerdist.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

set(PEERDIST_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/peerdist)
install(EXPORT peerdistTargets NAMESPACE peerdist:: DESTINATION ${PEERDIST_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_SOURCE_DIR}/peerdistConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/peerdistConfig.cmake
  INSTALL_DESTINATION ${PEERDIST_CMAKE_DIR})
# 0.x: only the same minor version is compatible (the C++ API may still change).
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/peerdistConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/peerdistConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/peerdistConfigVersion.cmake
  DESTINATION ${PEERDIST_CMAKE_DIR})
