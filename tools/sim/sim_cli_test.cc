// Runs the muster-sim binary: bad inputs exit 2 with a clear message on stderr; a small seeded
// run exits 0 with a consistent JSON report and a well-formed SVG.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/json.h"
#include "tools/sim/sim_test_util.h"

namespace muster::sim {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

struct RunResult {
  int code = -1;
  std::string out, err;
};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SimCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("muster-sim-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    rules_ = Write("2v2.json", testing::k2v2);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  RunResult Run(const std::string& args) {
    std::string cmd = std::string(MUSTER_SIM_BINARY) + " " + args + " >" + (dir_ / "out").string() + " 2>" +
                      (dir_ / "err").string() + " </dev/null";
    int status = std::system(cmd.c_str());
    RunResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = Slurp(dir_ / "out");
    r.err = Slurp(dir_ / "err");
    return r;
  }

  void ExpectBadInput(const std::string& args, const std::string& message) {
    RunResult r = Run(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr(message)) << args;
    EXPECT_THAT(r.err, HasSubstr("muster-sim: "));
    EXPECT_EQ(r.out, "") << args;
  }

  fs::path dir_;
  std::string rules_;
};

TEST_F(SimCli, BadInputsExitTwoWithAClearMessage) {
  ExpectBadInput("", "--rules FILE is required");
  ExpectBadInput("--rules /nonexistent/rules.json", "cannot read rule set file '/nonexistent/rules.json'");
  std::string invalid = Write("invalid.json", R"({"name": "x", "ruleLanguageVersion": "1.0", "teams": []})");
  ExpectBadInput("--rules " + invalid, "is not valid: ");
  ExpectBadInput("--rules " + Write("garbage.json", "{not json"), "is not valid: ");
  ExpectBadInput("--rules " + rules_ + " --rate -5", "rate must be a number > 0");
  ExpectBadInput("--rules " + rules_ + " --rate fast", "--rate: 'fast' is not a number");
  ExpectBadInput("--rules " + rules_ + " --duration 0", "--duration must be");
  ExpectBadInput("--rules " + rules_ + " --timeout 0", "--timeout must be");
  ExpectBadInput("--rules " + rules_ + " --seed -1", "--seed");
  ExpectBadInput("--rules " + rules_ + " --bogus", "unknown flag '--bogus'");
  ExpectBadInput("--rules " + rules_ + " --rate", "--rate needs a value");
  ExpectBadInput("--rules " + rules_ + " --party 1,1,1", "party size 3");
  ExpectBadInput("--rules " + rules_ + " --population /nonexistent.toml", "cannot read population file");
  ExpectBadInput("--rules " + rules_ + " --population " + Write("bad.toml", "rate = [\n"),
                 "population file ");
  ExpectBadInput("--rules " + rules_ + " --population " + Write("typo.toml", "rat = 3\n"), "unknown key rat");
  ExpectBadInput("--rules " + rules_ + " --population " + Write("neg.toml", "rate = -3\n"),
                 "rate must be a number > 0");
}

TEST_F(SimCli, HelpPrintsUsage) {
  RunResult r = Run("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("usage: muster-sim --rules FILE"));
}

TEST_F(SimCli, SmallSeededRunReportsConsistentNumbersAndWritesTheSvg) {
  std::string pop = Write("pop.toml", "rate = 4\n[party]\nweights = [3, 1]\n[[region]]\nname = \"r1\"\n"
                                      "[[region]]\nname = \"r2\"\n");
  std::string svg = (dir_ / "plot.svg").string();
  std::string args = "--rules " + rules_ + " --population " + pop + " --duration 40 --timeout 20 --seed 3 --json --svg " + svg;
  RunResult r = Run(args);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // stderr is not a TTY: no progress bar
  auto doc = ParseJson(r.out, JsonLimits{});
  ASSERT_TRUE(doc.ok()) << r.out;
  const json::object& o = doc->as_object();
  const json::object& t = o.at("tickets").as_object();
  std::int64_t arrivals = t.at("arrivals").as_int64();
  EXPECT_GT(arrivals, 100);
  EXPECT_EQ(t.at("matched").as_int64() + t.at("timedOut").as_int64() + t.at("searching").as_int64(), arrivals);
  const json::object& w = o.at("waitSeconds").as_object();
  EXPECT_LE(w.at("p50").to_number<double>(), w.at("p90").to_number<double>());
  EXPECT_LE(w.at("p90").to_number<double>(), w.at("p99").to_number<double>());
  EXPECT_LE(w.at("p99").to_number<double>(), w.at("max").to_number<double>());
  EXPECT_DOUBLE_EQ(o.at("playersPerMatch").to_number<double>(), 4.0);
  const json::object& ref = o.at("reference").as_object();
  EXPECT_TRUE(ref.at("within10Percent").is_bool());
  EXPECT_GT(ref.at("spreadRatio").to_number<double>(), 0);
  std::string plot = Slurp(svg);
  EXPECT_EQ(plot.rfind("<?xml", 0), 0u);
  EXPECT_THAT(plot, HasSubstr("</svg>"));

  // The same seed gives the same report; the text form says the same.
  RunResult again = Run(args);
  EXPECT_EQ(again.out, r.out);
  RunResult text = Run("--rules " + rules_ + " --population " + pop + " --duration 40 --timeout 20 --seed 3");
  ASSERT_EQ(text.code, 0);
  EXPECT_THAT(text.out, HasSubstr("tickets       " + std::to_string(arrivals)));
  EXPECT_THAT(text.out, HasSubstr("within 10% of the reference: "));
}

TEST_F(SimCli, ForcedProgressBarGoesToStderrOnly) {
  RunResult r = Run("--rules " + rules_ + " --rate 2 --duration 20 --timeout 10 --regions r1 --progress --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("100% simulated"));
  EXPECT_TRUE(ParseJson(r.out, JsonLimits{}).ok());
}

}  // namespace
}  // namespace muster::sim
