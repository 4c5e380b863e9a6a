// deltamac whole-test-set harness: drives deltamac_top's AXI4-Stream ports cycle by cycle.
//
//   harness --describe
//       print OUT_LOGITS, X_RANDOM and the compiled deltamac_net_pkg constants as JSON and exit.
//   harness --images FILE --results FILE [--seed S] [--idle P] [--stall P] [--burst N]
//       FILE: raw uint8 pixels, IN_PIXELS per image. Runs, after reset:
//         phase 0 "latency": image 0 alone, no idle, no backpressure;
//         phase 1 "stream":  every image back to back, with seeded random idle cycles on s_axis
//                            (--idle) and backpressure on m_axis (--stall): each cycle is blocked
//                            with that probability, and with 1/1000 of it a long gap of up to two
//                            image times starts (so results and images back up inside the DUT);
//         phase 2 "burst":   only when --idle or --stall is non-zero: the first --burst images back
//                            to back without idle or backpressure (clean throughput measurement).
//       Writes one line per result to --results:
//         phase image first_cycle done_cycle class logit_0 .. logit_{NUM_CLASSES-1}
//       (no logits when built with OUT_LOGITS = 0: the DUT then sends the class only)
//       (first_cycle: clock edge at which the image's first pixel was accepted; done_cycle: edge
//       at which the class beat with TLAST was accepted), and prints a JSON summary on stdout.
//
// The ROM files are read by $readmemh relative to the working directory (the export directory).
// Built with HARNESS_X_RANDOM=1 (and Verilator's --x-initial/--x-assign unique), X values are
// random, seeded with --seed; with 0 (--x-initial/--x-assign fast) they are 0.
// Any protocol violation, frame error or stall is a fatal error (exit 3) naming cycle and image.

#include "Vdeltamac_harness_top.h"
#include "verilated.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#ifndef HARNESS_X_RANDOM
#error "compile with -DHARNESS_X_RANDOM=0 or 1 (sim/harness/build.py does)"
#endif

namespace {

[[noreturn]] void fail(int code, const std::string& message) {
    std::fprintf(stderr, "harness: error: %s\n", message.c_str());
    std::exit(code);
}

// One 32-bit field of a packed per-layer table, whatever C++ type Verilator chose for the port.
uint32_t field(IData value, int index) { return index == 0 ? value : 0; }
uint32_t field(QData value, int index) { return static_cast<uint32_t>(value >> (32 * index)); }
template <std::size_t W>
uint32_t field(const VlWide<W>& value, int index) { return value.at(index); }

struct Config {
    uint32_t out_logits, num_layers, in_pixels, num_classes, pixels_per_beat;
    std::vector<std::pair<const char*, uint32_t>> scalars;  // the other package scalars
    std::vector<std::pair<const char*, std::vector<uint32_t>>> tables;

