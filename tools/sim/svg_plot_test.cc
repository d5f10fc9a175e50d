#include "tools/sim/svg_plot.h"

#include <gtest/gtest.h>

#include <cctype>
#include <vector>

namespace muster::sim {
namespace {

// A minimal XML well-formedness check: one root element, every start tag closed in order,
// attribute values quoted, no raw '<' or '&' outside markup and entities. Returns "" or why not.
std::string CheckXml(const std::string& s, std::vector<std::string>* elements) {
  std::vector<std::string> stack;
  std::size_t i = 0;
  int roots = 0;
  if (s.rfind("<?xml", 0) == 0) i = s.find("?>") + 2;
  while (i < s.size()) {
    if (s[i] == '&') {
      std::size_t semi = s.find(';', i);
      std::string ent = semi == std::string::npos ? "" : s.substr(i, semi - i + 1);
      if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;" && ent != "&apos;") return "bad entity at " + std::to_string(i);
      i = semi + 1;
      continue;
    }
    if (s[i] != '<') {
      if (stack.empty() && !std::isspace(static_cast<unsigned char>(s[i]))) return "text outside the root";
      ++i;
      continue;
    }
    bool closing = s[i + 1] == '/';
    std::size_t j = i + (closing ? 2 : 1);
    std::size_t name_start = j;
    while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '-' || s[j] == ':')) ++j;
    std::string name = s.substr(name_start, j - name_start);
    if (name.empty()) return "empty tag name at " + std::to_string(i);
    if (closing) {
      if (stack.empty() || stack.back() != name) return "mismatched </" + name + ">";
      stack.pop_back();
      i = s.find('>', j) + 1;
      continue;
    }
    // Attributes: name="value".
    while (true) {
      while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      if (j >= s.size()) return "unterminated tag " + name;
      if (s[j] == '>' || (s[j] == '/' && s[j + 1] == '>')) break;
      std::size_t eq = s.find('=', j);
      if (eq == std::string::npos || (s[eq + 1] != '"' && s[eq + 1] != '\'')) return "unquoted attribute in " + name;
      std::size_t end = s.find(s[eq + 1], eq + 2);
      std::string value = s.substr(eq + 2, end - eq - 2);
      if (value.find('<') != std::string::npos) return "'<' in an attribute of " + name;
      j = end + 1;
    }
    if (stack.empty()) ++roots;
    elements->push_back(name);
    if (s[j] == '/') {
      i = j + 2;
    } else {
      stack.push_back(name);
      i = j + 1;
    }
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  if (roots != 1) return "expected one root element, got " + std::to_string(roots);
  return "";
}

TEST(SvgPlot, IsWellFormedAndDrawsEverySeries) {
  std::vector<MatchRecord> matches;
  for (int i = 0; i < 50; ++i) {
    MatchRecord m;
    m.mean_wait_ms = 200.0 * i;
    m.skill_spread = 10.0 * (50 - i);
    matches.push_back(m);
  }
  Comparison c;
  c.online_mean_wait_ms = 5000;
  c.online_mean_spread = 250;
  for (int w = 1; w <= 5; ++w) {
    ReferenceResult r;
    r.window_ms = w * 1000;
    r.matches = 10;
    r.mean_wait_ms = w * 1000.0;
    r.mean_spread = 300.0 / w;
    c.curve.push_back(r);
  }
  c.reference = c.curve[4];
  PlotOptions opt;
  opt.title = "a <title> & \"quotes\"";
  std::string svg = RenderSvg(matches, c, opt);
  std::vector<std::string> elements;
  ASSERT_EQ(CheckXml(svg, &elements), "") << svg;
  ASSERT_FALSE(elements.empty());
  EXPECT_EQ(elements[0], "svg");
  EXPECT_NE(svg.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_EQ(std::count(elements.begin(), elements.end(), "polyline"), 2);  // online bins, reference
  EXPECT_GE(std::count(elements.begin(), elements.end(), "circle"), 50);
  EXPECT_NE(svg.find("a &lt;title&gt; &amp; &quot;quotes&quot;"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(SvgPlot, EmptyRunIsStillAWellFormedPlot) {
  std::vector<std::string> elements;
  std::string svg = RenderSvg({}, Comparison{});
  EXPECT_EQ(CheckXml(svg, &elements), "") << svg;
  EXPECT_EQ(svg.find("nan"), std::string::npos);
}

TEST(SvgPlot, SamplesManyPoints) {
  std::vector<MatchRecord> matches(10000);
  PlotOptions opt;
  opt.max_points = 100;
  std::string svg = RenderSvg(matches, Comparison{}, opt);
  std::vector<std::string> elements;
  ASSERT_EQ(CheckXml(svg, &elements), "");
  EXPECT_LE(std::count(elements.begin(), elements.end(), "circle"), 110);
}

TEST(SvgPlot, CheckerRejectsBrokenXml) {
  std::vector<std::string> e;
  EXPECT_NE(CheckXml("<svg><g></svg>", &e), "");
  EXPECT_NE(CheckXml("<svg a=1></svg>", &e), "");
  EXPECT_NE(CheckXml("<svg>&bogus;</svg>", &e), "");
  EXPECT_NE(CheckXml("<svg/><svg/>", &e), "");
}

TEST(XmlEscape, EscapesMarkup) { EXPECT_EQ(XmlEscape("<a&'\">"), "&lt;a&amp;&apos;&quot;&gt;"); }

}  // namespace
}  // namespace muster::sim
