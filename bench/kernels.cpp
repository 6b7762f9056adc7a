// Kernel-level benchmarks, no JS boundary: the machine's SIMD mul+add peak and
// memory bandwidth (the limits every other figure is compared with), the GEMM
// kernel on the shapes the model uses, and the attention ops called directly
// (attnscope::attention / multi_head_attention), so the cost of the JS API's
// copies in and out shows as the difference to the end-to-end figures.
//
// Built by bench/run.mjs twice: with em++ -O3 -msimd128 (run in Node) and with
// the host compiler -O3 -march=native (AVX2/AVX-512). Prints one JSON object.
//
//   kernels [--quick] [--runs N] [--only peak|gemm|attention]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "attention/head.hpp"
#include "kernels/arch.hpp"
#include "kernels/gemm.hpp"
#if __has_include("kernels/gemm_packed.hpp")  // (absent in builds before issue 7: --only parts needs it)
#define HAVE_PARTS 1
#include "kernels/gemm_packed.hpp"
#include "kernels/softmax_fused.hpp"
#endif

namespace {

using Clock = std::chrono::steady_clock;
using attnscope::kernels::batch;

double now_ms() {
  return std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count();
}

volatile float g_sink = 0.f;  // keeps results observable

struct Stats {
  double median = 0, p10 = 0, p90 = 0, min = 0;
  int runs = 0;
};

// Times `fn` (reps calls per run) after warm-up; per-call milliseconds.
Stats measure(const std::function<void()>& fn, int runs, double min_run_ms = 2.0) {
  // Warm-up for >= 100 ms, not one call: V8 starts wasm in its baseline
  // compiler and swaps optimised code in while the first calls run, on
  // background threads that a busy page starves (in Chromium a 35 us head
  // measured 4x slow, p10 to median, after one call; after 20 ms, still in
  // some runs). Also allocations and caches.
  const double w0 = now_ms();
  do fn();
  while (now_ms() - w0 < 100.0);
  int reps = 1;
  for (;;) {  // calibrate: one run lasts >= min_run_ms, so timer resolution does not matter
    const double t0 = now_ms();
    for (int r = 0; r < reps; ++r) fn();
    const double dt = now_ms() - t0;
    if (dt >= min_run_ms || reps >= (1 << 20)) break;
    reps = dt <= 0 ? reps * 8 : std::max(reps + 1, static_cast<int>(reps * min_run_ms * 1.2 / dt));
  }
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const double t0 = now_ms();
    for (int r = 0; r < reps; ++r) fn();
    t.push_back((now_ms() - t0) / reps);
  }
  std::sort(t.begin(), t.end());
  auto q = [&](double f) { return t[static_cast<std::size_t>(std::lround(f * (t.size() - 1)))]; };
  return {q(0.5), q(0.1), q(0.9), t.front(), runs};
}

std::string json_entry(const std::string& group, const std::string& name, double flops, const Stats& s,
                       const std::string& extra = "") {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "{\"group\":\"%s\",\"name\":\"%s\",\"flops\":%.0f,\"median_ms\":%.6f,\"p10_ms\":%.6f,"
                "\"p90_ms\":%.6f,\"min_ms\":%.6f,\"runs\":%d,\"gflops\":%.3f%s}",
                group.c_str(), name.c_str(), flops, s.median, s.p10, s.p90, s.min, s.runs,
                flops > 0 ? flops / (s.median * 1e6) : 0.0, extra.c_str());
  return buf;
}

// ---------------------------------------------------------------------------
// The limit. N independent chains acc = acc * m + c of full-width vectors: one
// multiply and one add per lane per step (wasm SIMD128 has no fused
// multiply-add, so this is the best any f32x4 kernel can do; natively the
// compiler contracts it into FMA, the native kernels' peak).
// kFused: the same with kernels::madd, relaxed SIMD's fused multiply-add in
// the relaxed wasm build (its own peak, reported apart from the mul+add one).
template <int N, bool kFused = false>
double peak_chains(long steps) {
  batch acc[N];
  for (int i = 0; i < N; ++i) acc[i] = batch(1.f + 0.01f * static_cast<float>(i));
  const batch m(static_cast<float>(g_sink) + 0.999f), c(0.001f);
  for (long s = 0; s < steps; ++s)
    for (int i = 0; i < N; ++i)  // fully unrolled: acc stays in registers
      acc[i] = kFused ? attnscope::kernels::madd(acc[i], m, c) : acc[i] * m + c;
  batch total(0.f);
  for (int i = 0; i < N; ++i) total += acc[i];
  g_sink = g_sink + xsimd::reduce_add(total);
  return 2.0 * N * batch::size * static_cast<double>(steps);
}

