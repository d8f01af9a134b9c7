# Install rules: the layer as the CMake package `ttt` (find_package(ttt) -> ttt::layer) and,
# when it is built, the ttt-harness tool.
#
#   <prefix>/include/ttt/*.h
#   <prefix>/lib/libttt.a
#   <prefix>/lib/cmake/ttt/{tttConfig,tttConfigVersion,tttTargets*,tttTorch}.cmake
#   <prefix>/bin/ttt-harness       (runs against the LibTorch it was built with)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TTT_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/ttt")
install(TARGETS ttt_layer EXPORT tttTargets ARCHIVE LIBRARY RUNTIME)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/ttt/include/ttt" TYPE INCLUDE)
install(EXPORT tttTargets NAMESPACE ttt:: DESTINATION "${TTT_CMAKE_INSTALL_DIR}")

set(TTT_TORCH_DIR_HINT "${Torch_DIR}")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/tttConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/package/tttConfig.cmake" INSTALL_DESTINATION "${TTT_CMAKE_INSTALL_DIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/package/tttConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/package/tttConfig.cmake"
              "${PROJECT_BINARY_DIR}/package/tttConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/tttTorch.cmake"
        DESTINATION "${TTT_CMAKE_INSTALL_DIR}")

if(TARGET ttt-harness)
  # The installed tool finds LibTorch (and the wheel's CUDA libraries) where it was linked,
  # and the other libraries (HDF5) in the folders outside the project it was linked from.
  get_target_property(torch_runtime_dirs ttt_torch TTT_RUNTIME_DIRS)
  set_target_properties(ttt-harness PROPERTIES INSTALL_RPATH "${torch_runtime_dirs}"
                                               INSTALL_RPATH_USE_LINK_PATH TRUE)
  install(TARGETS ttt-harness RUNTIME)
  # conform's Python driver, where the installed tool looks for it (ports/port_spec.cpp).
  install(FILES "${PROJECT_SOURCE_DIR}/ports/python/ttt_port_driver.py" DESTINATION "${CMAKE_INSTALL_DATADIR}/ttt-harness")
endif()
