// deltamac LUT-network harness: drives deltamac_lutnet_top's AXI4-Stream ports cycle by cycle.
//
//   lutnet_harness --images FILE --results FILE [--seed S] [--idle P] [--stall P] [--burst N]
//       FILE: raw uint8 features, LUT_IN_PIXELS per image. Runs, after reset:
//         phase 0 "latency": image 0 alone, no idle, no backpressure;
//         phase 1 "stream":  every image back to back, with seeded random idle cycles on s_axis
//                            (--idle) and backpressure on m_axis (--stall), each cycle blocked
//                            with that probability;
//         phase 2 "burst":   only when --idle or --stall is non-zero: the first --burst images back
//                            to back without idle or backpressure (clean throughput measurement).
//       Writes one line per result to --results:
//         phase image first_cycle done_cycle class score_0 .. score_{NUM_CLASSES-1}
//       (first_cycle: edge at which the image's first beat was accepted; done_cycle: edge at
//       which its result beat was accepted) and prints a JSON summary on stdout.
//
// The package constants the C++ needs come as -D defines from sim/harness/build.py (read from
// the export's manifest; the build stamp ties the binary to the export). The table files are
// read by $readmemh relative to the working directory (the export directory).
// Any protocol violation or stall is a fatal error (exit 3) naming the cycle and the image.

#include "Vdeltamac_lutnet_top.h"
#include "verilated.h"

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#if !defined(LUT_IN_PIXELS) || !defined(LUT_PIXELS_PER_BEAT) || !defined(LUT_NUM_CLASSES) || !defined(LUT_SCORE_BITS)
#error "compile with -DLUT_IN_PIXELS, -DLUT_PIXELS_PER_BEAT, -DLUT_NUM_CLASSES, -DLUT_SCORE_BITS (sim/harness/build.py does)"
#endif

namespace {

constexpr uint32_t kBeats = LUT_IN_PIXELS / LUT_PIXELS_PER_BEAT;

[[noreturn]] void fail(int code, const std::string& message) {
    std::fprintf(stderr, "lutnet_harness: error: %s\n", message.c_str());
    std::exit(code);
}

// Bytes into a port of any width Verilator chose (CData .. QData, VlWide), byte 0 in the LSBs.
template <typename T>
void put_bytes(T& port, const uint8_t* bytes, std::size_t n) {
    uint64_t value = 0;
    for (std::size_t i = 0; i < n; ++i) value |= uint64_t(bytes[i]) << (8 * i);
    port = static_cast<T>(value);
}
template <std::size_t W>
void put_bytes(VlWide<W>& port, const uint8_t* bytes, std::size_t n) {
    for (std::size_t w = 0; w < W; ++w) port[w] = 0;
    for (std::size_t i = 0; i < n; ++i) port[i / 4] |= uint32_t(bytes[i]) << (8 * (i % 4));
}

// Bits [lsb, lsb+width) of a port of any width (width <= 32).
template <typename T>
uint32_t get_bits(const T& port, uint32_t lsb, uint32_t width) {
    return static_cast<uint32_t>((uint64_t(port) >> lsb) & ((uint64_t(1) << width) - 1));
}
template <std::size_t W>
uint32_t get_bits(const VlWide<W>& port, uint32_t lsb, uint32_t width) {
    uint64_t value = 0;
    for (uint32_t b = 0; b < width; ++b) value |= uint64_t((port[(lsb + b) / 32] >> ((lsb + b) % 32)) & 1u) << b;
    return static_cast<uint32_t>(value);
}

struct Result {
    int phase;
    std::size_t image;
    uint64_t first_cycle, done_cycle;
    uint32_t cls;
    std::vector<uint32_t> scores;
};

class Harness {
  public:
    Harness(VerilatedContext* context, uint64_t seed) : top_(new Vdeltamac_lutnet_top{context}), rng_(seed) {
        top_->clk = 0;
        top_->rst = 1;
        top_->s_axis_tvalid = 0;
        top_->s_axis_tlast = 0;
        top_->s_axis_tuser = 0;
        top_->m_axis_tready = 0;
        top_->eval();
    }
    ~Harness() { top_->final(); }

    void reset(int cycles) {
        top_->rst = 1;
        for (int i = 0; i < cycles; ++i) rise();
        top_->rst = 0;
    }