    explicit Config(const Vdeltamac_harness_top& top)
        : out_logits(top.cfg_out_logits), num_layers(top.cfg_num_layers), in_pixels(top.cfg_in_pixels),
          num_classes(top.cfg_num_classes), pixels_per_beat(top.cfg_pixels_per_beat) {
        scalars = {{"ACT_BITS", top.cfg_act_bits}, {"ACC_BITS", top.cfg_acc_bits}, {"BIAS_BITS", top.cfg_bias_bits},
                   {"MULT_BITS", top.cfg_mult_bits}};
        add(top.cfg_layer_n_in, "LAYER_N_IN");
        add(top.cfg_layer_n_out, "LAYER_N_OUT");
        add(top.cfg_layer_chunks, "LAYER_CHUNKS");
        add(top.cfg_layer_group_words, "LAYER_GROUP_WORDS");
        add(top.cfg_layer_delta_shift, "LAYER_DELTA_SHIFT");
        add(top.cfg_layer_req_shift, "LAYER_REQ_SHIFT");
        add(top.cfg_layer_in_signed, "LAYER_IN_SIGNED");
        add(top.cfg_layer_out_signed, "LAYER_OUT_SIGNED");
        add(top.cfg_layer_act_bits, "LAYER_ACT_BITS");
#ifdef DELTAMAC_DATAFLOW
        scalars.emplace_back("ARCHITECTURE", top.cfg_architecture);
        add(top.cfg_layer_lanes, "LAYER_LANES");
        add(top.cfg_layer_neurons, "LAYER_NEURONS");
        add(top.cfg_layer_lane_kind, "LAYER_LANE_KIND");
        add(top.cfg_layer_scheme, "LAYER_SCHEME");
        add(top.cfg_layer_weight_bits, "LAYER_WEIGHT_BITS");
        add(top.cfg_layer_delta_bits, "LAYER_DELTA_BITS");
        add(top.cfg_layer_in_bits, "LAYER_IN_BITS");
#else
        for (const auto& entry : std::vector<std::pair<const char*, uint32_t>>{
                 {"LANES", top.cfg_lanes}, {"SCHEME", top.cfg_scheme}, {"WEIGHT_BITS", top.cfg_weight_bits},
                 {"DELTA_BITS", top.cfg_delta_bits}, {"MAX_CHUNKS", top.cfg_max_chunks},
                 {"DELTA_ROM_DEPTH", top.cfg_delta_rom_depth}, {"REF_ROM_DEPTH", top.cfg_ref_rom_depth},
                 {"NEURON_ROM_DEPTH", top.cfg_neuron_rom_depth}})
            scalars.push_back(entry);
        add(top.cfg_layer_delta_base, "LAYER_DELTA_BASE");
        add(top.cfg_layer_ref_base, "LAYER_REF_BASE");
        add(top.cfg_layer_neuron_base, "LAYER_NEURON_BASE");
#endif
    }

    uint32_t scalar(const char* name) const {
        for (const auto& entry : scalars)
            if (std::strcmp(entry.first, name) == 0) return entry.second;
        fail(2, std::string("no constant ") + name);
    }

    // The ROM images $readmemh reads from the working directory (no reference ROM for plain).
    std::vector<std::string> rom_files() const {
        std::vector<std::string> files;
#ifdef DELTAMAC_DATAFLOW
        for (uint32_t l = 0; l < num_layers; ++l)
            for (const char* rom : {"delta", "ref", "bias", "mult"})
                if (std::strcmp(rom, "ref") != 0 || table("LAYER_SCHEME")[l] != 0)
                    files.push_back("l" + std::to_string(l) + "_" + rom + ".mem");
#else
        for (const char* rom : {"delta", "ref", "bias", "mult"})
            if (std::strcmp(rom, "ref") != 0 || scalar("SCHEME") != 0) files.push_back(std::string(rom) + ".mem");
#endif
        return files;
    }

    template <typename T>
    void add(const T& port, const char* name) {
        std::vector<uint32_t> values;
        for (uint32_t l = 0; l < num_layers; ++l) values.push_back(field(port, static_cast<int>(l)));
        tables.emplace_back(name, values);
    }

    const std::vector<uint32_t>& table(const char* name) const {
        for (const auto& entry : tables)
            if (std::strcmp(entry.first, name) == 0) return entry.second;
        fail(2, std::string("no table ") + name);
    }

    // Cycles of pure MAC work per image (padded words), used to size the stall watchdog.
    uint64_t chunk_cycles() const {
        uint64_t total = 0;
        for (uint32_t l = 0; l < num_layers; ++l)
            total += uint64_t(table("LAYER_CHUNKS")[l]) * table("LAYER_N_OUT")[l];
        return total;
    }

