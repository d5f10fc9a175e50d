// muster-sim: replays a synthetic player population through a rule set with the real matcher
// on a simulated clock and reports waits, match quality and the offline reference comparison.
// Exit codes: 0 done, 2 bad input (flags, files, rule set, population), 1 failure while running.
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "matchmaking/rule_set.h"
#include "tools/sim/generator.h"
#include "tools/sim/population.h"
#include "tools/sim/reference.h"
#include "tools/sim/report.h"
#include "tools/sim/simulation.h"
#include "tools/sim/stats.h"
#include "tools/sim/svg_plot.h"

namespace muster::sim {
namespace {

constexpr int kBadInput = 2;

const char* kUsage = R"(usage: muster-sim --rules FILE [options]

Replays a synthetic population through a matchmaking rule set with Muster's matcher on a
simulated clock (no waiting) and reports wait times, match quality and how they compare with
an offline reference that sees every arrival at once. See docs/simulator.md.

  --rules FILE          rule set body (JSON), required
  --population FILE     population file (TOML); flags below override it
  --rate N              tickets (parties) per simulated second, Poisson (default 10)
  --duration S          simulated seconds of arrivals (default 600)
  --timeout S           matchmaking request timeout in seconds (default 120)
  --seed N              random seed (default 1); equal seeds give equal runs
  --skill-mean X        skill ~ normal(mean, sd) clamped to [min, max] (default 1000, 200, 0, 3000)
  --skill-sd X  --skill-min X  --skill-max X
  --skill-attribute A   rule set attribute that receives skill (default: skill, or the first number)
  --regions A,B,...     home regions, equal weights, default latencies (30±10 ms home, 120±30 away)
  --party W1,W2,...     weights of party sizes 1, 2, ... (default 1 = solo players only)
  --no-drain            stop at the end of arrivals instead of running until every ticket ends
  --json                print the report as JSON
  --svg FILE            write the wait vs match quality plot (SVG)
  --progress | --no-progress
                        force the progress bar on stderr on or off (default: on when stderr is a TTY)
  --help
)";

struct Flags {
  std::string rules_file;
  std::string population_file;
  std::string svg_file;
  std::uint64_t seed = 1;
  double duration_s = 600;
  double timeout_s = 120;
  bool drain = true;
  bool json = false;
  int progress = -1;  // -1 auto, 0 off, 1 on
  std::vector<std::function<void(PopulationSpec&)>> apply;  // flag overrides, in order
};

Status ParseNumber(const std::string& flag, const std::string& v, double* out) {
  const char* end = v.data() + v.size();
  auto [p, ec] = std::from_chars(v.data(), end, *out);
  if (v.empty() || ec != std::errc() || p != end) {
    return Error::InvalidArgument(flag + ": '" + v + "' is not a number");
  }
  return OkStatus();
}

std::vector<std::string> Split(const std::string& v) {
  std::vector<std::string> out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

Result<std::string> ReadFile(const std::string& what, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::InvalidArgument("cannot read " + what + " file '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Error::InvalidArgument("cannot read " + what + " file '" + path + "'");
  return ss.str();
}

// Fills `f` from argv; sets *help for --help.
Status ParseFlags(int argc, char** argv, Flags* f, bool* help) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* out) -> Status {
      if (i + 1 >= argc) return Error::InvalidArgument(a + " needs a value");
      *out = argv[++i];
      return OkStatus();
    };
    auto number = [&](double* out) -> Status {
      std::string v;
      MUSTER_RETURN_IF_ERROR(value(&v));
      return ParseNumber(a, v, out);
    };
    auto spec_number = [&](double PopulationSpec::*field) -> Status {
      double x = 0;
      MUSTER_RETURN_IF_ERROR(number(&x));
      f->apply.push_back([field, x](PopulationSpec& s) { s.*field = x; });
      return OkStatus();
    };
    if (a == "--help" || a == "-h") {
      *help = true;
      return OkStatus();
    } else if (a == "--rules") {
      MUSTER_RETURN_IF_ERROR(value(&f->rules_file));
    } else if (a == "--population") {
      MUSTER_RETURN_IF_ERROR(value(&f->population_file));
    } else if (a == "--svg") {
      MUSTER_RETURN_IF_ERROR(value(&f->svg_file));
    } else if (a == "--rate") {
      MUSTER_RETURN_IF_ERROR(spec_number(&PopulationSpec::rate_per_second));
    } else if (a == "--skill-mean") {
      MUSTER_RETURN_IF_ERROR(spec_number(&PopulationSpec::skill_mean));
    } else if (a == "--skill-sd") {
      MUSTER_RETURN_IF_ERROR(spec_number(&PopulationSpec::skill_sd));
    } else if (a == "--skill-min") {
      MUSTER_RETURN_IF_ERROR(spec_number(&PopulationSpec::skill_min));
    } else if (a == "--skill-max") {
      MUSTER_RETURN_IF_ERROR(spec_number(&PopulationSpec::skill_max));
    } else if (a == "--skill-attribute") {
      std::string v;
      MUSTER_RETURN_IF_ERROR(value(&v));
      f->apply.push_back([v](PopulationSpec& s) { s.skill_attribute = v; });
    } else if (a == "--regions") {
      std::string v;
      MUSTER_RETURN_IF_ERROR(value(&v));
      std::vector<RegionSpec> regions;
      for (const auto& name : Split(v)) regions.push_back(RegionSpec{.name = name});
      if (regions.empty()) return Error::InvalidArgument("--regions: give at least one region name");
      f->apply.push_back([regions](PopulationSpec& s) { s.regions = regions; });
    } else if (a == "--party") {
      std::string v;
      MUSTER_RETURN_IF_ERROR(value(&v));
      std::vector<double> weights;
      for (const auto& w : Split(v)) {
        double x = 0;
        MUSTER_RETURN_IF_ERROR(ParseNumber("--party", w, &x));
        weights.push_back(x);
      }
      f->apply.push_back([weights](PopulationSpec& s) { s.party_weights = weights; });
    } else if (a == "--duration") {
      MUSTER_RETURN_IF_ERROR(number(&f->duration_s));
    } else if (a == "--timeout") {
      MUSTER_RETURN_IF_ERROR(number(&f->timeout_s));
    } else if (a == "--seed") {
      std::string v;
      MUSTER_RETURN_IF_ERROR(value(&v));
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), f->seed);
      if (v.empty() || ec != std::errc() || p != v.data() + v.size()) {
        return Error::InvalidArgument("--seed: '" + v + "' is not a whole number >= 0");
      }
    } else if (a == "--no-drain") {
      f->drain = false;
    } else if (a == "--json") {
      f->json = true;
    } else if (a == "--progress") {
      f->progress = 1;
    } else if (a == "--no-progress") {
      f->progress = 0;
    } else {
      return Error::InvalidArgument("unknown flag '" + a + "' (see --help)");
    }
  }
  if (f->rules_file.empty()) return Error::InvalidArgument("--rules FILE is required (see --help)");
  if (!(f->duration_s > 0 && f->duration_s <= 7 * 86400)) {
    return Error::InvalidArgument("--duration must be more than 0 and at most 604800 seconds");
  }
  if (!(f->timeout_s >= 1 && f->timeout_s <= 43200)) {
    return Error::InvalidArgument("--timeout must be from 1 to 43200 seconds");
  }
  return OkStatus();
}

