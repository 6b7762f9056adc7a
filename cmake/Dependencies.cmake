# Header-only dependencies. A user's own install (system package, vcpkg,
# conda, emsdk ports) wins; otherwise the headers scripts/setup.sh unpacked
# into .deps/root/usr from Debian's packages.
set(ATTNSCOPE_DEPS_PREFIX "${PROJECT_SOURCE_DIR}/.deps/root/usr" CACHE PATH
    "Prefix holding xsimd/xtensor/xtl headers fetched by scripts/setup.sh")

find_package(xsimd 13 CONFIG QUIET)
find_package(xtl CONFIG QUIET)
find_package(xtensor 0.25 CONFIG QUIET)

# Emscripten's toolchain confines find_package to its sysroot, so the local
# prefix is wired in directly rather than through CMAKE_PREFIX_PATH.
function(attnscope_local_header_target target header)
  if(TARGET ${target})
    return()
  endif()
  if(NOT EXISTS "${ATTNSCOPE_DEPS_PREFIX}/include/${header}")
    message(FATAL_ERROR "${target} not found: install it, or run scripts/setup.sh to fetch it into "
                        "${ATTNSCOPE_DEPS_PREFIX}")
  endif()
  add_library(${target} INTERFACE IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${ATTNSCOPE_DEPS_PREFIX}/include")
  message(STATUS "${target}: headers from ${ATTNSCOPE_DEPS_PREFIX}/include")
endfunction()

if(xsimd_FOUND AND xsimd_VERSION VERSION_GREATER_EQUAL 13)
  message(STATUS "xsimd ${xsimd_VERSION}: ${xsimd_DIR}")
else()
  attnscope_local_header_target(xsimd xsimd/xsimd.hpp)
endif()
if(NOT xtensor_FOUND)
  attnscope_local_header_target(xtl xtl/xtl_config.hpp)
  attnscope_local_header_target(xtensor xtensor/xtensor.hpp)
  set_property(TARGET xtensor APPEND PROPERTY INTERFACE_LINK_LIBRARIES xtl xsimd)
else()
  message(STATUS "xtensor ${xtensor_VERSION}: ${xtensor_DIR}")
endif()