    std::string json() const {
        std::ostringstream out;
        out << "{\"OUT_LOGITS\": " << out_logits << ", \"X_RANDOM\": " << HARNESS_X_RANDOM
            << ", \"NUM_LAYERS\": " << num_layers << ", \"IN_PIXELS\": " << in_pixels
            << ", \"NUM_CLASSES\": " << num_classes << ", \"PIXELS_PER_BEAT\": " << pixels_per_beat;
        for (const auto& entry : scalars) out << ", \"" << entry.first << "\": " << entry.second;
        for (const auto& entry : tables) {
            out << ", \"" << entry.first << "\": [";
            for (std::size_t l = 0; l < entry.second.size(); ++l)
                out << (l ? ", " : "") << entry.second[l];
            out << "]";
        }
        out << "}";
        return out.str();
    }
};

struct Options {
    bool describe = false;
    std::string images_path, results_path;
    uint64_t seed = 1;
    double idle = 0.0, stall = 0.0;
    std::size_t burst = 256;
};

double parse_probability(const char* flag, const char* text) {
    char* end = nullptr;
    double value = std::strtod(text, &end);
    if (*end != '\0' || !(value >= 0.0 && value < 1.0))
        fail(2, std::string(flag) + " must be a probability in [0, 1), got '" + text + "'");
    return value;
}

uint64_t parse_count(const char* flag, const char* text) {
    char* end = nullptr;
    unsigned long long value = std::strtoull(text, &end, 10);
    if (*end != '\0' || text[0] == '-' || text[0] == '\0')
        fail(2, std::string(flag) + " must be a non-negative integer, got '" + text + "'");
    return value;
}

Options parse_options(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        if (flag == "--describe") {
            options.describe = true;
            continue;
        }
        if (i + 1 >= argc) fail(2, "missing value after " + flag);
        const char* value = argv[++i];
        if (flag == "--images") options.images_path = value;
        else if (flag == "--results") options.results_path = value;
        else if (flag == "--seed") options.seed = parse_count("--seed", value);
        else if (flag == "--idle") options.idle = parse_probability("--idle", value);
        else if (flag == "--stall") options.stall = parse_probability("--stall", value);
        else if (flag == "--burst") options.burst = parse_count("--burst", value);
        else fail(2, "unknown option " + flag + " (see the comment at the top of harness.cpp)");
    }
    if (!options.describe && (options.images_path.empty() || options.results_path.empty()))
        fail(2, "usage: harness --describe | --images FILE --results FILE [--seed S] [--idle P] "
                "[--stall P] [--burst N]");
    return options;
}

// Seeded random throttling of one side of a stream (see --idle / --stall above).
class Throttle {
  public:
    Throttle(double probability, uint64_t long_gap_max)
        : active_(probability > 0.0), short_(probability), long_(probability / 1000.0),
          long_length_(1, long_gap_max) {}

    bool blocked(std::mt19937_64& rng) {
        if (gap_ > 0) {
            --gap_;
            return true;
        }
        if (!active_) return false;
        if (long_(rng)) {
            gap_ = long_length_(rng) - 1;
            return true;
        }
        return short_(rng);
    }

  private:
    bool active_;
    std::bernoulli_distribution short_, long_;
    std::uniform_int_distribution<uint64_t> long_length_;
    uint64_t gap_ = 0;
};

struct Result {
    int phase;
    std::size_t image;
    uint64_t first_cycle, done_cycle;
    uint32_t cls;
    std::vector<int32_t> logits;
};

class Harness {
  public:
    Harness(VerilatedContext* context, uint64_t seed)
        : top_(new Vdeltamac_harness_top{context}), rng_(seed) {
        top_->clk = 0;
        top_->rst = 1;
        top_->s_axis_tvalid = 0;
        top_->m_axis_tready = 0;
        top_->eval();
    }
    ~Harness() { top_->final(); }

    Config config() const { return Config(*top_); }

    void reset(int cycles) {
        top_->rst = 1;
        for (int i = 0; i < cycles; ++i) {
            settle();
            rise();
        }
        top_->rst = 0;
    }

