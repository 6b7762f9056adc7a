// load_tokenizer_json: Hugging Face's tokenizer.json, for the components
// GPT-2 and BERT checkpoints use. Anything else is refused by name rather
// than tokenized differently from Hugging Face.
#include <string>
#include <utility>
#include <vector>

#include "io/json.hpp"
#include "tokenizer/byte_level_bpe.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/wordpiece.hpp"

namespace attnscope::tokenizer {
namespace {

constexpr std::string_view kFile = "tokenizer.json: ";

ATTNSCOPE_TOKENIZER_COLD Status parse_error(std::initializer_list<std::string_view> what) {
  std::string m;
  for (const std::string_view p : what) m.append(p);
  return error(Code::kParseError, {kFile, m});
}
ATTNSCOPE_TOKENIZER_COLD Status unsupported(std::string_view what, std::string_view name = {}) {
  return error(Code::kUnsupported,
               {kFile, what, name.empty() ? "" : " ", name.empty() ? "" : quoted(name), " is not supported"});
}
ATTNSCOPE_TOKENIZER_COLD Status type_error(std::string_view key, std::string_view expected) {
  return error(Code::kParseError, {kFile, key, " must be ", expected});
}

// The members below are optional: absent or null keeps *out as it is; any
// other type is an error naming where.key.
ATTNSCOPE_TOKENIZER_COLD Status get(const json::Value& obj, std::string_view where, std::string_view key,
                                    bool* out) {
  const json::Value* v = obj.find(key);
  if (!v || v->is_null()) return Status::ok();
  if (!v->is_bool()) return type_error(std::string(where) + "." + std::string(key), "a boolean");
  *out = v->as_bool();
  return Status::ok();
}
ATTNSCOPE_TOKENIZER_COLD Status get(const json::Value& obj, std::string_view where, std::string_view key,
                                    std::string* out) {
  const json::Value* v = obj.find(key);
  if (!v || v->is_null()) return Status::ok();
  if (!v->is_string()) return type_error(std::string(where) + "." + std::string(key), "a string");
  *out = v->as_string();
  return Status::ok();
}
// An id: an integer in [0, 2^31).
bool as_id(const json::Value& v, std::int32_t* out) {
  if (!v.is_index() || v.as_number() > 2147483647.0) return false;
  *out = static_cast<std::int32_t>(v.as_number());
  return true;
}

// A component's "type", or "" when the component is null or absent.
ATTNSCOPE_TOKENIZER_COLD Status component_type(const json::Value& root, std::string_view name,
                                               std::string* type) {
  type->clear();
  const json::Value* v = root.find(name);
  if (!v || v->is_null()) return Status::ok();
  const json::Value* t = v->find("type");
  if (!v->is_object() || !t || !t->is_string())
    return parse_error({name, " must be null or an object with a \"type\""});
  *type = t->as_string();
  return Status::ok();
}

ATTNSCOPE_TOKENIZER_COLD Status parse_merges(const json::Value& model,
                                             std::vector<std::pair<std::string, std::string>>& merges) {
  const json::Value* m = model.find("merges");
  if (!m || !m->is_array()) return type_error("model.merges", "an array");
  merges.reserve(m->as_array().size());
  for (std::size_t i = 0; i < m->as_array().size(); ++i) {
    const json::Value& e = m->as_array()[i];
    std::string_view a, b;
    if (e.is_string()) {
      // "a b": exactly one space, as Hugging Face requires.
      const std::string_view s = e.as_string();
      const std::size_t sp = s.find(' ');
      if (sp != std::string_view::npos && s.find(' ', sp + 1) == std::string_view::npos) {
        a = s.substr(0, sp);
        b = s.substr(sp + 1);
      }
    } else if (e.is_array() && e.as_array().size() == 2) {
      a = e.as_array()[0].as_string();  // "" unless a string
      b = e.as_array()[1].as_string();
    }
    if (a.empty() || b.empty())
      return parse_error({"merge ", std::to_string(i + 1), " must be \"a b\" or [\"a\", \"b\"]"});
    merges.emplace_back(a, b);
  }
  return Status::ok();
}

ATTNSCOPE_TOKENIZER_COLD Status parse_added_tokens(const json::Value& root, std::vector<AddedToken>& out) {
  const json::Value* list = root.find("added_tokens");
  if (!list || list->is_null()) return Status::ok();
  if (!list->is_array()) return type_error("added_tokens", "an array");
  for (const json::Value& e : list->as_array()) {
    AddedToken t;
    const json::Value* id = e.find("id");
    const json::Value* content = e.find("content");
    if (!id || !as_id(*id, &t.id)) return type_error("added_tokens[].id", "a non-negative integer");
    if (!content || !content->is_string()) return type_error("added_tokens[].content", "a string");
    t.content = content->as_string();
    t.special = false;
    for (const auto& [key, flag] : {std::pair<const char*, bool*>{"special", &t.special},
                                    {"single_word", &t.single_word},
                                    {"lstrip", &t.lstrip},
                                    {"rstrip", &t.rstrip}})
      ATTNSCOPE_RETURN_IF_ERROR(get(e, "added_tokens[]", key, flag));
    out.push_back(std::move(t));
  }
  return Status::ok();
}

// TemplateProcessing's "single": special tokens around the sequence "A".
ATTNSCOPE_TOKENIZER_COLD Status template_from_processing(const json::Value& proc, Template& out) {
  const json::Value* single = proc.find("single");
  const json::Value* specials = proc.find("special_tokens");
  if (!single || !single->is_array()) return type_error("post_processor.single", "an array");
  bool seen_sequence = false;
  for (const json::Value& item : single->as_array()) {
    if (const json::Value* seq = item.find("Sequence")) {
      const json::Value* id = seq->find("id");
      if (seen_sequence || !id || id->as_string() != "A")
        return parse_error({"post_processor.single must hold the sequence \"A\" once"});
      seen_sequence = true;
      continue;
    }
    const json::Value* sp = item.find("SpecialToken");
    const json::Value* name = sp ? sp->find("id") : nullptr;
    if (!name || !name->is_string())
      return parse_error(
          {"post_processor.single items must be {\"Sequence\": ...} or {\"SpecialToken\": ...}"});
    const json::Value* entry = specials ? specials->find(name->as_string()) : nullptr;
    const json::Value* ids = entry ? entry->find("ids") : nullptr;
    if (!ids || !ids->is_array())
      return parse_error({"post_processor.special_tokens has no ids for ", quoted(name->as_string())});
    for (const json::Value& v : ids->as_array()) {
      std::int32_t id;
      if (!as_id(v, &id)) return type_error("post_processor.special_tokens[].ids[]", "non-negative integers");
      (seen_sequence ? out.suffix : out.prefix).push_back(id);
    }
  }
  if (!seen_sequence) return parse_error({"post_processor.single has no sequence \"A\""});
  return Status::ok();
}

// Post-processors: only the single-sequence template matters here.
ATTNSCOPE_TOKENIZER_COLD Status parse_post_processor(const json::Value* proc, Template& out,
                                                     bool nested = false) {
  if (!proc || proc->is_null()) return Status::ok();
  const json::Value* type = proc->find("type");
  if (!type || !type->is_string()) return parse_error({"post_processor has no \"type\""});
  const std::string& t = type->as_string();
  if (t == "ByteLevel") return Status::ok();  // offsets only
  if (t == "TemplateProcessing") return template_from_processing(*proc, out);
  if (t == "BertProcessing" || t == "RobertaProcessing") {
    std::int32_t ids[2];
    const char* keys[2] = {"cls", "sep"};
    for (int k = 0; k < 2; ++k) {
      const json::Value* v = proc->find(keys[k]);
      if (!v || v->as_array().size() != 2 || !v->as_array()[0].is_string() ||
          !as_id(v->as_array()[1], &ids[k]))
        return type_error(std::string("post_processor.") + keys[k], "[\"token\", id]");
    }
    out.prefix = {ids[0]};
    out.suffix = {ids[1]};
    return Status::ok();
  }
  if (t == "Sequence" && !nested) {
    const json::Value* list = proc->find("processors");
    if (!list || !list->is_array()) return type_error("post_processor.processors", "an array");
    for (const json::Value& p : list->as_array())
      ATTNSCOPE_RETURN_IF_ERROR(parse_post_processor(&p, out, true));
    return Status::ok();
  }
  return unsupported("post_processor", t);
}

ATTNSCOPE_TOKENIZER_COLD Status parse_vocab(const json::Value& model, Vocab& vocab) {
  const json::Value* v = model.find("vocab");
  if (!v) return parse_error({"model has no vocab"});
  auto r = Vocab::from_json(*v, "tokenizer.json: model");
  if (!r) return r.status();
  vocab = std::move(r).value();
  return Status::ok();
}

ATTNSCOPE_TOKENIZER_COLD Status load_bpe(const json::Value& root, const json::Value& model,
                                         std::unique_ptr<PipelineTokenizer>& out) {
  std::string normalizer, pre, decoder;
  ATTNSCOPE_RETURN_IF_ERROR(component_type(root, "normalizer", &normalizer));
  ATTNSCOPE_RETURN_IF_ERROR(component_type(root, "pre_tokenizer", &pre));
  ATTNSCOPE_RETURN_IF_ERROR(component_type(root, "decoder", &decoder));
  if (!normalizer.empty()) return unsupported("BPE with the normalizer", normalizer);
  if (pre != "ByteLevel")
    return error(Code::kUnsupported,
                 {kFile, "BPE needs the ByteLevel pre_tokenizer, not ", pre.empty() ? "none" : quoted(pre)});
  if (!decoder.empty() && decoder != "ByteLevel") return unsupported("BPE with the decoder", decoder);

  ByteLevelOptions options;
  options.add_prefix_space = true;  // Hugging Face's default
  bool byte_fallback = false;
  std::string prefix, suffix, unk;
  const json::Value& p = *root.find("pre_tokenizer");
  ATTNSCOPE_RETURN_IF_ERROR(get(p, "pre_tokenizer", "add_prefix_space", &options.add_prefix_space));
  ATTNSCOPE_RETURN_IF_ERROR(get(p, "pre_tokenizer", "use_regex", &options.use_regex));
  ATTNSCOPE_RETURN_IF_ERROR(get(model, "model", "ignore_merges", &options.ignore_merges));
  ATTNSCOPE_RETURN_IF_ERROR(get(model, "model", "fuse_unk", &options.fuse_unk));
  ATTNSCOPE_RETURN_IF_ERROR(get(model, "model", "byte_fallback", &byte_fallback));
  ATTNSCOPE_RETURN_IF_ERROR(get(model, "model", "continuing_subword_prefix", &prefix));
  ATTNSCOPE_RETURN_IF_ERROR(get(model, "model", "end_of_word_suffix", &suffix));
  ATTNSCOPE_RETURN_IF_ERROR(get(model, "model", "unk_token", &unk));
  if (byte_fallback) return unsupported("BPE byte_fallback");
  const json::Value* dropout = model.find("dropout");
  if (dropout && !dropout->is_null() && !(dropout->is_number() && dropout->as_number() == 0.0))
    return unsupported("BPE dropout");
  if (!prefix.empty()) return unsupported("BPE continuing_subword_prefix");
  if (!suffix.empty()) return unsupported("BPE end_of_word_suffix");

  Vocab vocab;
  ATTNSCOPE_RETURN_IF_ERROR(parse_vocab(model, vocab));
  if (!unk.empty() && (options.unk_id = vocab.find(unk)) < 0)
    return parse_error({"model.unk_token ", quoted(unk), " is not in the vocab"});
  std::vector<std::pair<std::string, std::string>> merges;
  ATTNSCOPE_RETURN_IF_ERROR(parse_merges(model, merges));
  auto bpe = ByteLevelBpe::create(std::move(vocab), merges, options);
  if (!bpe) return parse_error({bpe.status().message()});
  out = std::move(bpe).value();
  return Status::ok();
}

ATTNSCOPE_TOKENIZER_COLD Status load_wordpiece(const json::Value& root, const json::Value& model,
                                               std::unique_ptr<PipelineTokenizer>& out) {
  std::string normalizer, pre, decoder;
  ATTNSCOPE_RETURN_IF_ERROR(component_type(root, "normalizer", &normalizer));
  ATTNSCOPE_RETURN_IF_ERROR(component_type(root, "pre_tokenizer", &pre));
  ATTNSCOPE_RETURN_IF_ERROR(component_type(root, "decoder", &decoder));
  if (!normalizer.empty() && normalizer != "BertNormalizer")
    return unsupported("WordPiece with the normalizer", normalizer);
  if (pre != "BertPreTokenizer")
    return error(Code::kUnsupported,
                 {kFile, "WordPiece needs the BertPreTokenizer, not ", pre.empty() ? "none" : quoted(pre)});
  if (!decoder.empty() && decoder != "WordPiece") return unsupported("WordPiece with the decoder", decoder);

  WordPieceOptions options;
  options.normalize = !normalizer.empty();
  if (options.normalize) {
    const json::Value& n = *root.find("normalizer");
    BertNormalizerOptions& o = options.normalizer;
    ATTNSCOPE_RETURN_IF_ERROR(get(n, "normalizer", "clean_text", &o.clean_text));
    ATTNSCOPE_RETURN_IF_ERROR(get(n, "normalizer", "handle_chinese_chars", &o.handle_chinese_chars));
    ATTNSCOPE_RETURN_IF_ERROR(get(n, "normalizer", "lowercase", &o.lowercase));
    o.strip_accents = o.lowercase;  // null: follows lowercase
    ATTNSCOPE_RETURN_IF_ERROR(get(n, "normalizer", "strip_accents", &o.strip_accents));
  }
  options.wordpiece_decoder = !decoder.empty();
  if (options.wordpiece_decoder) {
    const json::Value& d = *root.find("decoder");
    ATTNSCOPE_RETURN_IF_ERROR(get(d, "decoder", "prefix", &options.decoder_prefix));
    ATTNSCOPE_RETURN_IF_ERROR(get(d, "decoder", "cleanup", &options.decoder_cleanup));
  }
  std::string unk = "[UNK]";
  ATTNSCOPE_RETURN_IF_ERROR(get(model, "model", "unk_token", &unk));
  ATTNSCOPE_RETURN_IF_ERROR(get(model, "model", "continuing_subword_prefix", &options.prefix));
  if (const json::Value* m = model.find("max_input_chars_per_word"); m && !m->is_null()) {
    std::int32_t max;
    if (!as_id(*m, &max)) return type_error("model.max_input_chars_per_word", "a non-negative integer");
    options.max_input_chars_per_word = static_cast<std::size_t>(max);
  }
  Vocab vocab;
  ATTNSCOPE_RETURN_IF_ERROR(parse_vocab(model, vocab));
  if ((options.unk_id = vocab.find(unk)) < 0)
    return parse_error({"model.unk_token ", quoted(unk), " is not in the vocab"});
  auto wp = WordPiece::create(std::move(vocab), options);
  if (!wp) return parse_error({wp.status().message()});
  out = std::move(wp).value();
  return Status::ok();
}

ATTNSCOPE_TOKENIZER_COLD Status load(std::string_view text, std::unique_ptr<PipelineTokenizer>& tok) {
  auto doc = json::parse(text);
  if (!doc) return error(doc.status().code(), {kFile, doc.status().message()});
  const json::Value& root = doc.value();
  if (!root.is_object()) return parse_error({"the document is not an object"});
  const json::Value* model = root.find("model");
  if (!model || !model->is_object()) return parse_error({"missing \"model\""});
  std::string type;
  if (const json::Value* t = model->find("type")) {
    if (!t->is_string()) return type_error("model.type", "a string");
    type = t->as_string();
  } else if (model->find("merges")) {
    type = "BPE";  // files from before models were tagged
  } else if (model->find("max_input_chars_per_word")) {
    type = "WordPiece";
  }
  if (type == "BPE")
    ATTNSCOPE_RETURN_IF_ERROR(load_bpe(root, *model, tok));
  else if (type == "WordPiece")
    ATTNSCOPE_RETURN_IF_ERROR(load_wordpiece(root, *model, tok));
  else
    return unsupported("model type", type);

  std::vector<AddedToken> added;
  ATTNSCOPE_RETURN_IF_ERROR(parse_added_tokens(root, added));
  const Status st = tok->set_added_tokens(std::move(added));
  if (!st) return parse_error({st.message()});
  Template tmpl;
  ATTNSCOPE_RETURN_IF_ERROR(parse_post_processor(root.find("post_processor"), tmpl));
  for (const std::vector<std::int32_t>* ids : {&tmpl.prefix, &tmpl.suffix})
    for (const std::int32_t id : *ids)
      if (static_cast<std::size_t>(id) >= tok->vocab_size())
        return parse_error({"post_processor refers to id ", std::to_string(id), ", outside the vocab"});
  tok->set_template(std::move(tmpl));
  return Status::ok();
}

}  // namespace

ATTNSCOPE_TOKENIZER_COLD Result<std::unique_ptr<Tokenizer>> load_tokenizer_json(std::string_view json) {
  std::unique_ptr<PipelineTokenizer> tok;
  ATTNSCOPE_RETURN_IF_ERROR(load(json, tok));
  return std::unique_ptr<Tokenizer>(std::move(tok));
}

}  // namespace attnscope::tokenizer