class ProgressBar {
 public:
  void Draw(double f) {
    constexpr int kWidth = 40;
    int filled = static_cast<int>(f * kWidth);
    std::string bar(filled, '#');
    bar.resize(kWidth, ' ');
    std::fprintf(stderr, "\r[%s] %3d%% simulated", bar.c_str(), static_cast<int>(f * 100));
    std::fflush(stderr);
    drawn_ = true;
  }
  void Finish() {
    if (drawn_) std::fputs("\n", stderr);
  }

 private:
  bool drawn_ = false;
};

int Fail(int code, const std::string& message) {
  std::cerr << "muster-sim: " << message << "\n";
  return code;
}

int Main(int argc, char** argv) {
  Flags flags;
  bool help = false;
  if (Status st = ParseFlags(argc, argv, &flags, &help); !st.ok()) return Fail(kBadInput, st.error().message);
  if (help) {
    std::cout << kUsage;
    return 0;
  }
  auto body = ReadFile("rule set", flags.rules_file);
  if (!body.ok()) return Fail(kBadInput, body.error().message);
  auto rules = matchmaking::ParseRuleSet(*body);
  if (!rules.ok()) return Fail(kBadInput, "rule set " + flags.rules_file + " is not valid: " + rules.error().message);

  PopulationSpec spec;
  if (!flags.population_file.empty()) {
    auto text = ReadFile("population", flags.population_file);
    if (!text.ok()) return Fail(kBadInput, text.error().message);
    if (Status st = ParsePopulationToml(*text, &spec); !st.ok()) {
      return Fail(kBadInput, "population file " + flags.population_file + ": " + st.error().message);
    }
  }
  for (const auto& apply : flags.apply) apply(spec);
  if (Status st = ValidatePopulation(&spec); !st.ok()) return Fail(kBadInput, "population: " + st.error().message);

  SimOptions options;
  options.duration_ms = static_cast<Millis>(flags.duration_s * 1000);
  options.request_timeout_ms = static_cast<Millis>(flags.timeout_s * 1000);
  options.drain = flags.drain;
  auto generator = PopulationGenerator::Create(spec, *rules, flags.seed, options.start, options.duration_ms);
  if (!generator.ok()) return Fail(kBadInput, "population: " + generator.error().message);

  bool show_progress = flags.progress == 1 || (flags.progress < 0 && isatty(STDERR_FILENO));
  ProgressBar bar;
  std::function<void(double)> progress;
  if (show_progress) progress = [&bar](double f) { bar.Draw(f); };
  Simulation sim(*rules, options);
  auto outcome = sim.Run(**generator, progress);
  if (show_progress) bar.Finish();
  if (!outcome.ok()) {
    int code = outcome.error().code == ErrorCode::kInvalidArgument ? kBadInput : 1;
    return Fail(code, outcome.error().message);
  }

  Summary summary = Summarize(*outcome);
  Comparison cmp = CompareAtEqualWait(outcome->tickets, outcome->matches,
                                      ReferenceParamsFor(**rules, options.request_timeout_ms));
  RunInfo info{flags.rules_file, (*rules)->name, flags.seed, spec.rate_per_second, flags.duration_s,
               flags.timeout_s, flags.drain};
  if (!flags.svg_file.empty()) {
    std::ofstream out(flags.svg_file, std::ios::binary | std::ios::trunc);
    out << RenderSvg(outcome->matches, cmp);
    out.close();
    if (!out) return Fail(1, "cannot write SVG file '" + flags.svg_file + "'");
  }
  if (flags.json) {
    std::cout << ToJson(FormatJson(info, summary, cmp)) << "\n";
  } else {
    std::cout << FormatText(info, summary, cmp);
  }
  std::cout.flush();
  return std::cout ? 0 : 1;
}

}  // namespace
}  // namespace muster::sim

int main(int argc, char** argv) { return muster::sim::Main(argc, argv); }
