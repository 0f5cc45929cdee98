# plume_add_plugin(KIND NAME SOURCES...): build one plugin as a MODULE library
# named plume-KIND-NAME.so that exports exactly one symbol, plume_plugin_entry.
# Used in-tree; the installed SDK ships an equivalent (PlumePluginConfig).
function(plume_add_plugin kind name)
  set(target plume-${kind}-${name})
  add_library(${target} MODULE ${ARGN})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${target}
    LIBRARY_OUTPUT_DIRECTORY ${PLUME_PLUGIN_DIR_BUILD}
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/plugins/include)
  # One exported symbol, whatever the sources or static libraries say.
  target_link_options(${target} PRIVATE
    "-Wl,--version-script=${PROJECT_SOURCE_DIR}/plugins/cmake/plugin.map"
    "-Wl,--no-undefined")
  install(TARGETS ${target} LIBRARY DESTINATION ${PLUME_PLUGIN_INSTALL_DIR})
endfunction()