    // Streams images[indices] through the DUT; appends one Result per image.
    void run_phase(int phase, const std::vector<uint8_t>& images, const std::vector<std::size_t>& indices,
                   double idle, double stall, std::vector<Result>& results) {
        const Config cfg = config();
        const uint64_t image_cycles = cfg.chunk_cycles() + cfg.in_pixels;
        const uint64_t watchdog = 20 * image_cycles + 10000;
        Throttle input(idle, 2 * image_cycles), output(stall, 2 * image_cycles);
        std::vector<uint64_t> first(indices.size(), 0);
        std::size_t sent = 0, pixel = 0, received = 0, beat = 0;
        const std::size_t logit_beats = cfg.out_logits ? cfg.num_classes : 0;
        std::vector<int32_t> logits(logit_beats);
        bool s_valid = false, m_pending = false;
        uint32_t m_pending_data = 0;
        bool m_pending_last = false;
        uint64_t last_progress = cycle_;

        while (received < indices.size()) {
            if (!s_valid && sent < indices.size()) s_valid = !input.blocked(rng_);
            const std::size_t image = sent < indices.size() ? indices[sent] : 0;
            top_->s_axis_tvalid = s_valid;
            uint64_t beat_data = 0;  // PIXELS_PER_BEAT pixels, pixel 0 in the LSBs
            for (uint32_t p = 0; s_valid && p < cfg.pixels_per_beat; ++p)
                beat_data |= uint64_t(images[image * cfg.in_pixels + pixel + p]) << (8 * p);
            top_->s_axis_tdata = beat_data;
            top_->s_axis_tlast = s_valid && pixel + cfg.pixels_per_beat == cfg.in_pixels;
            const bool m_ready = !output.blocked(rng_);
            top_->m_axis_tready = m_ready;
            settle();

            const bool s_fire = s_valid && top_->s_axis_tready;
            const bool m_valid = top_->m_axis_tvalid;
            const uint32_t m_data = top_->m_axis_tdata;
            const bool m_last = top_->m_axis_tlast;
            if (m_pending && !(m_valid && m_data == m_pending_data && m_last == m_pending_last))
                protocol_error(received, indices, "m_axis changed TVALID/TDATA/TLAST while stalled by TREADY=0");
            const bool m_fire = m_valid && m_ready;
            m_pending = m_valid && !m_ready;
            m_pending_data = m_data;
            m_pending_last = m_last;

            rise();
            if (top_->status_frame_error)
                protocol_error(received, indices, "status_frame_error pulsed for a well-formed image");

            if (s_fire) {
                if (pixel == 0) first[sent] = cycle_;
                s_valid = false;
                pixel += cfg.pixels_per_beat;
                if (pixel == cfg.in_pixels) {
                    pixel = 0;
                    ++sent;
                }
            }
            if (m_fire) {
                if (received >= sent)
                    protocol_error(received, indices, "result beat before the whole image was accepted");
                if (beat < logit_beats) {
                    if (m_last) protocol_error(received, indices, "TLAST on logit beat " + std::to_string(beat));
                    logits[beat++] = static_cast<int32_t>(m_data);
                } else {
                    if (!m_last) protocol_error(received, indices, "no TLAST on the class beat");
                    results.push_back(Result{phase, indices[received], first[received], cycle_, m_data, logits});
                    beat = 0;
                    ++received;
                }
            }
            if (s_fire || m_fire) last_progress = cycle_;
            else if (cycle_ - last_progress > watchdog)
                protocol_error(received, indices,
                               "no beat accepted or produced for " + std::to_string(watchdog) +
                                   " cycles (DUT hung; " + std::to_string(sent) + " images sent)");
        }
        top_->s_axis_tvalid = 0;
        top_->m_axis_tready = 1;
    }

    // Runs idle cycles until status_busy falls (bounded).
    void drain(uint64_t limit) {
        top_->s_axis_tvalid = 0;
        top_->m_axis_tready = 1;
        for (uint64_t i = 0; i < limit; ++i) {
            settle();
            if (!top_->status_busy && !top_->m_axis_tvalid) return;
            if (top_->m_axis_tvalid) fail(3, "cycle " + std::to_string(cycle_) + ": unexpected extra m_axis beat");
            rise();
        }
        fail(3, "status_busy still high " + std::to_string(limit) + " cycles after the last result");
    }

    void check_status(std::size_t results) const {
        if (top_->status_dropped != 0)
            fail(3, "status_dropped = " + std::to_string(top_->status_dropped) + ", expected 0");
        if (top_->status_images != static_cast<uint32_t>(results))
            fail(3, "status_images = " + std::to_string(top_->status_images) + ", but " +
                        std::to_string(results) + " results were received");
    }

    uint64_t cycle() const { return cycle_; }
    uint32_t status_cycles() const { return top_->status_cycles; }

  private:
    // One clock cycle = settle() (clock low, new inputs evaluated, outputs sampled) + rise().
    void settle() {
        top_->clk = 0;
        top_->eval();
    }
    void rise() {
        top_->clk = 1;
        top_->eval();
        ++cycle_;
    }

