// The safetensors reader on files written here: F32/F16/BF16 round trips,
// exact half-precision conversion of every bit pattern, and one test per
// validation rule (each hostile header is an error value, never a crash).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "io/safetensors.hpp"
#include "kernels/convert.hpp"

namespace attnscope {
namespace {

using io::DType;
using io::SafeTensors;
using Bytes = std::vector<std::uint8_t>;

std::uint32_t bits_of(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
float float_of(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
void put_le(Bytes& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// A file from a header's text and a data section; `length` overrides the
// header length field.
Bytes make_file(std::string_view header, const Bytes& data = {}, std::uint64_t length = ~std::uint64_t{0}) {
  Bytes out;
  put_le(out, length == ~std::uint64_t{0} ? header.size() : length, 8);
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

// Writes tensors back to back, as the reference writer does.
class Writer {
 public:
  Writer& f32(const std::string& name, const std::string& shape, const std::vector<float>& v) {
    Bytes b;
    for (float x : v) put_le(b, bits_of(x), 4);
    return raw(name, "F32", shape, b);
  }
  Writer& half(const std::string& name, const std::string& dtype, const std::string& shape,
               const std::vector<std::uint16_t>& v) {
    Bytes b;
    for (std::uint16_t x : v) put_le(b, x, 2);
    return raw(name, dtype, shape, b);
  }
  Writer& raw(const std::string& name, const std::string& dtype, const std::string& shape, const Bytes& b) {
    add_entry("\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" +
              std::to_string(data_.size()) + "," + std::to_string(data_.size() + b.size()) + "]}");
    data_.insert(data_.end(), b.begin(), b.end());
    return *this;
  }
  Writer& metadata(const std::string& json_object) {
    add_entry("\"__metadata__\":" + json_object);
    return *this;
  }
  // Pads the header with spaces to a multiple of 8, like the reference writer.
  Bytes bytes(bool pad = true) const {
    std::string header = "{" + entries_ + "}";
    while (pad && header.size() % 8) header += ' ';
    return make_file(header, data_);
  }

 private:
  void add_entry(const std::string& e) { entries_ += (entries_.empty() ? "" : ",") + e; }
  std::string entries_;
  Bytes data_;
};

Result<SafeTensors> parse(const Bytes& file) {
  return SafeTensors::parse(file.data(), file.size());
}

// An independent F16 reference: sign * mantissa * 2^exponent in double.
float f16_reference(std::uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  double v;
  if (exp == 0x1F)
    v = mant ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else if (exp == 0)
    v = std::ldexp(mant, -24);
  else
    v = std::ldexp(1024 + mant, exp - 25);
  return static_cast<float>(sign ? -v : v);
}

// NaNs must keep sign and payload: compare bit patterns for them too.
::testing::AssertionResult same_half(std::uint16_t h, float got) {
  const float want = f16_reference(h);
  const std::uint32_t want_bits =
      std::isnan(want) ? ((h & 0x8000u) << 16) | 0x7F800000u | ((h & 0x3FFu) << 13) : bits_of(want);
  if (bits_of(got) == want_bits) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "F16 0x" << std::hex << h << " -> 0x" << bits_of(got) << ", want 0x" << want_bits;
}

TEST(SafeTensorsConvert, EveryF16BitPattern) {
  for (std::uint32_t h = 0; h <= 0xFFFF; ++h) {
    ASSERT_TRUE(same_half(static_cast<std::uint16_t>(h), io::f16_to_f32(static_cast<std::uint16_t>(h))));
#ifdef __FLT16_MAX__  // a second reference where the compiler has a half type
    _Float16 x;
    const std::uint16_t hb = static_cast<std::uint16_t>(h);
    std::memcpy(&x, &hb, 2);
    if (!std::isnan(static_cast<float>(x)))
      ASSERT_EQ(bits_of(static_cast<float>(x)), bits_of(io::f16_to_f32(hb)));
#endif
  }
  EXPECT_EQ(io::f16_to_f32(0x3C00), 1.0f);
  EXPECT_EQ(io::f16_to_f32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(io::f16_to_f32(0x7BFF), 65504.0f);
  EXPECT_EQ(io::f16_to_f32(0xFC00), -std::numeric_limits<float>::infinity());
}

TEST(SafeTensorsConvert, EveryBF16BitPattern) {
  for (std::uint32_t h = 0; h <= 0xFFFF; ++h) {
    const int sign = h >> 15, exp = (h >> 7) & 0xFF, mant = h & 0x7F;
    const float got = io::bf16_to_f32(static_cast<std::uint16_t>(h));
    if (exp == 0xFF) {
      ASSERT_EQ(bits_of(got), h << 16);
      ASSERT_EQ(std::isnan(got), mant != 0);
      continue;
    }
    const double v = exp == 0 ? std::ldexp(mant, -133) : std::ldexp(128 + mant, exp - 134);
    ASSERT_EQ(bits_of(got), bits_of(static_cast<float>(sign ? -v : v))) << h;
  }
  EXPECT_EQ(io::bf16_to_f32(0x3F80), 1.0f);
}

// The SIMD bulk conversions (kernels/convert) against the scalar ones above:
// every bit pattern, from every byte offset (unaligned sources), at lengths
// below, at and past the SIMD block, and the finite flag they return.
TEST(SafeTensorsConvert, BulkEqualsScalarForEveryPatternOffsetAndLength) {
  std::vector<std::uint8_t> bytes(2 * 0x10000 + 8);
  for (std::size_t shift = 0; shift < 3; ++shift) {
    for (std::uint32_t h = 0; h <= 0xFFFF; ++h) {
      bytes[shift + 2 * h] = static_cast<std::uint8_t>(h & 0xFF);
      bytes[shift + 2 * h + 1] = static_cast<std::uint8_t>(h >> 8);
    }
    std::vector<float> out(0x10000);
    const std::uint8_t* src = bytes.data() + shift;
    EXPECT_FALSE(kernels::f16_to_f32(src, 0x10000, out.data()));  // holds Inf and NaN
    for (std::uint32_t h = 0; h <= 0xFFFF; ++h)
      ASSERT_EQ(bits_of(out[h]), bits_of(io::f16_to_f32(static_cast<std::uint16_t>(h)))) << h;
    EXPECT_FALSE(kernels::bf16_to_f32(src, 0x10000, out.data()));
    for (std::uint32_t h = 0; h <= 0xFFFF; ++h)
      ASSERT_EQ(bits_of(out[h]), bits_of(io::bf16_to_f32(static_cast<std::uint16_t>(h)))) << h;
  }
  // Finite runs (0x0000..0x7BFF are finite halves) of every length up to 40,
  // then one Inf (0x7C00) at each position: the flag sees it in the SIMD body
  // and in the scalar tail.
  for (std::size_t n = 0; n <= 40; ++n) {
    std::vector<std::uint8_t> b(2 * n + 1);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint16_t h = static_cast<std::uint16_t>((i * 977) % 0x7C00);
      b[1 + 2 * i] = static_cast<std::uint8_t>(h & 0xFF);
      b[2 + 2 * i] = static_cast<std::uint8_t>(h >> 8);
    }
    std::vector<float> out(n + 1, -1.f);
    EXPECT_TRUE(kernels::f16_to_f32(b.data() + 1, n, out.data())) << n;
    EXPECT_EQ(out[n], -1.f) << "wrote past the end, n = " << n;
    EXPECT_TRUE(kernels::all_finite(out.data(), n));
    for (std::size_t at = 0; at < n; ++at) {
      auto c = b;
      c[1 + 2 * at] = 0x00;
      c[2 + 2 * at] = 0x7C;
      EXPECT_FALSE(kernels::f16_to_f32(c.data() + 1, n, out.data())) << n << " " << at;
      EXPECT_FALSE(kernels::all_finite(out.data(), n)) << n << " " << at;
    }
  }
}

TEST(SafeTensors, RoundTripAllDtypes) {
  const std::vector<float> f32 = {1.5f, -0.0f, 3.4e38f, 1e-45f, -2.25f, float_of(0x7FC00001)};
  std::vector<std::uint16_t> f16(0x10000), bf16(0x10000);
  for (std::uint32_t i = 0; i < 0x10000; ++i) f16[i] = bf16[i] = static_cast<std::uint16_t>(i);
  const Bytes file = Writer()
                         .f32("a.weight", "[2,3]", f32)
                         .half("half", "F16", "[256,256]", f16)
                         .half("brain", "BF16", "[16,4096]", bf16)
                         .bytes();
  Result<SafeTensors> st = parse(file);
  ASSERT_TRUE(st.is_ok()) << st.status().to_string();
  ASSERT_EQ(st->tensors().size(), 3u);
  EXPECT_TRUE(st->metadata().empty());

  const io::TensorInfo* a = st->find("a.weight");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, DType::kF32);
  EXPECT_EQ(a->shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(a->elements, 6u);
  EXPECT_EQ(a->begin, 0u);
  EXPECT_EQ(a->end, 24u);
  std::vector<float> out(a->elements);
  st->read_f32(*a, out.data());
  for (std::size_t i = 0; i < f32.size(); ++i) EXPECT_EQ(bits_of(out[i]), bits_of(f32[i])) << i;

  const io::TensorInfo* h = st->find("half");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->dtype, DType::kF16);
  EXPECT_EQ(h->begin, 24u);
  out.assign(h->elements, 0.f);
  st->read_f32(*h, out.data());
  for (std::uint32_t i = 0; i < 0x10000; ++i) ASSERT_TRUE(same_half(static_cast<std::uint16_t>(i), out[i]));

  const io::TensorInfo* b = st->find("brain");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dtype, DType::kBF16);
  EXPECT_EQ(b->shape, (std::vector<std::size_t>{16, 4096}));
  out.assign(b->elements, 0.f);
  st->read_f32(*b, out.data());
  for (std::uint32_t i = 0; i < 0x10000; ++i) ASSERT_EQ(bits_of(out[i]), i << 16);

  EXPECT_EQ(st->find("missing"), nullptr);
  EXPECT_EQ(st->find(""), nullptr);
  EXPECT_EQ(st->find("a.weigh"), nullptr);
  EXPECT_STREQ(io::dtype_name(DType::kF32), "F32");
  EXPECT_STREQ(io::dtype_name(DType::kF16), "F16");
  EXPECT_STREQ(io::dtype_name(DType::kBF16), "BF16");
}

TEST(SafeTensors, HeaderOrderMetadataAndLookup) {
  Writer w;
  w.metadata("{\"format\": \"pt\", \"note\": \"caf\\u00e9 \xF0\x9F\x98\x80\"}");
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) {
    names.push_back("model.layers." + std::to_string((i * 7919) % 300) + ".weight");
    w.f32(names.back(), "[1]", {static_cast<float>(i)});
  }
  const Bytes file = w.bytes();
  Result<SafeTensors> st = parse(file);
  ASSERT_TRUE(st.is_ok()) << st.status().to_string();
  ASSERT_EQ(st->metadata().size(), 2u);
  EXPECT_EQ(st->metadata()[0], (std::pair<std::string, std::string>{"format", "pt"}));
  EXPECT_EQ(st->metadata()[1].second, "caf\xC3\xA9 \xF0\x9F\x98\x80");
  ASSERT_EQ(st->tensors().size(), 300u);
  // Copies and moves keep the index valid (it stores positions, not pointers).
  const SafeTensors copy = st.value();
  const SafeTensors moved = std::move(st.value());
  for (const SafeTensors* s : {&copy, &moved}) {
    for (int i = 0; i < 300; ++i) {
      EXPECT_EQ(s->tensors()[i].name, names[i]);
      const io::TensorInfo* t = s->find(names[i]);
      ASSERT_NE(t, nullptr) << names[i];
      EXPECT_EQ(t, &s->tensors()[i]);
      float x = -1.f;
      s->read_f32(*t, &x);
      EXPECT_EQ(x, static_cast<float>(i));
    }
  }
}

TEST(SafeTensors, EdgeShapesAndLayouts) {
  // Scalar, empty tensors, no padding (data section misaligned), a hole.
  Bytes data;
  put_le(data, bits_of(7.f), 4);
  put_le(data, 0xDEAD, 2);  // a hole nobody references
  put_le(data, 0x3C00, 2);  // F16 1.0
  const std::string header =
      R"({"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},)"
      R"("e":{"dtype":"F16","shape":[0,5],"data_offsets":[4,4]},)"
      R"("e2":{"dtype":"BF16","shape":[3,0],"data_offsets":[8,8]},)"
      R"("h":{"dtype":"F16","shape":[1,1,1,1,1,1,1,1],"data_offsets":[6,8]}, "extra": {"dtype":"F32",)"
      R"("shape":[0],"data_offsets":[8,8],"ignored":1}})";
  const Bytes file = make_file(header, data);
  Result<SafeTensors> st = parse(file);
  ASSERT_TRUE(st.is_ok()) << st.status().to_string();
  EXPECT_EQ(st->find("s")->elements, 1u);
  EXPECT_TRUE(st->find("s")->shape.empty());
  EXPECT_EQ(st->find("e")->elements, 0u);
  EXPECT_EQ(st->find("h")->shape.size(), 8u);
  float x = 0.f;
  st->read_f32(*st->find("s"), &x);
  EXPECT_EQ(x, 7.f);
  st->read_f32(*st->find("h"), &x);
  EXPECT_EQ(x, 1.f);
  st->read_f32(*st->find("e"), nullptr);  // zero elements: nothing written
  EXPECT_EQ(st->data_size(), data.size());

