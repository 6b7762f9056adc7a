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

constexpr std::string_view kWhere = "tokenizer.json";

Status parse_error(const std::string& what) {
  return {Code::kParseError, std::string(kWhere) + ": " + what};
}
Status unsupported(const std::string& what) {
  return {Code::kUnsupported, std::string(kWhere) + ": " + what + " is not supported"};
}

// A component's "type", or "" when the component is null or absent.
Result<std::string> component_type(const json::Value& root, std::string_view name) {
  const json::Value* v = root.find(name);
  if (!v || v->is_null()) return std::string();
  if (!v->is_object()) return Status(json::type_error(kWhere, name, "an object or null"));
  const json::Value* t = v->find("type");
  if (!t || !t->is_string()) return Status(parse_error(std::string(name) + " has no \"type\""));
  return t->as_string();
}

// Optional booleans/strings/numbers of a component: absent or null gives the
// default; any other type is an error.
Result<bool> get_bool(const json::Value& obj, std::string_view key, bool fallback, std::string_view where) {
  const json::Value* v = obj.find(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_bool()) return Status(json::type_error(where, key, "a boolean"));
  return v->as_bool();
}
Result<std::string> get_string(const json::Value& obj, std::string_view key, std::string fallback,
                               std::string_view where) {
  const json::Value* v = obj.find(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_string()) return Status(json::type_error(where, key, "a string"));
  return v->as_string();
}

#define TOK_ASSIGN_OR_RETURN(lhs, expr) \
  do {                                  \
    auto _r = (expr);                   \
    if (!_r) return _r.status();        \
    lhs = std::move(_r).value();        \
  } while (0)

Result<std::vector<std::pair<std::string, std::string>>> parse_merges(const json::Value& model) {
  const json::Value* m = model.find("merges");
  if (!m || !m->is_array()) return Status(json::type_error(kWhere, "model.merges", "an array"));
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(m->as_array().size());
  for (std::size_t i = 0; i < m->as_array().size(); ++i) {
    const json::Value& e = m->as_array()[i];
    if (e.is_string()) {
      // "a b": exactly one space, as Hugging Face requires.
      const std::string& s = e.as_string();
      const std::size_t sp = s.find(' ');
      if (sp != std::string::npos && sp > 0 && sp + 1 < s.size() &&
          s.find(' ', sp + 1) == std::string::npos) {
        merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
        continue;
      }
    } else if (e.is_array() && e.as_array().size() == 2 && e.as_array()[0].is_string() &&
               e.as_array()[1].is_string() && !e.as_array()[0].as_string().empty() &&
               !e.as_array()[1].as_string().empty()) {
      merges.emplace_back(e.as_array()[0].as_string(), e.as_array()[1].as_string());
      continue;
    }
    return Status(parse_error("merge " + std::to_string(i + 1) + " must be \"a b\" or [\"a\", \"b\"]"));
  }
  return merges;
}

Result<std::vector<AddedToken>> parse_added_tokens(const json::Value& root) {
  std::vector<AddedToken> out;
  const json::Value* list = root.find("added_tokens");
  if (!list || list->is_null()) return out;
  if (!list->is_array()) return Status(json::type_error(kWhere, "added_tokens", "an array"));
  for (const json::Value& e : list->as_array()) {
    if (!e.is_object()) return Status(json::type_error(kWhere, "added_tokens[]", "an object"));
    const json::Value* id = e.find("id");
    const json::Value* content = e.find("content");
    if (!id || !id->is_index() || id->as_number() > 2147483647.0)
      return Status(json::type_error(kWhere, "added_tokens[].id", "a non-negative integer"));
    if (!content || !content->is_string())
      return Status(json::type_error(kWhere, "added_tokens[].content", "a string"));
    AddedToken t;
    t.id = static_cast<std::int32_t>(id->as_number());
    t.content = content->as_string();
    TOK_ASSIGN_OR_RETURN(t.special, get_bool(e, "special", false, "tokenizer.json: added_tokens[]"));
    TOK_ASSIGN_OR_RETURN(t.single_word, get_bool(e, "single_word", false, "tokenizer.json: added_tokens[]"));
    TOK_ASSIGN_OR_RETURN(t.lstrip, get_bool(e, "lstrip", false, "tokenizer.json: added_tokens[]"));
    TOK_ASSIGN_OR_RETURN(t.rstrip, get_bool(e, "rstrip", false, "tokenizer.json: added_tokens[]"));
    out.push_back(std::move(t));
  }
  return out;
}

