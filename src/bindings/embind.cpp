// embind surface of the wasm module. The TypeScript layer (src/js) is the
// public API; the handles only convert. Each JS engine owns one `Core`; there
// is no global state.
#include <emscripten/bind.h>
#include <emscripten/heap.h>

#include <malloc.h>
#include <cstdlib>

#include "bindings/buffer.hpp"
#include "bindings/core_handle.hpp"
#include "bindings/layer_handle.hpp"
#include "bindings/model_handle.hpp"
#include "kernels/arch.hpp"

namespace attnscope::bindings {
namespace {

// Bytes malloc has handed out and not taken back: the leak tests' measure.
double heap_used() {
  return static_cast<double>(mallinfo().uordblks);
}
double heap_size() {
  return static_cast<double>(emscripten_get_heap_size());
}
std::string arch() {
  return kernels::arch_name();
}

}  // namespace
}  // namespace attnscope::bindings

EMSCRIPTEN_BINDINGS(attnscope) {
  using namespace attnscope::bindings;
  emscripten::class_<CoreHandle>("Core")
      .constructor<>()
      .function("header", &CoreHandle::header)
      .function("stage", &CoreHandle::stage)
      .function("attention", &CoreHandle::attention)
      .function("lastError", &CoreHandle::last_error)
      .function("release", &CoreHandle::release)
      .class_function("attentionLayout", &CoreHandle::attention_layout);
  emscripten::class_<LayerHandle>("Layer")
      .constructor<>()
      .function("load", &LayerHandle::load)
      .function("run", &LayerHandle::run);
  emscripten::class_<Buffer>("Buffer")
      .constructor<double>()
      .function("ok", &Buffer::ok)
      .function("size", &Buffer::size)
      .function("write", &Buffer::write)
      .function("release", &Buffer::release);
  emscripten::class_<ModelHandle>("Model")
      .constructor<>()
      .function("load", &ModelHandle::load)
      .function("run", &ModelHandle::run)
      .function("runIds", &ModelHandle::runIds)
      .function("info", &ModelHandle::info)
      .function("clearCache", &ModelHandle::clearCache);
  emscripten::function("heapUsed", &heap_used);
  emscripten::function("heapSize", &heap_size);
  emscripten::function("simdArch", &arch);
}
