# plume_add_plugin(KIND NAME SOURCES...): build one plugin as a MODULE library
# named plume-KIND-NAME.so that exports exactly one symbol, plume_plugin_entry
# (hidden visibility plus the version script plugin.map beside this file).
#
# The same file serves the build tree (included by the top-level
# CMakeLists.txt) and the installed SDK (included by plumeConfig.cmake after
# find_package(plume)); the plugin gets its headers from the target
# plume::plugin in both. Variables read when the function runs:
#   PLUME_PLUGIN_DIR_BUILD    where the .so is written (default: CMake's)
#   PLUME_PLUGIN_INSTALL_DIR  where `cmake --install` puts it (unset: not installed)
set(PLUME_PLUGIN_MAP "${CMAKE_CURRENT_LIST_DIR}/plugin.map")

function(plume_add_plugin kind name)
  set(target plume-${kind}-${name})
  add_library(${target} MODULE ${ARGN})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${target}
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(PLUME_PLUGIN_DIR_BUILD)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${PLUME_PLUGIN_DIR_BUILD})
  endif()
  target_link_libraries(${target} PRIVATE plume::plugin)
  # One exported symbol, whatever the sources or static libraries say.
  target_link_options(${target} PRIVATE "-Wl,--version-script=${PLUME_PLUGIN_MAP}")
  # clang leaves the sanitizer and coverage runtimes to the executable.
  if(NOT PLUME_BUILD_FUZZERS)
    target_link_options(${target} PRIVATE "-Wl,--no-undefined")
  endif()
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${PLUME_PLUGIN_MAP})
  if(PLUME_PLUGIN_INSTALL_DIR)
    install(TARGETS ${target} LIBRARY DESTINATION ${PLUME_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