// The GEMM form: N accumulators, each step adds the product of a register and
// a vector loaded from L1 (the products are off the accumulators' chains).
template <int N, bool kFused = false>
double peak_products(long steps) {
  alignas(64) static float table[64 * batch::size];
  for (std::size_t i = 0; i < 64 * batch::size; ++i) table[i] = 1e-3f * static_cast<float>(i % 7);
  batch acc[N];
  for (int i = 0; i < N; ++i) acc[i] = batch(static_cast<float>(i));
  const batch x0(static_cast<float>(g_sink) + 0.5f), x1(0.25f);
  for (long s = 0; s < steps; ++s) {
    const batch y = batch::load_aligned(table + (s & 63) * batch::size);
    for (int i = 0; i < N; ++i)
      acc[i] = kFused ? attnscope::kernels::madd(i & 1 ? x1 : x0, y, acc[i]) : acc[i] + (i & 1 ? x1 : x0) * y;
  }
  batch total(0.f);
  for (int i = 0; i < N; ++i) total += acc[i];
  g_sink = g_sink + xsimd::reduce_add(total);
  return 2.0 * N * batch::size * static_cast<double>(steps);
}

template <int N, bool kChains, bool kFused = false>
std::string bench_peak(int runs, double& best) {
  const long steps = 200000;
  const double flops = 2.0 * N * batch::size * steps;
  const Stats s =
      measure([] { kChains ? peak_chains<N, kFused>(steps) : peak_products<N, kFused>(steps); }, runs);
  best = std::max(best, flops / (s.median * 1e6));
  const char* name = kFused ? (kChains ? "fma chains x" : "acc = fma(x,y,acc)(L1) x")
                            : (kChains ? "mul+add chains x" : "acc += x*y(L1) x");
  return json_entry(kFused ? "fma peak" : "peak", name + std::to_string(N), flops, s);
}

// Memory bandwidth: a streaming read (sum) and a copy, over buffers far larger
// than the last-level cache.
std::vector<std::string> bench_bandwidth(int runs, double& read_gbs) {
  std::vector<std::string> out;
  const std::size_t n = std::size_t(64) << 20 >> 2;  // 64 MiB of floats
  std::vector<float> a(n, 1.f), b(n, 0.f);
  const Stats r = measure(
      [&] {
        batch s0(0.f), s1(0.f), s2(0.f), s3(0.f);
        constexpr std::size_t W = batch::size;
        for (std::size_t i = 0; i + 4 * W <= n; i += 4 * W) {
          s0 += batch::load_unaligned(&a[i]);
          s1 += batch::load_unaligned(&a[i + W]);
          s2 += batch::load_unaligned(&a[i + 2 * W]);
          s3 += batch::load_unaligned(&a[i + 3 * W]);
        }
        g_sink = g_sink + xsimd::reduce_add(s0 + s1 + s2 + s3);
      },
      runs);
  read_gbs = n * 4.0 / (r.median * 1e6);
  char extra[64];
  std::snprintf(extra, sizeof extra, ",\"gbs\":%.3f", read_gbs);
  out.push_back(json_entry("bandwidth", "read 64 MiB", 0, r, extra));
  const Stats c = measure(
      [&] {
        std::memcpy(b.data(), a.data(), n * 4);
        g_sink = g_sink + b[n / 2];
      },
      runs);
  std::snprintf(extra, sizeof extra, ",\"gbs\":%.3f", 2.0 * n * 4.0 / (c.median * 1e6));
  out.push_back(json_entry("bandwidth", "copy 64 MiB (read+write)", 0, c, extra));
  return out;
}

// ---------------------------------------------------------------------------
std::vector<float> random_floats(std::size_t n, std::uint32_t seed, float scale = 1.f) {
  std::vector<float> v(n);
  std::uint32_t x = seed * 2654435761u + 12345u;
  for (auto& f : v) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    f = scale * (static_cast<float>(x >> 8) / 8388608.f - 1.f);
  }
  return v;
}

