#include "tokenizer/vocab.hpp"

#include "tokenizer/pipeline.hpp"

namespace attnscope::tokenizer {

ATTNSCOPE_TOKENIZER_COLD void Vocab::index() {
  ids_.clear();
  ids_.reserve(tokens_.size());
  for (std::size_t i = 0; i < tokens_.size(); ++i) ids_[tokens_[i]] = static_cast<std::int32_t>(i);
}

ATTNSCOPE_TOKENIZER_COLD Vocab Vocab::from_list(std::vector<std::string> tokens) {
  Vocab v;
  v.tokens_ = std::move(tokens);
  v.index();
  return v;
}

ATTNSCOPE_TOKENIZER_COLD Result<Vocab> Vocab::from_json(const json::Value& object, std::string_view where) {
  if (!object.is_object()) return error(Code::kParseError, {where, ": vocab must be an object of token: id"});
  const json::Object& members = object.as_object();
  const std::size_t n = members.size();
  if (n > kMaxVocab)
    return error(Code::kTooLarge, {where, ": vocab has ", std::to_string(n), " entries, above the limit of ",
                                   std::to_string(kMaxVocab)});
  Vocab v;
  v.tokens_.resize(n);
  std::vector<bool> seen(n, false);
  for (const auto& [token, id] : members) {
    if (!id.is_index() || id.as_number() >= static_cast<double>(n))
      return error(Code::kParseError, {where, ": vocab id of ", quoted(token), " is not an integer in [0, ",
                                       std::to_string(n), ")"});
    const auto i = static_cast<std::size_t>(id.as_number());
    if (seen[i])
      return error(Code::kParseError, {where, ": vocab id ", std::to_string(i), " is used twice (again by ",
                                       quoted(token), ")"});
    seen[i] = true;
    v.tokens_[i] = token;
  }
  v.index();
  return v;
}

}  // namespace attnscope::tokenizer
