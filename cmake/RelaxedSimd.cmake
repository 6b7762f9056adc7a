# The relaxed-SIMD wasm build (ATTNSCOPE_WASM_RELAXED_SIMD): the same code
# with f32x4.relaxed_madd in kernels::madd.
#   - clang < 16 emits the pre-standard opcode for it; every linked .wasm goes
#     through scripts/wasm-relaxed.mjs, which rewrites it to the final one.
#   - Node < 22 runs relaxed SIMD only behind a V8 flag: tests pass it when
#     this Node knows it (ATTNSCOPE_NODE_WASM_FLAGS).
find_program(ATTNSCOPE_NODE NAMES node REQUIRED)
execute_process(COMMAND ${ATTNSCOPE_NODE} --v8-options OUTPUT_VARIABLE _attnscope_v8_options ERROR_QUIET)
set(ATTNSCOPE_NODE_WASM_FLAGS "")
if(_attnscope_v8_options MATCHES "experimental-wasm-relaxed-simd")
  set(ATTNSCOPE_NODE_WASM_FLAGS --experimental-wasm-relaxed-simd)
endif()

# clang < 16 must have emitted legacy opcodes (kernels::madd): finding none means the build is wrong.
set(_attnscope_expect "")
if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 16)
  set(_attnscope_expect --expect-some)
endif()

# Rewrites the legacy relaxed-SIMD opcodes of `wasm` (a file `target` links) after each link.
function(attnscope_relaxed_wasm target wasm)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${ATTNSCOPE_NODE} ${PROJECT_SOURCE_DIR}/scripts/wasm-relaxed.mjs ${_attnscope_expect} ${wasm}
    VERBATIM)
endfunction()