std::string bench_gemm(const char* name, attnscope::kernels::Transpose tb, std::size_t M, std::size_t N,
                       std::size_t K, int runs) {
  using attnscope::kernels::Transpose;
  const std::size_t brows = tb == Transpose::kNo ? K : N;
  const std::size_t ldb = tb == Transpose::kNo ? N : K;
  const auto A = random_floats(M * K, 1), B = random_floats(brows * ldb, 2);
  std::vector<float> C(M * N);
  const Stats s = measure(
      [&] {
        attnscope::kernels::gemm(tb, M, N, K, 1.f, A.data(), K, B.data(), ldb, 0.f, C.data(), N);
        g_sink = g_sink + C[0];
      },
      runs);
  char label[128];
  std::snprintf(label, sizeof label, "%s %s M=%zu N=%zu K=%zu", name, tb == Transpose::kNo ? "NN" : "NT", M,
                N, K);
  return json_entry("gemm", label, 2.0 * M * N * K, s);
}

// Scaled-dot attention for `heads` heads of [T, d] (self-attention, S = T),
// one attnscope::attention call per head: the C++ op the JS API wraps.
std::string bench_attention(std::size_t T, std::size_t d, std::size_t heads, int runs, bool causal = false) {
  const auto q = random_floats(heads * T * d, 3), k = random_floats(heads * T * d, 4),
             v = random_floats(heads * T * d, 5);
  attnscope::AttentionOptions o;
  o.mask.causal = causal;
  const Stats s = measure(
      [&] {
        for (std::size_t h = 0; h < heads; ++h) {
          const std::size_t off = h * T * d;
          auto r = attnscope::attention(attnscope::MatrixRef(q.data() + off, T, d),
                                        attnscope::MatrixRef(k.data() + off, T, d),
                                        attnscope::MatrixRef(v.data() + off, T, d), o);
          g_sink = g_sink + r.value().context(0, 0);
        }
      },
      runs);
  char label[128];
  std::snprintf(label, sizeof label, "T=%zu d=%zu heads=%zu%s", T, d, heads, causal ? " causal" : "");
  return json_entry("attention", label, 4.0 * heads * T * T * d, s);
}

#ifdef HAVE_PARTS
// Where one head's time goes (T = S, scaled dot): the pieces attend_head is
// made of, each timed alone, and attend_head itself on preallocated outputs.
std::vector<std::string> bench_parts(std::size_t T, std::size_t d, int runs) {
  using attnscope::kernels::Transpose;
  std::vector<std::string> out;
  const auto q = random_floats(T * d, 3), k = random_floats(T * d, 4), v = random_floats(T * d, 5);
  std::vector<float> kp(attnscope::kernels::packed_size(T, d)), vp(attnscope::kernels::packed_size(d, T));
  std::vector<float> w(T * T), sc(T * T), ctx(T * d);
  char label[128];
  auto add = [&](const char* what, double flops, const Stats& s) {
    std::snprintf(label, sizeof label, "T=%zu d=%zu: %s", T, d, what);
    out.push_back(json_entry("parts", label, flops, s));
  };
  add("pack K^T and V", 0,
      measure(
          [&] {
            attnscope::kernels::pack_b(Transpose::kYes, T, d, k.data(), d, kp.data());
            attnscope::kernels::pack_b(Transpose::kNo, d, T, v.data(), d, vp.data());
          },
          runs));
  add("Q K^T (packed)", 2.0 * T * T * d,
      measure(
          [&] {
            attnscope::kernels::gemm_packed(T, T, d, 0.125f, q.data(), d, kp.data(), d, 0.f, w.data(), T);
          },
          runs));
  add("softmax rows", 0,
      measure(
          [&] {
            for (std::size_t i = 0; i < T; ++i)
              attnscope::kernels::softmax_row_finite(w.data() + i * T, T, T, nullptr, 1.f);
          },
          runs));
  add("copy scores", 0, measure([&] { std::memcpy(sc.data(), w.data(), T * T * 4); }, runs));
  add("weights V (packed)", 2.0 * T * T * d,
      measure(
          [&] {
            attnscope::kernels::gemm_packed(T, d, T, 1.f, w.data(), T, vp.data(), T, 0.f, ctx.data(), d);
          },
          runs));
  attnscope::detail::Scratch scratch;
  const attnscope::detail::MaskPlan mask;
  attnscope::detail::HeadScoring scoring;
  add("attend_head (no scores)", 4.0 * T * T * d,
      measure(
          [&] {
            (void)attnscope::detail::attend_head(attnscope::MatrixRef(q.data(), T, d),
                                                 attnscope::MatrixRef(k.data(), T, d),
                                                 attnscope::MatrixRef(v.data(), T, d), scoring, mask, 1.f,
                                                 nullptr, w.data(), ctx.data(), d, scratch);
          },
          runs));
  add("attend_head (with scores)", 4.0 * T * T * d,
      measure(
          [&] {
            (void)attnscope::detail::attend_head(attnscope::MatrixRef(q.data(), T, d),
                                                 attnscope::MatrixRef(k.data(), T, d),
                                                 attnscope::MatrixRef(v.data(), T, d), scoring, mask, 1.f,
                                                 sc.data(), w.data(), ctx.data(), d, scratch);
          },
          runs));
  add("attnscope::attention (allocates results)", 4.0 * T * T * d,
      measure(
          [&] {
            auto r = attnscope::attention(attnscope::MatrixRef(q.data(), T, d),
                                          attnscope::MatrixRef(k.data(), T, d),
                                          attnscope::MatrixRef(v.data(), T, d));
            g_sink = g_sink + r.value().context(0, 0);
          },
          runs));
  return out;
}
#endif

