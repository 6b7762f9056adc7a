// The pre-tokenizer.json file formats: GPT-2's vocab.json + merges.txt and
// BERT's vocab.txt.
#include <string>
#include <utility>
#include <vector>

#include "io/json.hpp"
#include "tokenizer/byte_level_bpe.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/unicode.hpp"
#include "tokenizer/wordpiece.hpp"

namespace attnscope::tokenizer {
namespace {

// Lines without their "\n" or "\r\n"; no empty last line after a final newline.
ATTNSCOPE_TOKENIZER_COLD std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    pos = nl + 1;
  }
  return lines;
}

}  // namespace

ATTNSCOPE_TOKENIZER_COLD Result<std::unique_ptr<Tokenizer>> load_gpt2_files(std::string_view vocab_json,
                                                                            std::string_view merges_txt) {
  auto doc = json::parse(vocab_json);
  if (!doc) return error(doc.status().code(), {"vocab.json: ", doc.status().message()});
  auto vocab = Vocab::from_json(doc.value(), "vocab.json");
  if (!vocab) return vocab.status();

  std::vector<std::pair<std::string, std::string>> merges;
  const std::vector<std::string_view> lines = split_lines(merges_txt);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (i == 0 && line.substr(0, 8) == "#version") continue;
    if (line.empty()) continue;
    // "a b" with exactly one space, as Hugging Face reads it.
    const std::size_t sp = line.find(' ');
    if (sp == 0 || sp == std::string_view::npos || sp + 1 == line.size() ||
        line.find(' ', sp + 1) != std::string_view::npos)
      return error(Code::kParseError, {"merges.txt: line ", std::to_string(i + 1), " is not \"a b\""});
    merges.emplace_back(std::string(line.substr(0, sp)), std::string(line.substr(sp + 1)));
  }
  // GPT2Tokenizer's eos/bos/unk, matched in text as a special token.
  const std::int32_t eot = vocab.value().find("<|endoftext|>");
  auto bpe = ByteLevelBpe::create(std::move(vocab).value(), merges, ByteLevelOptions{});
  if (!bpe) return error(Code::kParseError, {"merges.txt: ", bpe.status().message()});
  if (eot >= 0) ATTNSCOPE_RETURN_IF_ERROR(bpe.value()->set_added_tokens({AddedToken{"<|endoftext|>", eot}}));
  return std::unique_ptr<Tokenizer>(std::move(bpe).value());
}

ATTNSCOPE_TOKENIZER_COLD Result<std::unique_ptr<Tokenizer>> load_bert_vocab(std::string_view vocab_txt,
                                                                            bool lowercase) {
  std::vector<std::string> tokens;
  for (const std::string_view line : split_lines(vocab_txt)) {
    if (tokens.size() >= kMaxVocab)
      return error(Code::kTooLarge, {"vocab.txt has more than ", std::to_string(kMaxVocab), " lines"});
    tokens.emplace_back(line);
  }
  if (tokens.empty()) return error(Code::kParseError, {"vocab.txt is empty"});
  Vocab vocab = Vocab::from_list(std::move(tokens));
  WordPieceOptions options;
  options.unk_id = vocab.find("[UNK]");
  if (options.unk_id < 0) return error(Code::kParseError, {"vocab.txt has no [UNK] token"});
  options.normalizer.lowercase = lowercase;
  options.normalizer.strip_accents = lowercase;
  std::vector<AddedToken> added;
  for (const char* name : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
    const std::int32_t id = vocab.find(name);
    if (id >= 0) added.push_back({name, id});
  }
  Template tmpl;
  const std::int32_t cls = vocab.find("[CLS]"), sep = vocab.find("[SEP]");
  if (cls >= 0 && sep >= 0) tmpl = {{cls}, {sep}};
  auto wp = WordPiece::create(std::move(vocab), options);
  if (!wp) return error(Code::kParseError, {"vocab.txt: ", wp.status().message()});
  ATTNSCOPE_RETURN_IF_ERROR(wp.value()->set_added_tokens(std::move(added)));
  wp.value()->set_template(std::move(tmpl));
  return std::unique_ptr<Tokenizer>(std::move(wp).value());
}

}  // namespace attnscope::tokenizer