// Resolves a post-processor token reference ([token, id] or a token name).
Result<std::int32_t> processor_pair(const json::Value& proc, std::string_view key) {
  const json::Value* v = proc.find(key);
  if (!v || !v->is_array() || v->as_array().size() != 2 || !v->as_array()[0].is_string() ||
      !v->as_array()[1].is_index() || v->as_array()[1].as_number() > 2147483647.0)
    return Status(json::type_error(kWhere, "post_processor." + std::string(key), "[\"token\", id]"));
  return static_cast<std::int32_t>(v->as_array()[1].as_number());
}

Status template_from_processing(const json::Value& proc, Template& out) {
  const json::Value* single = proc.find("single");
  const json::Value* specials = proc.find("special_tokens");
  if (!single || !single->is_array()) return json::type_error(kWhere, "post_processor.single", "an array");
  bool seen_sequence = false;
  for (const json::Value& item : single->as_array()) {
    if (const json::Value* seq = item.find("Sequence")) {
      const json::Value* id = seq->find("id");
      if (seen_sequence || !id || id->as_string() != "A")
        return parse_error("post_processor.single must hold the sequence \"A\" once");
      seen_sequence = true;
      continue;
    }
    const json::Value* sp = item.find("SpecialToken");
    const json::Value* name = sp ? sp->find("id") : nullptr;
    if (!name || !name->is_string())
      return parse_error(
          "post_processor.single items must be {\"Sequence\": ...} or {\"SpecialToken\": ...}");
    const json::Value* entry = specials ? specials->find(name->as_string()) : nullptr;
    const json::Value* ids = entry ? entry->find("ids") : nullptr;
    if (!ids || !ids->is_array())
      return parse_error("post_processor.special_tokens has no ids for \"" + name->as_string().substr(0, 64) +
                         "\"");
    for (const json::Value& id : ids->as_array()) {
      if (!id.is_index() || id.as_number() > 2147483647.0)
        return json::type_error(kWhere, "post_processor.special_tokens[].ids[]", "a non-negative integer");
      (seen_sequence ? out.suffix : out.prefix).push_back(static_cast<std::int32_t>(id.as_number()));
    }
  }
  if (!seen_sequence) return parse_error("post_processor.single has no sequence \"A\"");
  return Status::ok();
}

// Post-processors: only the single-sequence template matters here.
Status parse_post_processor(const json::Value* proc, Template& out, int depth = 0) {
  if (!proc || proc->is_null()) return Status::ok();
  const json::Value* type = proc->find("type");
  if (!type || !type->is_string()) return parse_error("post_processor has no \"type\"");
  const std::string& t = type->as_string();
  if (t == "ByteLevel") return Status::ok();  // offsets only
  if (t == "TemplateProcessing") return template_from_processing(*proc, out);
  if (t == "BertProcessing" || t == "RobertaProcessing") {
    auto cls = processor_pair(*proc, "cls");
    if (!cls) return cls.status();
    auto sep = processor_pair(*proc, "sep");
    if (!sep) return sep.status();
    out.prefix = {cls.value()};
    out.suffix = {sep.value()};
    return Status::ok();
  }
  if (t == "Sequence" && depth == 0) {
    const json::Value* list = proc->find("processors");
    if (!list || !list->is_array()) return json::type_error(kWhere, "post_processor.processors", "an array");
    for (const json::Value& p : list->as_array()) ATTNSCOPE_RETURN_IF_ERROR(parse_post_processor(&p, out, 1));
    return Status::ok();
  }
  return unsupported("post_processor \"" + t.substr(0, 64) + "\"");
}

Result<Vocab> parse_vocab(const json::Value& model) {
  const json::Value* v = model.find("vocab");
  if (!v) return Status(parse_error("model has no vocab"));
  return Vocab::from_json(*v, "tokenizer.json: model");
}