// Additive (Bahdanau) scoring, hidden width h = d, one head.
std::string bench_additive(std::size_t T, std::size_t d, int runs) {
  const auto q = random_floats(T * d, 3), k = random_floats(T * d, 4), v = random_floats(T * d, 5);
  const auto w1 = random_floats(d * d, 6, 0.1f), w2 = random_floats(d * d, 7, 0.1f), va = random_floats(d, 8);
  attnscope::AttentionOptions o;
  o.scoring = attnscope::Scoring::kAdditive;
  o.params.additive_w1 = attnscope::MatrixRef(w1.data(), d, d);
  o.params.additive_w2 = attnscope::MatrixRef(w2.data(), d, d);
  o.params.additive_v = attnscope::VectorRef(va.data(), d);
  const Stats s = measure(
      [&] {
        auto r =
            attnscope::attention(attnscope::MatrixRef(q.data(), T, d), attnscope::MatrixRef(k.data(), T, d),
                                 attnscope::MatrixRef(v.data(), T, d), o);
        g_sink = g_sink + r.value().context(0, 0);
      },
      runs);
  char label[128];
  std::snprintf(label, sizeof label, "additive T=%zu d=%zu h=%zu", T, d, d);
  // projections 2*2*T*d*h, scores 3 flops (add, tanh counted as 1, mul+add) x T*S*h, context 2*T*S*d
  const double flops = 4.0 * T * d * d + 3.0 * T * T * d + 2.0 * T * T * d;
  return json_entry("additive", label, flops, s);
}

