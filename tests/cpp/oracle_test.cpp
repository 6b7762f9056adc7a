// Compares attnscope::attention and attnscope::multi_head_attention with
// reference vectors computed by PyTorch (tests/oracle/make_reference.py, whose
// docstring describes the JSON format). The case files are listed in
// index.txt so that no directory listing is needed (std::filesystem is
// awkward under Emscripten; NODERAWFS gives plain file reads).
//
// Tolerance: |got - want| <= 1e-5 + 1e-5 * |want| (absolute plus relative)
// for every score, weight, context and output value; a -inf (masked) score
// must be exactly -inf.
//
// Emscripten builds have no C++ exceptions, and nlohmann/json aborts where it
// would throw, so every JSON access below checks the type first.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "attention/attention.hpp"

#ifndef ATTNSCOPE_ORACLE_DIR
#error "define ATTNSCOPE_ORACLE_DIR as the path of tests/oracle/data (a string literal)"
#endif

namespace attnscope {
namespace {

using json = nlohmann::json;

constexpr double kAbsTol = 1e-5;
constexpr double kRelTol = 1e-5;
constexpr int kFormat = 1;

// A tensor of the case file; null entries (masked scores) read as -inf.
struct Array {
  std::vector<std::size_t> shape;
  std::vector<double> data;
  std::vector<float> floats;  // data as float, for inputs

  std::size_t dim(std::size_t i) const { return i < shape.size() ? shape[i] : 0; }
  MatrixRef matrix() const { return {floats.data(), dim(0), dim(1)}; }
  VectorRef vector() const { return {floats.data(), floats.size()}; }
};

// Type-checked reads of one case. The first problem is kept in error() and
// later reads return defaults, so a malformed file fails its case cleanly.
class Reader {
 public:
  const std::string& error() const { return error_; }
  bool ok() const { return error_.empty(); }
  std::nullptr_t fail(const std::string& message) {
    if (error_.empty()) error_ = message;
    return nullptr;
  }

  const json* find(const json& obj, const std::string& key, bool required = true) {
    if (!obj.is_object()) return fail("expected an object around '" + key + "'");
    auto it = obj.find(key);
    if (it == obj.end()) return required ? fail("missing field '" + key + "'") : nullptr;
    return &*it;
  }

  std::string string(const json& obj, const std::string& key) {
    const json* v = find(obj, key);
    if (v && !v->is_string()) fail("'" + key + "' is not a string");
    return v && v->is_string() ? v->get<std::string>() : std::string();
  }

  bool boolean(const json& obj, const std::string& key) {
    const json* v = find(obj, key);
    if (v && !v->is_boolean()) fail("'" + key + "' is not a boolean");
    return v && v->is_boolean() && v->get<bool>();
  }

  double number(const json& obj, const std::string& key) {
    const json* v = find(obj, key);
    if (v && !v->is_number()) fail("'" + key + "' is not a number");
    return v && v->is_number() ? v->get<double>() : 0.0;
  }

  std::size_t count(const json& obj, const std::string& key) {
    const json* v = find(obj, key);
    if (v && !v->is_number_unsigned()) fail("'" + key + "' is not a non-negative integer");
    return v && v->is_number_unsigned() ? v->get<std::size_t>() : 0;
  }

  std::vector<std::uint8_t> flags(const json& obj, const std::string& key) {
    std::vector<std::uint8_t> out;
    const json* v = find(obj, key);
    if (!v) return out;
    if (!v->is_array()) return fail_with(out, "'" + key + "' is not an array");
    for (const json& x : *v) {
      if (!x.is_number_unsigned() || x.get<std::uint64_t>() > 255)
        return fail_with(out, "'" + key + "' holds a value that is not in 0..255");
      out.push_back(static_cast<std::uint8_t>(x.get<std::uint64_t>()));
    }
    return out;
  }

  // {"shape": [...], "data": [...]} of the given rank.
  Array array(const json& obj, const std::string& key, std::size_t rank) {
    Array a;
    const json* t = find(obj, key);
    if (!t) return a;
    const json* shape = find(*t, "shape");
    const json* data = find(*t, "data");
    if (!shape || !data) return a;
    if (!shape->is_array() || shape->size() != rank)
      return fail_with(a, "'" + key + "' does not have rank " + std::to_string(rank));
    std::size_t n = 1;
    for (const json& d : *shape) {
      if (!d.is_number_unsigned()) return fail_with(a, "'" + key + "' has a bad shape");
      a.shape.push_back(d.get<std::size_t>());
      n *= a.shape.back();
    }
    if (!data->is_array() || data->size() != n)
      return fail_with(a, "'" + key + "' data does not hold " + std::to_string(n) + " values");
    for (const json& x : *data) {
      if (x.is_null()) {
        a.data.push_back(-std::numeric_limits<double>::infinity());
      } else if (x.is_number()) {
        a.data.push_back(x.get<double>());
      } else {
        return fail_with(a, "'" + key + "' data holds a value that is not a number");
      }
      a.floats.push_back(static_cast<float>(a.data.back()));
    }
    return a;
  }