    void run_phase(int phase, const std::vector<uint8_t>& images, const std::vector<std::size_t>& indices, double idle,
                   double stall, std::vector<Result>& results) {
        std::bernoulli_distribution idle_dist(idle), stall_dist(stall);
        std::vector<uint64_t> first(indices.size(), 0);
        std::size_t sent = 0, beat = 0, received = 0;
        bool s_valid = false, m_pending = false;
        uint32_t pending_class = 0;
        uint64_t last_progress = cycle_;
        while (received < indices.size()) {
            if (!s_valid && sent < indices.size()) s_valid = !(idle > 0 && idle_dist(rng_));
            const std::size_t image = sent < indices.size() ? indices[sent] : 0;
            put_bytes(top_->s_axis_tdata, &images[image * LUT_IN_PIXELS + beat * LUT_PIXELS_PER_BEAT],
                      LUT_PIXELS_PER_BEAT);
            top_->s_axis_tvalid = s_valid;
            top_->s_axis_tlast = s_valid && beat + 1 == kBeats;
            top_->s_axis_tuser = s_valid && beat == 0;
            const bool m_ready = !(stall > 0 && stall_dist(rng_));
            top_->m_axis_tready = m_ready;
            top_->eval();

            const bool s_fire = s_valid && top_->s_axis_tready;
            const bool m_valid = top_->m_axis_tvalid;
            const uint32_t m_class = top_->m_axis_tdata;
            if (m_pending && !(m_valid && m_class == pending_class))
                protocol_error(received, indices, "m_axis changed TVALID/TDATA while stalled by TREADY=0");
            if (m_valid && !top_->m_axis_tlast) protocol_error(received, indices, "result beat without TLAST");
            if (m_valid && m_ready) {
                if (received >= sent) protocol_error(received, indices, "a result before its image was sent");
                std::vector<uint32_t> scores(LUT_NUM_CLASSES);
                for (uint32_t c = 0; c < LUT_NUM_CLASSES; ++c)
                    scores[c] = get_bits(top_->m_axis_tuser, c * LUT_SCORE_BITS, LUT_SCORE_BITS);
                results.push_back(Result{phase, indices[received], first[received], cycle_, m_class, scores});
                ++received;
                last_progress = cycle_;
            }
            m_pending = m_valid && !m_ready;
            pending_class = m_class;
            if (s_fire) {
                if (beat == 0) first[sent] = cycle_;
                if (++beat == kBeats) {
                    beat = 0;
                    ++sent;
                }
                s_valid = false;
                last_progress = cycle_;
            }
            rise();
            if (cycle_ - last_progress > 100000) protocol_error(received, indices, "no progress for 100000 cycles");
        }
        top_->s_axis_tvalid = 0;
        top_->m_axis_tready = 0;
    }

    uint64_t cycle() const { return cycle_; }

  private:
    void rise() {
        top_->clk = 1;
        top_->eval();
        top_->clk = 0;
        top_->eval();
        ++cycle_;
    }

    [[noreturn]] void protocol_error(std::size_t received, const std::vector<std::size_t>& indices,
                                     const std::string& what) {
        const std::size_t image = received < indices.size() ? indices[received] : indices.back();
        fail(3, "cycle " + std::to_string(cycle_) + ", waiting for the result of image " + std::to_string(image) + ": " +
                    what);
    }

    std::unique_ptr<Vdeltamac_lutnet_top> top_;
    std::mt19937_64 rng_;
    uint64_t cycle_ = 0;
};

std::vector<uint8_t> read_images(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(2, "cannot open --images " + path);
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (data.empty() || data.size() % LUT_IN_PIXELS)
        fail(2, path + ": " + std::to_string(data.size()) + " bytes is not a positive multiple of " +
                    std::to_string(LUT_IN_PIXELS) + " features per image");
    return data;
}

}  // namespace

int main(int argc, char** argv) {
    std::string images_path, results_path;
    uint64_t seed = 1;
    double idle = 0.0, stall = 0.0;
    std::size_t burst = 256;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) fail(2, arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--images") images_path = value();
        else if (arg == "--results") results_path = value();
        else if (arg == "--seed") seed = std::stoull(value());
        else if (arg == "--idle") idle = std::stod(value());
        else if (arg == "--stall") stall = std::stod(value());
        else if (arg == "--burst") burst = std::stoull(value());
        else if (arg.rfind("+verilator", 0) == 0) continue;
        else fail(2, "unknown option " + arg);
    }
    if (images_path.empty() || results_path.empty()) fail(2, "need --images FILE and --results FILE");
    if (idle < 0 || idle >= 1 || stall < 0 || stall >= 1) fail(2, "--idle and --stall must be in [0, 1)");
    const std::vector<uint8_t> images = read_images(images_path);
    const std::size_t n = images.size() / LUT_IN_PIXELS;

    auto context = std::make_unique<VerilatedContext>();
    context->commandArgs(argc, argv);
    Harness harness(context.get(), seed);
    harness.reset(4);
    std::vector<Result> results;
    harness.run_phase(0, images, {0}, 0.0, 0.0, results);
    std::vector<std::size_t> all(n);
    for (std::size_t i = 0; i < n; ++i) all[i] = i;
    const uint64_t stream_start = harness.cycle();
    const auto wall_start = std::chrono::steady_clock::now();
    harness.run_phase(1, images, all, idle, stall, results);
    const double stream_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    const uint64_t stream_cycles = harness.cycle() - stream_start;
    uint64_t burst_cycles = 0;
    std::size_t burst_images = 0;
    if (idle > 0 || stall > 0) {
        burst_images = std::min(burst, n);
        std::vector<std::size_t> first(all.begin(), all.begin() + burst_images);
        const uint64_t start = harness.cycle();
        harness.run_phase(2, images, first, 0.0, 0.0, results);
        burst_cycles = harness.cycle() - start;
    }

    FILE* out = std::fopen(results_path.c_str(), "w");
    if (!out) fail(2, "cannot write --results " + results_path);
    for (const Result& r : results) {
        std::fprintf(out, "%d %zu %" PRIu64 " %" PRIu64 " %u", r.phase, r.image, r.first_cycle, r.done_cycle, r.cls);
        for (uint32_t s : r.scores) std::fprintf(out, " %u", s);
        std::fputc('\n', out);
    }
    std::fclose(out);
    std::printf("{\"images\": %zu, \"stream_cycles\": %" PRIu64 ", \"stream_seconds\": %.3f, \"burst_images\": %zu, "
                "\"burst_cycles\": %" PRIu64 ", \"total_cycles\": %" PRIu64 "}\n",
                n, stream_cycles, stream_seconds, burst_images, burst_cycles, harness.cycle());
    return 0;
}