// Multi-head attention with projections (dModel = d * heads).
std::string bench_mha(std::size_t T, std::size_t d, std::size_t heads, int runs) {
  const std::size_t D = d * heads;
  const auto x = random_floats(T * D, 9);
  const auto wq = random_floats(D * D, 10, 0.05f), wk = random_floats(D * D, 11, 0.05f),
             wv = random_floats(D * D, 12, 0.05f), wo = random_floats(D * D, 13, 0.05f);
  attnscope::MultiHeadParams p;
  p.heads = heads;
  p.wq = attnscope::MatrixRef(wq.data(), D, D);
  p.wk = attnscope::MatrixRef(wk.data(), D, D);
  p.wv = attnscope::MatrixRef(wv.data(), D, D);
  p.wo = attnscope::MatrixRef(wo.data(), D, D);
  const attnscope::MatrixRef X(x.data(), T, D);
  const Stats s = measure(
      [&] {
        auto r = attnscope::multi_head_attention(X, X, X, p);
        g_sink = g_sink + r.value().output(0, 0);
      },
      runs);
  char label[128];
  std::snprintf(label, sizeof label, "mha T=%zu d=%zu heads=%zu", T, d, heads);
  return json_entry("mha", label, 8.0 * T * D * D + 4.0 * heads * T * T * d, s);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int runs = 21;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick")
      quick = true;
    else if (a == "--runs" && i + 1 < argc)
      runs = std::atoi(argv[++i]);
    else if (a == "--only" && i + 1 < argc)
      only = argv[++i];
  }
  if (quick) runs = std::min(runs, 5);
  using attnscope::kernels::Transpose;
  std::vector<std::string> entries;
  double peak = 0, fma_peak = 0, read_gbs = 0;
  if (only.empty() || only == "peak") {
    entries.push_back(bench_peak<8, true>(runs, peak));
    entries.push_back(bench_peak<10, true>(runs, peak));
    entries.push_back(bench_peak<12, true>(runs, peak));
    entries.push_back(bench_peak<8, false>(runs, peak));
    entries.push_back(bench_peak<10, false>(runs, peak));
    entries.push_back(bench_peak<12, false>(runs, peak));
#ifdef __wasm_relaxed_simd__
    entries.push_back(bench_peak<8, true, true>(runs, fma_peak));
    entries.push_back(bench_peak<12, true, true>(runs, fma_peak));
    entries.push_back(bench_peak<8, false, true>(runs, fma_peak));
    entries.push_back(bench_peak<10, false, true>(runs, fma_peak));
    entries.push_back(bench_peak<12, false, true>(runs, fma_peak));
#endif
    for (auto& e : bench_bandwidth(quick ? 3 : std::min(runs, 11), read_gbs)) entries.push_back(e);
  }
  if (only.empty() || only == "gemm") {
    // Attention: Q·K^T (NT, K = d) and alpha·V (NN, K = S).
    entries.push_back(bench_gemm("scores", Transpose::kYes, 512, 512, 64, runs));
    entries.push_back(bench_gemm("context", Transpose::kNo, 512, 64, 512, runs));
    // GPT-2 small over 64 tokens: qkv, mlp in, mlp out; the appended token (M = 1).
    entries.push_back(bench_gemm("gpt2 qkv", Transpose::kNo, 64, 2304, 768, runs));
    entries.push_back(bench_gemm("gpt2 fc", Transpose::kNo, 64, 3072, 768, runs));
    entries.push_back(bench_gemm("gpt2 proj", Transpose::kNo, 64, 768, 3072, runs));
    entries.push_back(bench_gemm("gpt2 fc gemv", Transpose::kNo, 1, 3072, 768, runs));
    entries.push_back(bench_gemm("linear", Transpose::kYes, 128, 768, 768, runs));
    entries.push_back(bench_gemm("linear", Transpose::kYes, 16, 768, 768, runs));
    entries.push_back(bench_gemm("linear", Transpose::kYes, 1, 768, 768, runs));
  }
  if (only.empty() || only == "attention") {
    entries.push_back(bench_attention(16, 64, 12, runs));
    entries.push_back(bench_attention(128, 64, 12, runs));
    entries.push_back(bench_attention(512, 64, 12, runs));
    entries.push_back(bench_attention(2048, 64, 1, runs));
    entries.push_back(bench_attention(512, 64, 12, runs, true));
    entries.push_back(bench_additive(128, 64, runs));
    entries.push_back(bench_mha(128, 64, 12, runs));
  }
#ifdef HAVE_PARTS
  if (only == "parts") {
    for (auto& e : bench_parts(512, 64, runs)) entries.push_back(e);
    for (auto& e : bench_parts(128, 64, runs)) entries.push_back(e);
  }
#endif
  std::printf(
      "{\"arch\":\"%s\",\"lanes\":%zu,\"peak_gflops\":%.3f,\"fma_peak_gflops\":%.3f,\"read_gbs\":%.3f,"
      "\"entries\":[\n",
      attnscope::kernels::arch_name(), batch::size, peak, fma_peak, read_gbs);
  for (std::size_t i = 0; i < entries.size(); ++i)
    std::printf("%s%s\n", entries[i].c_str(), i + 1 < entries.size() ? "," : "");
  std::printf("]}\n");
  return 0;
}