 private:
  template <class T>
  T& fail_with(T& value, const std::string& message) {
    fail(message);
    return value;
  }

  std::string error_;
};

struct Case {
  std::string file;
  json doc;
};

struct Corpus {
  std::vector<Case> cases;
  std::vector<std::string> errors;  // files that are missing or do not parse
};

std::string oracle_dir() {
  return ATTNSCOPE_ORACLE_DIR;
}

// Reads index.txt and every case it lists, once per process.
const Corpus& corpus() {
  static const Corpus loaded = [] {
    Corpus c;
    const std::string index_path = oracle_dir() + "/index.txt";
    std::ifstream index(index_path);
    if (!index) {
      c.errors.push_back("cannot open " + index_path +
                         " (generate it with /usr/bin/python3 tests/oracle/make_reference.py)");
      return c;
    }
    std::string line;
    while (std::getline(index, line)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
        line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      const std::string path = oracle_dir() + "/" + line;
      std::ifstream in(path);
      if (!in) {
        c.errors.push_back("cannot open " + path + ", listed in index.txt");
        continue;
      }
      json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
      if (doc.is_discarded() || !doc.is_object()) {
        c.errors.push_back(path + " is not a JSON object");
        continue;
      }
      c.cases.push_back({line, std::move(doc)});
    }
    if (c.cases.empty() && c.errors.empty()) c.errors.push_back(index_path + " lists no cases");
    return c;
  }();
  return loaded;
}

std::string shape_string(const std::vector<std::size_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// got (row-major, got_shape) against want, at the file's tolerance.
::testing::AssertionResult near(const char* what, const float* got, const std::vector<std::size_t>& got_shape,
                                const Array& want) {
  if (got_shape != want.shape)
    return ::testing::AssertionFailure()
           << what << " has shape " << shape_string(got_shape) << ", expected " << shape_string(want.shape);
  std::size_t bad = 0;
  double worst = 0;
  std::ostringstream report;
  for (std::size_t i = 0; i < want.data.size(); ++i) {
    const double w = want.data[i], g = got[i];
    bool ok;
    if (std::isinf(w)) {
      ok = g == w;
    } else {
      const double diff = std::fabs(g - w);
      ok = std::isfinite(g) && diff <= kAbsTol + kRelTol * std::fabs(w);
      if (std::isfinite(g)) worst = std::max(worst, diff);
    }
    if (ok) continue;
    if (++bad <= 5) {
      // Flat index -> multi-index, for a readable report.
      std::vector<std::size_t> idx(want.shape.size());
      for (std::size_t d = want.shape.size(), r = i; d-- > 0; r /= want.shape[d]) idx[d] = r % want.shape[d];
      char buf[96];
      std::snprintf(buf, sizeof buf, ": got %.9g, want %.9g (diff %.3g)\n", g, w, std::fabs(g - w));
      report << "  " << what << shape_string(idx) << buf;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  char tol[96];
  std::snprintf(tol, sizeof tol, " differ by more than %g + %g * |want| (largest finite difference %.3g):\n",
                kAbsTol, kRelTol, worst);
  return ::testing::AssertionFailure()
         << bad << " of " << want.data.size() << " values of " << what << tol << report.str();
}

template <class E>
std::vector<std::size_t> shape_of(const E& e) {
  return std::vector<std::size_t>(e.shape().begin(), e.shape().end());
}

// Fields shared by both kinds: scoring, temperature and masks.
AttentionOptions read_options(Reader& r, const json& doc, const json& params,
                              std::map<std::string, Array>& storage) {
  AttentionOptions o;
  const std::string scoring = r.string(doc, "scoring");
  Result<Scoring> parsed = parse_scoring(scoring);
  if (parsed) {
    o.scoring = parsed.value();
  } else {
    r.fail(parsed.status().to_string());
  }
  o.temperature = static_cast<float>(r.number(doc, "temperature"));
  o.mask.causal = r.boolean(doc, "causal");
  o.mask.key_padding = r.flags(doc, "key_padding");

  auto optional = [&](const char* name, std::size_t rank) -> const Array* {
    if (!params.is_object() || !params.contains(name)) return nullptr;
    return &(storage[name] = r.array(params, name, rank));
  };
  if (const Array* a = optional("general_w", 2)) o.params.general_w = a->matrix();
  if (const Array* a = optional("additive_w1", 2)) o.params.additive_w1 = a->matrix();
  if (const Array* a = optional("additive_w2", 2)) o.params.additive_w2 = a->matrix();
  if (const Array* a = optional("additive_v", 1)) o.params.additive_v = a->vector();
  if (const Array* a = optional("additive_b1", 1)) o.params.additive_b1 = a->vector();
  if (const Array* a = optional("additive_b2", 1)) o.params.additive_b2 = a->vector();
  return o;
}

void run_attention_case(const json& doc) {
  Reader r;
  const json* inputs = r.find(doc, "inputs");
  const json* params = r.find(doc, "params");
  const json* expected = r.find(doc, "expected");
  ASSERT_TRUE(r.ok()) << r.error();
  std::map<std::string, Array> storage;  // backs the MatrixRefs in options
  const AttentionOptions options = read_options(r, doc, *params, storage);
  const Array q = r.array(*inputs, "q", 2), k = r.array(*inputs, "k", 2), v = r.array(*inputs, "v", 2);
  const Array scores = r.array(*expected, "scores", 2), weights = r.array(*expected, "weights", 2),
              context = r.array(*expected, "context", 2);
  ASSERT_TRUE(r.ok()) << r.error();

  Result<AttentionResult> got = attention(q.matrix(), k.matrix(), v.matrix(), options);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_TRUE(near("scores", got->scores.data(), shape_of(got->scores), scores));
  EXPECT_TRUE(near("weights", got->weights.data(), shape_of(got->weights), weights));
  EXPECT_TRUE(near("context", got->context.data(), shape_of(got->context), context));
}

void run_multi_head_case(const json& doc) {
  Reader r;
  const json* inputs = r.find(doc, "inputs");
  const json* params = r.find(doc, "params");
  const json* expected = r.find(doc, "expected");
  ASSERT_TRUE(r.ok()) << r.error();
  std::map<std::string, Array> storage;
  const AttentionOptions options = read_options(r, doc, json::object(), storage);
  const bool self = r.boolean(doc, "self_attention");
  const Array query = r.array(*inputs, "query", 2);
  const Array key = self ? Array() : r.array(*inputs, "key", 2);
  const Array value = self ? Array() : r.array(*inputs, "value", 2);

  MultiHeadParams p;
  p.heads = r.count(doc, "heads");
  const Array wq = r.array(*params, "wq", 2), wk = r.array(*params, "wk", 2), wv = r.array(*params, "wv", 2),
              wo = r.array(*params, "wo", 2);
  p.wq = wq.matrix();
  p.wk = wk.matrix();
  p.wv = wv.matrix();
  p.wo = wo.matrix();
  const std::pair<const char*, VectorRef*> biases[] = {
      {"bq", &p.bq}, {"bk", &p.bk}, {"bv", &p.bv}, {"bo", &p.bo}};
  for (const auto& [name, ref] : biases)
    if (params->contains(name)) *ref = (storage[name] = r.array(*params, name, 1)).vector();

  const Array weights = r.array(*expected, "weights", 3), output = r.array(*expected, "output", 2);
  ASSERT_TRUE(r.ok()) << r.error();

  // Self-attention passes one tensor three times, as torch callers do.
  const MatrixRef qm = query.matrix(), km = self ? qm : key.matrix(), vm = self ? qm : value.matrix();
  Result<MultiHeadResult> got = multi_head_attention(qm, km, vm, p, options);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_TRUE(near("weights", got->weights.data(), shape_of(got->weights), weights));
  EXPECT_TRUE(near("output", got->output.data(), shape_of(got->output), output));
}

// Runs every case of one kind; returns how many there were.
int run_kind(const std::string& kind, void (*run)(const json&)) {
  int n = 0;
  for (const Case& c : corpus().cases) {
    Reader r;
    const std::string case_kind = r.string(c.doc, "kind");
    if (case_kind != kind) continue;
    ++n;
    SCOPED_TRACE("oracle case " + c.file + ": " + r.string(c.doc, "doc"));
    if (r.number(c.doc, "format") != kFormat) {
      ADD_FAILURE() << "unsupported format (this test reads format " << kFormat << ") " << r.error();
      continue;
    }
    run(c.doc);
  }
  return n;
}

TEST(TorchOracle, DataIsPresent) {
  const Corpus& c = corpus();
  for (const std::string& e : c.errors) ADD_FAILURE() << e;
  ASSERT_FALSE(c.cases.empty()) << "no oracle cases under " << oracle_dir();
  for (const Case& k : c.cases) {
    Reader r;
    const std::string kind = r.string(k.doc, "kind");
    EXPECT_TRUE(kind == "attention" || kind == "multi_head_attention")
        << k.file << ": unknown kind '" << kind << "' " << r.error();
  }
}

TEST(TorchOracle, Attention) {
  EXPECT_GT(run_kind("attention", run_attention_case), 0) << "no attention cases under " << oracle_dir();
}

TEST(TorchOracle, MultiHeadAttention) {
  EXPECT_GT(run_kind("multi_head_attention", run_multi_head_case), 0)
      << "no multi_head_attention cases under " << oracle_dir();
}

}  // namespace
}  // namespace attnscope
