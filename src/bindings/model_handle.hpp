// A loaded model as the JS layer sees it: load from config text, a weights
// Buffer and tokenizer files; run text; report what it is.
#pragma once

#include <emscripten/val.h>

#include <memory>

#include "bindings/buffer.hpp"
#include "model/pipeline.hpp"

namespace attnscope::bindings {

class ModelHandle {
 public:
  // tokenizer: { kind: 'tokenizer.json' | 'gpt2-files' | 'bert-vocab', files: Uint8Array[] , lowercase?: bool
  // } Returns { ok } or an error value; on error the handle stays empty.
  val load(const val& config, const Buffer& weights, const val& tokenizer);
  // text: UTF-8 bytes (Uint8Array). opts: { hiddenStates, useCache, addSpecialTokens }.
  val run(const std::string& text, const val& opts);
  // ids: Int32Array/array of token ids; for callers with their own tokenizer.
  val runIds(const val& ids, const val& opts);
  val info() const;
  void clearCache();

 private:
  std::unique_ptr<model::Pipeline> pipeline_;
};

}  // namespace attnscope::bindings