Result<std::unique_ptr<PipelineTokenizer>> load_bpe(const json::Value& root, const json::Value& model) {
  std::string normalizer, pre, decoder;
  TOK_ASSIGN_OR_RETURN(normalizer, component_type(root, "normalizer"));
  TOK_ASSIGN_OR_RETURN(pre, component_type(root, "pre_tokenizer"));
  TOK_ASSIGN_OR_RETURN(decoder, component_type(root, "decoder"));
  if (!normalizer.empty())
    return Status(unsupported("normalizer \"" + normalizer.substr(0, 64) + "\" with BPE"));
  if (pre != "ByteLevel")
    return Status(unsupported("BPE without a ByteLevel pre_tokenizer (" +
                              (pre.empty() ? std::string("none") : "\"" + pre.substr(0, 64) + "\"") + ")"));
  if (!decoder.empty() && decoder != "ByteLevel")
    return Status(unsupported("decoder \"" + decoder.substr(0, 64) + "\" with BPE"));

  const json::Value& p = *root.find("pre_tokenizer");
  constexpr std::string_view kPre = "tokenizer.json: pre_tokenizer";
  constexpr std::string_view kModel = "tokenizer.json: model";
  ByteLevelOptions options;
  TOK_ASSIGN_OR_RETURN(options.add_prefix_space, get_bool(p, "add_prefix_space", true, kPre));
  TOK_ASSIGN_OR_RETURN(options.use_regex, get_bool(p, "use_regex", true, kPre));
  TOK_ASSIGN_OR_RETURN(options.ignore_merges, get_bool(model, "ignore_merges", false, kModel));
  TOK_ASSIGN_OR_RETURN(options.fuse_unk, get_bool(model, "fuse_unk", false, kModel));
  bool byte_fallback = false;
  TOK_ASSIGN_OR_RETURN(byte_fallback, get_bool(model, "byte_fallback", false, kModel));
  if (byte_fallback) return Status(unsupported("BPE byte_fallback"));
  const json::Value* dropout = model.find("dropout");
  if (dropout && !dropout->is_null() && !(dropout->is_number() && dropout->as_number() == 0.0))
    return Status(unsupported("BPE dropout"));
  std::string prefix, suffix, unk;
  TOK_ASSIGN_OR_RETURN(prefix, get_string(model, "continuing_subword_prefix", "", kModel));
  TOK_ASSIGN_OR_RETURN(suffix, get_string(model, "end_of_word_suffix", "", kModel));
  TOK_ASSIGN_OR_RETURN(unk, get_string(model, "unk_token", "", kModel));
  if (!prefix.empty()) return Status(unsupported("BPE continuing_subword_prefix"));
  if (!suffix.empty()) return Status(unsupported("BPE end_of_word_suffix"));

  Vocab vocab;
  TOK_ASSIGN_OR_RETURN(vocab, parse_vocab(model));
  if (!unk.empty()) {
    options.unk_id = vocab.find(unk);
    if (options.unk_id < 0)
      return Status(parse_error("model.unk_token \"" + unk.substr(0, 64) + "\" is not in the vocab"));
  }
  std::vector<std::pair<std::string, std::string>> merges;
  TOK_ASSIGN_OR_RETURN(merges, parse_merges(model));
  auto bpe = ByteLevelBpe::create(std::move(vocab), merges, options);
  if (!bpe) return Status(parse_error(bpe.status().message()));
  return std::unique_ptr<PipelineTokenizer>(std::move(bpe).value());
}

