// A token <-> id table shared by the models and loaders.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.hpp"
#include "io/json.hpp"

namespace attnscope::tokenizer {

// Vocabularies above this many entries are refused (GPT-2 has 50,257; the
// largest common BPE vocabularies are ~260k).
constexpr std::size_t kMaxVocab = std::size_t{1} << 21;

class Vocab {
 public:
  Vocab() = default;
  // Move-only: the lookup table holds views into tokens_.
  Vocab(Vocab&&) = default;
  Vocab& operator=(Vocab&&) = default;
  Vocab(const Vocab&) = delete;
  Vocab& operator=(const Vocab&) = delete;

  // tokens[id] = token; a repeated token maps to its last id.
  static Vocab from_list(std::vector<std::string> tokens);
  // {"token": id, ...}: ids must be distinct and within [0, size).
  static Result<Vocab> from_json(const json::Value& object, std::string_view where);

  std::size_t size() const { return tokens_.size(); }
  const std::string& token(std::int32_t id) const { return tokens_[static_cast<std::size_t>(id)]; }
  bool contains_id(std::int32_t id) const { return id >= 0 && static_cast<std::size_t>(id) < tokens_.size(); }
  // -1 when absent.
  std::int32_t find(std::string_view token) const {
    const auto it = ids_.find(token);
    return it == ids_.end() ? -1 : it->second;
  }

 private:
  void index();
  std::vector<std::string> tokens_;
  std::unordered_map<std::string_view, std::int32_t> ids_;
};

}  // namespace attnscope::tokenizer