  // The same file at an odd address.
  Bytes shifted(1);
  shifted.insert(shifted.end(), file.begin(), file.end());
  Result<SafeTensors> odd = SafeTensors::parse(shifted.data() + 1, file.size());
  ASSERT_TRUE(odd.is_ok());
  odd->read_f32(*odd->find("s"), &x);
  EXPECT_EQ(x, 7.f);

  // Headers with no tensors.
  for (const char* h : {"{}", "  {} ", "{\"__metadata__\":{}}"}) {
    const Bytes empty = make_file(h);
    Result<SafeTensors> e = parse(empty);
    ASSERT_TRUE(e.is_ok()) << h;
    EXPECT_TRUE(e->tensors().empty());
    EXPECT_EQ(e->find("x"), nullptr);
  }
}

TEST(SafeTensors, ReadFinite) {
  const float inf = std::numeric_limits<float>::infinity();
  const Bytes file = Writer()
                         .f32("ok", "[2]", {1.f, -2.f})
                         .f32("nan", "[2,3]", {0, 0, 0, 0, 0, std::nanf("")})
                         .f32("inf", "[1]", {-inf})
                         .half("h", "F16", "[3]", {0x3C00, 0x7C00, 0})
                         .half("b", "BF16", "[2,2]", {0x3F80, 0x3F80, 0x3F80, 0x7FC1})
                         .half("sub", "F16", "[2]", {0x0001, 0x8001})
                         .bytes();
  Result<SafeTensors> st = parse(file);
  ASSERT_TRUE(st.is_ok()) << st.status().to_string();
  std::vector<float> out(8);
  EXPECT_TRUE(st->read_f32_finite(*st->find("ok"), out.data()).is_ok());
  EXPECT_TRUE(st->read_f32_finite(*st->find("sub"), out.data()).is_ok());
  const struct {
    const char* name;
    const char* says;
  } cases[] = {{"nan", "element 5 [1, 2] is NaN"},
               {"inf", "element 0 [0] is infinite"},
               {"h", "element 1 [1] is infinite"},
               {"b", "element 3 [1, 1] is NaN"}};
  for (const auto& c : cases) {
    const Status s = st->read_f32_finite(*st->find(c.name), out.data());
    EXPECT_EQ(s.code(), Code::kNonFinite) << c.name;
    EXPECT_NE(s.message().find(std::string("\"") + c.name + "\""), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(c.says), std::string::npos) << s.message();
  }
}

// ---- validation: one hostile file per rule -------------------------------

void expect_error(const Bytes& file, Code code, const std::vector<std::string>& says) {
  const Result<SafeTensors> st = SafeTensors::parse(file.data(), file.size());
  ASSERT_FALSE(st.is_ok()) << "accepted a file of " << file.size() << " bytes";
  EXPECT_EQ(st.status().code(), code) << st.status().to_string();
  for (const std::string& s : says)
    EXPECT_NE(st.status().message().find(s), std::string::npos)
        << "'" << s << "' not in: " << st.status().message();
}
// A header (tensor entries are not wrapped) over `data_size` zero bytes.
void expect_header_error(const std::string& header, std::size_t data_size, Code code,
                         const std::vector<std::string>& says) {
  expect_error(make_file(header, Bytes(data_size)), code, says);
}
std::string entry(const std::string& name, const std::string& dtype, const std::string& shape,
                  const std::string& offsets) {
  return "{\"" + name + "\":{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets +
         "}}";
}

// 8-bit weights: X (I8) with X_scale, per row of the stored layout or one for
// all; the scale's own dtype may be any readable float.
TEST(SafeTensors, Int8WithScales) {
  Bytes q;
  for (int v : {-128, -1, 0, 1, 2, 127, 5, -5, 64, -64, 100, -100}) q.push_back(static_cast<std::uint8_t>(v));
  const std::vector<float> row_scales = {0.5f, 0.25f, 2.f}, one = {0.125f};
  const Bytes file = Writer()
                         .raw("w", "I8", "[3,4]", q)
                         .f32("w_scale", "[3]", row_scales)
                         .raw("t", "I8", "[2,2,3]", q)
                         .half("t_scale", "F16", "[1]", {0x3000})  // 0.125
                         .raw("lonely", "I8", "[12]", q)
                         .raw("badcount", "I8", "[3,4]", q)
                         .f32("badcount_scale", "[2]", {1.f, 1.f})
                         .raw("nan", "I8", "[3,4]", q)
                         .f32("nan_scale", "[3]", {1.f, std::nanf(""), 1.f})
                         .bytes();
  const auto st = parse(file);
  ASSERT_TRUE(st.is_ok()) << st.status().to_string();
  std::vector<float> out(12, -7.f);
  ASSERT_TRUE(st->read_f32_finite(*st->find("w"), out.data()));
  for (std::size_t i = 0; i < 12; ++i)
    EXPECT_EQ(out[i], static_cast<float>(static_cast<std::int8_t>(q[i])) * row_scales[i / 4]) << i;
  ASSERT_TRUE(st->read_f32_finite(*st->find("t"), out.data()));
  for (std::size_t i = 0; i < 12; ++i)
    EXPECT_EQ(out[i], static_cast<float>(static_cast<std::int8_t>(q[i])) * one[0]);
  EXPECT_EQ(st->read_f32_finite(*st->find("lonely"), out.data()).code(), Code::kUnsupported);
  const Status count = st->read_f32_finite(*st->find("badcount"), out.data());
  EXPECT_EQ(count.code(), Code::kShapeMismatch);
  EXPECT_NE(count.message().find("one per row (3)"), std::string::npos) << count.message();
  EXPECT_EQ(st->read_f32_finite(*st->find("nan"), out.data()).code(), Code::kNonFinite);
}

TEST(SafeTensorsValidation, ShortFile) {
  for (std::size_t n = 0; n < 8; ++n) expect_error(Bytes(n), Code::kParseError, {"shorter than"});
  const Result<SafeTensors> null = SafeTensors::parse(nullptr, 0);
  EXPECT_EQ(null.status().code(), Code::kParseError);
}

TEST(SafeTensorsValidation, HeaderLength) {
  expect_error(make_file("{}", {}, 3), Code::kParseError, {"header length 3 exceeds the 2 bytes"});
  expect_error(make_file("", {}, 1), Code::kParseError, {"exceeds"});
  expect_error(make_file("{}", {}, 100'000'001), Code::kTooLarge, {"100000001", "limit"});
  expect_error(make_file("{}", {}, ~std::uint64_t{0} - 1), Code::kTooLarge, {"above the limit"});
  expect_error(make_file("{}", {}, std::uint64_t{1} << 63), Code::kTooLarge, {});
  expect_error(make_file("{}", {}, 0), Code::kParseError, {"header"});  // empty header: not JSON
}

TEST(SafeTensorsValidation, HeaderNotJsonObject) {
  for (const char* h : {"{", "{\"a\":}", "{} x", "nul", "{\"a\":1,\"a\":1}"})
    expect_error(make_file(h), Code::kParseError, {"header: JSON"});
  for (const char* h : {"[]", "null", "1", "\"s\""})
    expect_error(make_file(h), Code::kParseError, {"object"});
  // UTF-8 is checked before JSON (and would be inside strings, which JSON does not check).
  for (const char* h :
       {"{\"\xff\":1}", "{\"\xC0\xAF\":1}", "{\"\xED\xA0\x80\":1}", "{\"\xF4\x90\x80\x80\":1}",
        "{\"\xE2\x82\":1}", "{\"\x80\":1}", "{\"\xF5\x80\x80\x80\":1}", "{\"\xE0\x80\x80\":1}"})
    expect_error(make_file(h), Code::kParseError, {"UTF-8"});
}

TEST(SafeTensorsValidation, HeaderValueCountIsBounded) {
  std::string h = "{\"__metadata__\":{},\"x\":[0";
  for (std::size_t i = 0; i < io::kMaxSafetensorsHeaderValues; ++i) h += ",0";
  expect_error(make_file(h + "]}"), Code::kTooLarge, {"JSON values"});
  // Commas, colons and brackets inside strings do not count.
  const std::string s(3 * io::kMaxSafetensorsHeaderValues, ',');
  const Result<SafeTensors> ok = parse(make_file("{\"__metadata__\":{\"k\":\"" + s + "[:\"}}"));
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_EQ(ok->metadata()[0].second.size(), s.size() + 2);
}

TEST(SafeTensorsValidation, MalformedEntries) {
  const Code e = Code::kParseError;
  expect_header_error(R"({"t": 1})", 0, e, {"\"t\"", "must be an object"});
  expect_header_error(R"({"t": [1]})", 0, e, {"must be an object"});
  expect_header_error(R"({"t": {"shape":[1],"data_offsets":[0,4]}})", 4, e, {"\"t\"", "missing \"dtype\""});
  expect_header_error(R"({"t": {"dtype":"F32","data_offsets":[0,4]}})", 4, e, {"missing \"shape\""});
  expect_header_error(R"({"t": {"dtype":"F32","shape":[1]}})", 4, e, {"missing \"data_offsets\""});
  expect_header_error(entry("t", "1", "[1]", "[0,4]"), 4, e, {"dtype must be a string"});
  expect_header_error(entry("t", "null", "[1]", "[0,4]"), 4, e, {"dtype must be a string"});
  expect_header_error(entry("t", "\"F32\"", "{}", "[0,4]"), 4, e, {"shape must be an array"});
  expect_header_error(entry("t", "\"F32\"", "1", "[0,4]"), 4, e, {"shape must be an array"});
  expect_header_error(R"({"__metadata__": []})", 0, e, {"\"__metadata__\" must be an object"});
  expect_header_error(R"({"__metadata__": {"a": 1}})", 0, e, {"value of \"a\" must be a string"});
  expect_header_error(R"({"__metadata__": {"a": "x", "b": null}})", 0, e, {"\"b\""});
}

TEST(SafeTensorsValidation, UnknownDtypesAreRefused) {
  for (const char* dt : {"C64", "f32", "FOO", ""})
    expect_header_error(entry("layer.0", std::string("\"") + dt + "\"", "[1]", "[0,8]"), 8,
                        Code::kUnsupported,
                        {std::string("\"") + dt + "\"", "\"layer.0\"", "not a safetensors dtype"});
}

// Checkpoints carry integer buffers (BERT's position_ids, GPT-2's mask
// bias): they parse, sized by their dtype, and only reading them fails.
TEST(SafeTensors, NonFloatDtypesParseButDoNotRead) {
  const std::pair<const char*, std::size_t> dtypes[] = {
      {"F64", 8}, {"I64", 8}, {"U64", 8}, {"I32", 4},  {"U32", 4},     {"I16", 2},
      {"U16", 2}, {"I8", 1},  {"U8", 1},  {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1}};
  for (const auto& [dt, size] : dtypes) {
    SCOPED_TRACE(dt);
    const std::string range = "[0," + std::to_string(3 * size) + "]";
    const Bytes file = make_file(entry("buf", std::string("\"") + dt + "\"", "[3]", range), Bytes(3 * size));
    const Result<SafeTensors> st = parse(file);
    ASSERT_TRUE(st.is_ok()) << st.status().to_string();
    const io::TensorInfo* info = st->find("buf");
    ASSERT_NE(info, nullptr);
    EXPECT_FALSE(io::is_readable(info->dtype));
    EXPECT_EQ(io::dtype_size(info->dtype), size);
    EXPECT_STREQ(io::dtype_name(info->dtype), dt);
    float out[3] = {7.f, 7.f, 7.f};
    const Status read = st->read_f32_finite(*info, out);
    EXPECT_EQ(read.code(), Code::kUnsupported);
    // (I8 reads with a scale tensor beside it: Int8WithScales.)
    const char* why = std::string(dt) == "I8" ? "buf_scale" : "cannot be read as float";
    EXPECT_NE(read.message().find(why), std::string::npos) << read.message();
    EXPECT_EQ(out[0], 7.f);
    // A wrong byte count for the dtype is still a parse error.
    const std::string bad = "[0," + std::to_string(3 * size + 1) + "]";
    expect_header_error(entry("buf", std::string("\"") + dt + "\"", "[3]", bad), 3 * size + 1,
                        Code::kParseError, {"do not fill"});
  }
}

TEST(SafeTensorsValidation, LongNamesAreCutAtCharacterBoundaries) {
  std::string name;
  for (int i = 0; i < 150; ++i) name += "\xC3\xA9";  // 300 bytes of 2-byte characters
  const Bytes file = make_file(entry(name + "x", "\"F99\"", "[1]", "[0,8]"), Bytes(8));
  const Result<SafeTensors> st = parse(file);
  ASSERT_EQ(st.status().code(), Code::kUnsupported);
  const std::string& m = st.status().message();
  EXPECT_NE(m.find("\"" + name.substr(0, 100) + "...\""), std::string::npos) << m;
  EXPECT_LT(m.size(), 250u);
}

TEST(SafeTensorsValidation, Shapes) {
  const Code e = Code::kParseError;
  for (const char* shape : {"[-1]", "[1.5]", "[\"2\"]", "[null]", "[1e300]", "[9007199254740994]", "[[1]]"})
    expect_header_error(entry("t", "\"F32\"", shape, "[0,4]"), 4, e, {"shape[0]", "integer in [0, 2^53]"});
  expect_header_error(entry("t", "\"F32\"", "[1,1,1,1,1,1,1,1,1]", "[0,4]"), 4, e, {"rank 9", "limit of 8"});
  // 2^96 elements; on wasm32 the first dim alone is refused.
  expect_header_error(entry("t", "\"F32\"", "[4294967296,4294967296,4294967296]", "[0,4]"), 4, e, {"\"t\""});
  expect_header_error(entry("t", "\"F16\"", "[4000000000,4000000000,4000000000]", "[0,4]"), 4, e,
                      {"element count overflows"});
  // A zero dim makes the tensor empty however large the others are.
  const Bytes ok = make_file(entry("t", "\"F16\"", "[4000000000,4000000000,0]", "[0,0]"));
  Result<SafeTensors> st = parse(ok);
  ASSERT_TRUE(st.is_ok()) << st.status().to_string();
  EXPECT_EQ(st->tensors()[0].elements, 0u);
}

TEST(SafeTensorsValidation, DataOffsets) {
  const Code e = Code::kParseError;
  for (const char* off : {"[0]", "[0,4,8]", "[]", "{}", "4", "[-1,4]", "[0,4.5]", "[\"0\",4]", "[0,null]",
                          "[0,9007199254740994]", "[0,1e20]"})
    expect_header_error(entry("t", "\"F32\"", "[1]", off), 4, e, {"\"t\"", "data_offsets must be two"});
  expect_header_error(entry("t", "\"F32\"", "[1]", "[8,4]"), 8, e, {"[8, 4)", "begin after they end"});
  expect_header_error(entry("t", "\"F32\"", "[1]", "[0,4]"), 3, e,
                      {"end beyond the data section of 3 bytes"});
  expect_header_error(entry("t", "\"F32\"", "[1]", "[9007199254740988,9007199254740992]"), 3, e,
                      {"end beyond"});
  expect_header_error(entry("t", "\"F32\"", "[2]", "[0,4]"), 4, e, {"2 F32 elements of 4 bytes", "4 bytes"});
  expect_header_error(entry("t", "\"F32\"", "[1]", "[0,8]"), 8, e, {"do not fill"});
  expect_header_error(entry("t", "\"F16\"", "[1]", "[0,3]"), 4, e, {"do not fill"});
  expect_header_error(entry("t", "\"BF16\"", "[2,2]", "[0,4]"), 8, e, {"4 BF16 elements"});
  expect_header_error(entry("t", "\"F32\"", "[0]", "[0,4]"), 4, e, {"do not fill"});
  // 2^62 F32 elements (2^64 bytes) against a 4-byte range: no wrap-around.
  expect_header_error(entry("t", "\"F32\"", "[2147483648,2147483648]", "[0,0]"), 4, e, {"\"t\""});
}

TEST(SafeTensorsValidation, Overlaps) {
  const auto two = [](const char* a, const char* b) {
    return std::string("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":") + a +
           "},\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":" + b + "}}";
  };
  expect_header_error(two("[0,8]", "[6,10]"), 16, Code::kParseError,
                      {"\"a\" [0, 8)", "\"b\" [6, 10)", "overlap"});
  expect_header_error(two("[4,12]", "[2,6]"), 16, Code::kParseError,
                      {"\"b\" [2, 6) and \"a\" [4, 12) overlap"});
  expect_header_error(two("[0,8]", "[2,6]"), 16, Code::kParseError, {"overlap"});  // contained
  // Overlap with an earlier, longer tensor that is not the latest to start.
  expect_header_error(
      R"({"long":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
      R"("x":{"dtype":"F16","shape":[1],"data_offsets":[2,4]},"y":{"dtype":"F16","shape":[1],"data_offsets":[8,10]}})",
      16, Code::kParseError, {"\"long\"", "overlap"});
  // Identical ranges alias: refused. Adjacent ranges, holes and empty
  // tensors inside another's bytes share nothing: accepted.
  const std::string same = R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},)"
                           R"("b":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})";
  expect_header_error(same, 4, Code::kParseError, {"overlap"});
  for (const std::string& ok : {two("[0,8]", "[8,12]"), two("[4,12]", "[0,4]"), two("[0,8]", "[12,16]")}) {
    const Bytes f = make_file(ok, Bytes(16));
    EXPECT_TRUE(parse(f).is_ok()) << ok;
  }
  const Bytes empty_inside = make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                       R"("e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})",
                                       Bytes(8));
  EXPECT_TRUE(parse(empty_inside).is_ok());
}