Result<std::unique_ptr<PipelineTokenizer>> load_wordpiece(const json::Value& root, const json::Value& model) {
  std::string normalizer, pre, decoder;
  TOK_ASSIGN_OR_RETURN(normalizer, component_type(root, "normalizer"));
  TOK_ASSIGN_OR_RETURN(pre, component_type(root, "pre_tokenizer"));
  TOK_ASSIGN_OR_RETURN(decoder, component_type(root, "decoder"));
  if (!normalizer.empty() && normalizer != "BertNormalizer")
    return Status(unsupported("normalizer \"" + normalizer.substr(0, 64) + "\" with WordPiece"));
  if (pre != "BertPreTokenizer")
    return Status(unsupported("WordPiece without a BertPreTokenizer (" +
                              (pre.empty() ? std::string("none") : "\"" + pre.substr(0, 64) + "\"") + ")"));
  if (!decoder.empty() && decoder != "WordPiece")
    return Status(unsupported("decoder \"" + decoder.substr(0, 64) + "\" with WordPiece"));

  WordPieceOptions options;
  constexpr std::string_view kModel = "tokenizer.json: model";
  options.normalize = !normalizer.empty();
  if (options.normalize) {
    const json::Value& n = *root.find("normalizer");
    constexpr std::string_view kNorm = "tokenizer.json: normalizer";
    BertNormalizerOptions& o = options.normalizer;
    TOK_ASSIGN_OR_RETURN(o.clean_text, get_bool(n, "clean_text", true, kNorm));
    TOK_ASSIGN_OR_RETURN(o.handle_chinese_chars, get_bool(n, "handle_chinese_chars", true, kNorm));
    TOK_ASSIGN_OR_RETURN(o.lowercase, get_bool(n, "lowercase", true, kNorm));
    TOK_ASSIGN_OR_RETURN(o.strip_accents, get_bool(n, "strip_accents", o.lowercase, kNorm));
  }
  options.wordpiece_decoder = !decoder.empty();
  if (options.wordpiece_decoder) {
    const json::Value& d = *root.find("decoder");
    constexpr std::string_view kDec = "tokenizer.json: decoder";
    TOK_ASSIGN_OR_RETURN(options.decoder_prefix, get_string(d, "prefix", "##", kDec));
    TOK_ASSIGN_OR_RETURN(options.decoder_cleanup, get_bool(d, "cleanup", true, kDec));
  }
  std::string unk;
  TOK_ASSIGN_OR_RETURN(unk, get_string(model, "unk_token", "[UNK]", kModel));
  TOK_ASSIGN_OR_RETURN(options.prefix, get_string(model, "continuing_subword_prefix", "##", kModel));
  if (const json::Value* m = model.find("max_input_chars_per_word"); m && !m->is_null()) {
    if (!m->is_index())
      return Status(json::type_error(kModel, "max_input_chars_per_word", "a non-negative integer"));
    options.max_input_chars_per_word = static_cast<std::size_t>(std::min(m->as_number(), 1e9));
  }
  Vocab vocab;
  TOK_ASSIGN_OR_RETURN(vocab, parse_vocab(model));
  options.unk_id = vocab.find(unk);
  if (options.unk_id < 0)
    return Status(parse_error("model.unk_token \"" + unk.substr(0, 64) + "\" is not in the vocab"));
  auto wp = WordPiece::create(std::move(vocab), options);
  if (!wp) return Status(parse_error(wp.status().message()));
  return std::unique_ptr<PipelineTokenizer>(std::move(wp).value());
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> load_tokenizer_json(std::string_view text) {
  auto doc = json::parse(text);
  if (!doc) return Status(doc.status().code(), std::string(kWhere) + ": " + doc.status().message());
  const json::Value& root = doc.value();
  if (!root.is_object()) return Status(parse_error("the document is not an object"));
  const json::Value* model = root.find("model");
  if (!model || !model->is_object()) return Status(parse_error("missing \"model\""));
  std::string type;
  if (const json::Value* t = model->find("type")) {
    if (!t->is_string()) return Status(json::type_error(kWhere, "model.type", "a string"));
    type = t->as_string();
  } else if (model->find("merges")) {
    type = "BPE";  // files from before models were tagged
  } else if (model->find("max_input_chars_per_word")) {
    type = "WordPiece";
  }
  Result<std::unique_ptr<PipelineTokenizer>> tok =
      Status(unsupported("model type \"" + type.substr(0, 64) + "\""));
  if (type == "BPE")
    tok = load_bpe(root, *model);
  else if (type == "WordPiece")
    tok = load_wordpiece(root, *model);
  if (!tok) return tok.status();

  std::vector<AddedToken> added;
  TOK_ASSIGN_OR_RETURN(added, parse_added_tokens(root));
  Status st = tok.value()->set_added_tokens(std::move(added));
  if (!st) return Status(parse_error(st.message()));
  Template tmpl;
  ATTNSCOPE_RETURN_IF_ERROR(parse_post_processor(root.find("post_processor"), tmpl));
  for (const std::vector<std::int32_t>* ids : {&tmpl.prefix, &tmpl.suffix})
    for (const std::int32_t id : *ids)
      if (static_cast<std::size_t>(id) >= tok.value()->vocab_size())
        return Status(
            parse_error("post_processor refers to id " + std::to_string(id) + ", outside the vocab"));
  tok.value()->set_template(std::move(tmpl));
  return std::unique_ptr<Tokenizer>(std::move(tok).value());
}

}  // namespace attnscope::tokenizer