    [[noreturn]] void protocol_error(std::size_t received, const std::vector<std::size_t>& indices,
                                     const std::string& what) const {
        const std::size_t image = received < indices.size() ? indices[received] : indices.back();
        fail(3, "cycle " + std::to_string(cycle_) + ", awaiting the result of image " +
                    std::to_string(image) + ": " + what);
    }

    std::unique_ptr<Vdeltamac_harness_top> top_;
    std::mt19937_64 rng_;
    uint64_t cycle_ = 0;
};

std::vector<uint8_t> read_images(const std::string& path, uint32_t in_pixels) {
    std::ifstream file(path, std::ios::binary);
    if (!file) fail(2, "cannot open images file " + path);
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (data.empty() || data.size() % in_pixels != 0)
        fail(2, "images file " + path + " holds " + std::to_string(data.size()) +
                    " bytes, not a positive multiple of IN_PIXELS = " + std::to_string(in_pixels));
    return data;
}

// The $readmemh files deltamac_harness_top passes to deltamac_top (its parameter defaults). Verilator
// only warns about a missing $readmemh file and leaves the memory zero, so a run stops here before
// the first clock edge when one is missing.
void require_rom_files(const Config& cfg) {
    for (const std::string& name : cfg.rom_files())
        if (!std::ifstream(name)) fail(2, "ROM file " + name + " not found in the working directory "
                                          "(run the harness from the export directory build/<config>/)");
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    const Options options = parse_options(argc, argv);
    auto context = std::make_unique<VerilatedContext>();
    if (HARNESS_X_RANDOM) {
        context->randReset(2);
        context->randSeed(static_cast<int>(options.seed));
    }
    Harness harness(context.get(), options.seed);
    const Config cfg = harness.config();
    if (options.describe) {
        std::printf("%s\n", cfg.json().c_str());
        return 0;
    }
    require_rom_files(cfg);

    const std::vector<uint8_t> images = read_images(options.images_path, cfg.in_pixels);
    const std::size_t count = images.size() / cfg.in_pixels;
    const bool stalls = options.idle > 0.0 || options.stall > 0.0;
    const uint64_t drain_limit = 20 * (cfg.chunk_cycles() + cfg.in_pixels) + 10000;
    std::vector<Result> results;
    results.reserve(count + 1 + (stalls ? options.burst : 0));

    harness.reset(8);
    harness.run_phase(0, images, {0}, 0.0, 0.0, results);
    harness.drain(drain_limit);

    std::vector<std::size_t> all(count);
    for (std::size_t i = 0; i < count; ++i) all[i] = i;
    const auto start = std::chrono::steady_clock::now();
    harness.run_phase(1, images, all, options.idle, options.stall, results);
    const double stream_seconds = seconds_since(start);
    harness.drain(drain_limit);

    if (stalls && options.burst > 0) {
        std::vector<std::size_t> burst(all.begin(), all.begin() + std::min(count, options.burst));
        harness.run_phase(2, images, burst, 0.0, 0.0, results);
        harness.drain(drain_limit);
    }
    harness.check_status(results.size());

    std::FILE* out = std::fopen(options.results_path.c_str(), "w");
    if (!out) fail(2, "cannot write results file " + options.results_path);
    for (const Result& r : results) {
        std::fprintf(out, "%d %zu %" PRIu64 " %" PRIu64 " %u", r.phase, r.image, r.first_cycle, r.done_cycle, r.cls);
        for (int32_t logit : r.logits) std::fprintf(out, " %d", logit);
        std::fputc('\n', out);
    }
    if (std::fclose(out) != 0) fail(2, "cannot write results file " + options.results_path);

    std::printf("{\"images\": %zu, \"results\": %zu, \"stream_seconds\": %.6f, \"total_cycles\": %" PRIu64
                ", \"status_cycles\": %u, \"seed\": %" PRIu64 ", \"idle\": %g, \"stall\": %g}\n",
                count, results.size(), stream_seconds, harness.cycle(), harness.status_cycles(),
                options.seed, options.idle, options.stall);
    return 0;
}
