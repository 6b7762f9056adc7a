#include "tokenizer/unicode.hpp"

#include <algorithm>
#include <array>

#include "tokenizer/attributes.hpp"

namespace attnscope::tokenizer::unicode {
namespace {

#include "tokenizer/unicode_tables.inc"

constexpr unsigned kClassMask = 7;
constexpr unsigned kCasedBit = 1u << 3;
constexpr unsigned kCaseIgnorableBit = 1u << 4;

std::uint32_t read_varint(const unsigned char* data, std::size_t& pos) {
  std::uint32_t n = 0;
  for (unsigned shift = 0;; shift += 7) {
    const unsigned char b = data[pos++];
    n |= static_cast<std::uint32_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) return n;
  }
}
std::int32_t unzigzag(std::uint32_t n) {
  return (n & 1) ? -static_cast<std::int32_t>((n + 1) >> 1) : static_cast<std::int32_t>(n >> 1);
}

// The checked-in tables are varint streams (small in the wasm data segment);
// they are expanded once, on first use, into arrays for binary search.
struct PropTable {
  std::vector<std::uint32_t> starts;
  std::vector<std::uint8_t> props;
  std::array<std::uint8_t, 256> latin1{};  // the common case without a search

  ATTNSCOPE_TOKENIZER_COLD PropTable() {
    starts.reserve(kPropRunCount);
    props.reserve(kPropRunCount);
    std::size_t pos = 0;
    std::uint32_t cp = 0;
    for (unsigned i = 0; i < kPropRunCount; ++i) {
      const std::uint32_t v = read_varint(kPropRuns, pos);
      cp += v >> 5;
      starts.push_back(cp);
      props.push_back(static_cast<std::uint8_t>(v & 31));
    }
    for (std::uint32_t c = 0; c < 256; ++c) latin1[c] = search(c);
  }
  std::uint8_t search(std::uint32_t cp) const {
    const auto it = std::upper_bound(starts.begin(), starts.end(), cp);
    return it == starts.begin() ? 0 : props[static_cast<std::size_t>(it - starts.begin()) - 1];
  }
  std::uint8_t get(char32_t cp) const { return cp < 256 ? latin1[cp] : search(cp); }
};

const PropTable& prop_table() {
  static const PropTable table;
  return table;
}

struct LowerRun {
  std::uint32_t start, length, stride;
  std::int32_t delta;
};
struct LowerTable {
  std::vector<LowerRun> runs;  // sorted by start, non-overlapping spans
  ATTNSCOPE_TOKENIZER_COLD LowerTable() {
    runs.reserve(kLowerRunCount);
    std::size_t pos = 0;
    std::uint32_t cp = 0;
    for (unsigned i = 0; i < kLowerRunCount; ++i) {
      LowerRun r{};
      cp += read_varint(kLowerRuns, pos);
      r.start = cp;
      r.length = read_varint(kLowerRuns, pos);
      r.delta = unzigzag(read_varint(kLowerRuns, pos));
      r.stride = read_varint(kLowerRuns, pos);
      runs.push_back(r);
    }
  }
};

const LowerTable& lower_table() {
  static const LowerTable table;
  return table;
}

struct StripTable {
  std::vector<std::uint32_t> sources;  // sorted
  std::vector<std::uint32_t> offsets;  // into targets; one more than sources
  std::vector<char32_t> targets;
  ATTNSCOPE_TOKENIZER_COLD StripTable() {
    sources.reserve(kStripEntryCount);
    offsets.reserve(kStripEntryCount + 1);
    std::size_t pos = 0;
    std::uint32_t src = 0;
    std::int64_t tgt = 0;
    for (unsigned i = 0; i < kStripEntryCount; ++i) {
      const std::uint32_t v = read_varint(kStripEntries, pos);
      src += v >> 2;
      sources.push_back(src);
      offsets.push_back(static_cast<std::uint32_t>(targets.size()));
      for (std::uint32_t k = 0; k < (v & 3); ++k) {
        tgt += unzigzag(read_varint(kStripEntries, pos));
        targets.push_back(static_cast<char32_t>(tgt));
      }
    }
    offsets.push_back(static_cast<std::uint32_t>(targets.size()));
  }
};

const StripTable& strip_table() {
  static const StripTable table;
  return table;
}

unsigned mc_ccc(char32_t cp) {
  for (const unsigned e : kMcNonStarters)
    if ((e >> 8) == cp) return e & 0xFF;
  return 0;
}

constexpr char32_t kCapitalSigma = 0x3A3, kSmallSigma = 0x3C3, kFinalSigma = 0x3C2;

// Hangul syllables decompose algorithmically (Unicode 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kTCount = 28, kNCount = 21 * 28, kSCount = 11172;

}  // namespace

const char* version() {
  return ATTNSCOPE_UNICODE_VERSION;
}