TEST(SafeTensorsValidation, DuplicateNames) {
  expect_header_error(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
                      R"("a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})",
                      0, Code::kParseError, {"duplicate key"});
}

TEST(SafeTensorsValidation, EveryTruncationIsAnError) {
  const Bytes file =
      Writer().metadata(R"({"k":"v"})").f32("a", "[3]", {1, 2, 3}).half("b", "F16", "[2]", {1, 2}).bytes();
  ASSERT_TRUE(parse(file).is_ok());
  for (std::size_t n = 0; n < file.size(); ++n) {
    const Bytes cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(parse(cut).is_ok()) << n;
  }
}

TEST(SafeTensorsValidation, CorruptedBytesNeverCrash) {
  const Bytes file = Writer().f32("a", "[3]", {1, 2, 3}).half("b", "BF16", "[2,1]", {1, 2}).bytes();
  std::mt19937 rng(7);
  std::vector<float> out;
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes f = file;
    for (int e = 0; e < 1 + iter % 3; ++e) f[rng() % f.size()] = static_cast<std::uint8_t>(rng());
    const Result<SafeTensors> st = parse(f);
    if (!st.is_ok()) continue;
    for (const io::TensorInfo& t : st->tensors()) {
      ASSERT_LE(t.end, st->data_size());
      out.resize(t.elements);
      st->read_f32(t, out.data());
    }
  }
}

}  // namespace
}  // namespace attnscope