Decoded decode(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {b0, 1, true};
  std::uint32_t need;
  char32_t cp;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // no overlongs
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {kReplacement, 1, false};
  }
  std::uint32_t len = 1;
  for (std::uint32_t k = 0; k < need; ++k) {
    if (i + len >= s.size()) return {kReplacement, len, false};
    const auto b = static_cast<unsigned char>(s[i + len]);
    if (b < (k == 0 ? lo : 0x80) || b > (k == 0 ? hi : 0xBF)) return {kReplacement, len, false};
    cp = (cp << 6) | (b & 0x3F);
    ++len;
  }
  return {cp, len, true};
}

std::string to_valid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    const Decoded d = decode(bytes, i);
    if (d.valid)
      out.append(bytes.substr(i, d.len));
    else
      append_utf8(out, kReplacement);
    i += d.len;
  }
  return out;
}

Class char_class(char32_t cp) {
  return static_cast<Class>(prop_table().get(cp) & kClassMask);
}
bool is_cased(char32_t cp) {
  return prop_table().get(cp) & kCasedBit;
}
bool is_case_ignorable(char32_t cp) {
  return prop_table().get(cp) & kCaseIgnorableBit;
}

bool is_js_space(char32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20;
  return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

bool is_python_space(char32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

char32_t simple_lower(char32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  const auto& runs = lower_table().runs;
  auto it = std::upper_bound(runs.begin(), runs.end(), cp,
                             [](char32_t c, const LowerRun& r) { return c < r.start; });
  if (it == runs.begin()) return cp;
  const LowerRun& r = *--it;
  const std::uint32_t off = cp - r.start;
  if (off % r.stride == 0 && off / r.stride < r.length)
    return static_cast<char32_t>(std::int64_t{cp} + r.delta);
  return cp;
}

void lower_word(const std::vector<Mapped>& in, std::vector<Mapped>& out) {
  out.clear();
  out.reserve(in.size() + 1);
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char32_t c = in[i].cp;
    if (c == 0x130) {  // İ -> i + combining dot above (SpecialCasing)
      out.push_back({'i', in[i].source});
      out.push_back({0x307, in[i].source});
    } else if (c == kCapitalSigma) {
      // CPython's handle_capital_sigma: final when a cased letter precedes
      // (skipping case-ignorables) and none follows.
      std::size_t j = i;
      while (j > 0 && is_case_ignorable(in[j - 1].cp)) --j;
      bool final_sigma = j > 0 && is_cased(in[j - 1].cp);
      if (final_sigma) {
        std::size_t k = i + 1;
        while (k < in.size() && is_case_ignorable(in[k].cp)) ++k;
        final_sigma = k == in.size() || !is_cased(in[k].cp);
      }
      out.push_back({final_sigma ? kFinalSigma : kSmallSigma, in[i].source});
    } else {
      out.push_back({simple_lower(c), in[i].source});
    }
  }
}

void strip_accents(const std::vector<Mapped>& in, std::vector<Mapped>& out) {
  out.clear();
  out.reserve(in.size());
  const StripTable& table = strip_table();
  // Survivors with a nonzero combining class are sorted (stably) by it within
  // a run delimited by starters, as NFD's canonical reordering would have.
  std::size_t run_start = 0;
  auto push = [&](char32_t cp, std::uint32_t source) {
    const unsigned ccc = mc_ccc(cp);
    if (ccc == 0) {
      out.push_back({cp, source});
      run_start = out.size();
      return;
    }
    std::size_t pos = out.size();
    out.push_back({cp, source});
    while (pos > run_start && mc_ccc(out[pos - 1].cp) > ccc) {
      std::swap(out[pos - 1], out[pos]);
      --pos;
    }
  };
  for (const Mapped& m : in) {
    const char32_t c = m.cp;
    if (c < 0xC0) {  // nothing below U+00C0 decomposes
      push(c, m.source);
      continue;
    }
    if (c >= kSBase && c < kSBase + kSCount) {
      const char32_t s = c - kSBase;
      push(kLBase + s / kNCount, m.source);
      push(kVBase + (s % kNCount) / kTCount, m.source);
      if (s % kTCount) push(kTBase + s % kTCount, m.source);
      continue;
    }
    const Class cls = char_class(c);
    if (cls == Class::kMn) continue;
    if (cls == Class::kMn0) {  // dropped, but it still separates reordering runs
      run_start = out.size();
      continue;
    }
    const auto it =
        std::lower_bound(table.sources.begin(), table.sources.end(), static_cast<std::uint32_t>(c));
    if (it != table.sources.end() && *it == c) {
      const auto k = static_cast<std::size_t>(it - table.sources.begin());
      for (std::uint32_t t = table.offsets[k]; t < table.offsets[k + 1]; ++t)
        push(table.targets[t], m.source);
    } else {
      push(c, m.source);
    }
  }
}

}  // namespace attnscope::tokenizer::unicode
