#include "tools/sim/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace muster::sim {

namespace {

std::string Num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", x);
  return buf;
}

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `n` ticks over [0, hi].
double TickStep(double hi, int n) {
  double raw = hi / n;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * mag >= raw) return m * mag;
  }
  return 10 * mag;
}

std::string Label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v == std::floor(v) ? "%.0f" : "%.1f", v);
  return buf;
}

}  // namespace

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderSvg(const std::vector<MatchRecord>& matches, const Comparison& cmp,
                      const PlotOptions& opt) {
  const double left = 70, right = 20, top = 40, bottom = 60;
  const double pw = opt.width - left - right, ph = opt.height - top - bottom;
  double max_x = 1, max_y = 1;
  for (const auto& m : matches) {
    max_x = std::max(max_x, m.mean_wait_ms / 1000.0);
    max_y = std::max(max_y, m.skill_spread);
  }
  for (const auto& r : cmp.curve) {
    if (r.matches == 0) continue;
    max_x = std::max(max_x, r.mean_wait_ms / 1000.0);
    max_y = std::max(max_y, r.mean_spread);
  }
  const double sx = TickStep(max_x, 8), sy = TickStep(max_y, 6);
  max_x = std::ceil(max_x / sx) * sx;
  max_y = std::ceil(max_y / sy) * sy;
  auto X = [&](double secs) { return left + secs / max_x * pw; };
  auto Y = [&](double v) { return top + ph - v / max_y * ph; };

  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << opt.width << "\" height=\"" << opt.height
    << "\" viewBox=\"0 0 " << opt.width << ' ' << opt.height << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect x=\"0\" y=\"0\" width=\"" << opt.width << "\" height=\"" << opt.height << "\" fill=\"white\"/>\n"
    << "<text x=\"" << opt.width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">"
    << XmlEscape(opt.title) << "</text>\n";
  // Grid and ticks.
  o << "<g stroke=\"#ddd\" stroke-width=\"1\">\n";
  for (double v = 0; v <= max_x + 1e-9; v += sx) {
    o << "<line x1=\"" << Num(X(v)) << "\" y1=\"" << Num(top) << "\" x2=\"" << Num(X(v)) << "\" y2=\"" << Num(top + ph) << "\"/>\n";
  }
  for (double v = 0; v <= max_y + 1e-9; v += sy) {
    o << "<line x1=\"" << Num(left) << "\" y1=\"" << Num(Y(v)) << "\" x2=\"" << Num(left + pw) << "\" y2=\"" << Num(Y(v)) << "\"/>\n";
  }
  o << "</g>\n<g fill=\"#333\">\n";
  for (double v = 0; v <= max_x + 1e-9; v += sx) {
    o << "<text x=\"" << Num(X(v)) << "\" y=\"" << Num(top + ph + 16) << "\" text-anchor=\"middle\">" << Label(v) << "</text>\n";
  }
  for (double v = 0; v <= max_y + 1e-9; v += sy) {
    o << "<text x=\"" << Num(left - 6) << "\" y=\"" << Num(Y(v) + 4) << "\" text-anchor=\"end\">" << Label(v) << "</text>\n";
  }
  o << "<text x=\"" << Num(left + pw / 2) << "\" y=\"" << opt.height - 18
    << "\" text-anchor=\"middle\">wait (s, mean over the match's tickets)</text>\n"
    << "<text x=\"16\" y=\"" << Num(top + ph / 2) << "\" text-anchor=\"middle\" transform=\"rotate(-90 16 "
    << Num(top + ph / 2) << ")\">skill spread in match (max - min)</text>\n</g>\n";
  o << "<rect x=\"" << Num(left) << "\" y=\"" << Num(top) << "\" width=\"" << Num(pw) << "\" height=\"" << Num(ph)
    << "\" fill=\"none\" stroke=\"#333\"/>\n";

  // Online scatter, evenly sampled.
  o << "<g fill=\"#1f77b4\" fill-opacity=\"0.25\">\n";
  std::size_t stride = std::max<std::size_t>(1, (matches.size() + opt.max_points - 1) / std::max<std::size_t>(1, opt.max_points));
  for (std::size_t i = 0; i < matches.size(); i += stride) {
    o << "<circle cx=\"" << Num(X(matches[i].mean_wait_ms / 1000.0)) << "\" cy=\"" << Num(Y(matches[i].skill_spread))
      << "\" r=\"2\"/>\n";
  }
  o << "</g>\n";
  // Online binned means.
  std::vector<double> sum(opt.bins, 0);
  std::vector<int> count(opt.bins, 0);
  for (const auto& m : matches) {
    int b = std::min(opt.bins - 1, static_cast<int>(m.mean_wait_ms / 1000.0 / max_x * opt.bins));
    sum[b] += m.skill_spread;
    ++count[b];
  }
  std::string online_line;
  for (int b = 0; b < opt.bins; ++b) {
    if (!count[b]) continue;
    double cx = (b + 0.5) * max_x / opt.bins;
    online_line += (online_line.empty() ? "" : " ") + Num(X(cx)) + "," + Num(Y(sum[b] / count[b]));
  }
  if (!online_line.empty()) {
    o << "<polyline points=\"" << online_line << "\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n";
  }
  // Reference curve.
  std::string ref_line;
  for (const auto& r : cmp.curve) {
    if (r.matches == 0) continue;
    ref_line += (ref_line.empty() ? "" : " ") + Num(X(r.mean_wait_ms / 1000.0)) + "," + Num(Y(r.mean_spread));
  }
  if (!ref_line.empty()) {
    o << "<polyline points=\"" << ref_line << "\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>\n";
  }
  // Means at equal wait.
  if (!matches.empty()) {
    o << "<circle cx=\"" << Num(X(cmp.online_mean_wait_ms / 1000.0)) << "\" cy=\"" << Num(Y(cmp.online_mean_spread))
      << "\" r=\"6\" fill=\"#1f77b4\" stroke=\"black\"/>\n";
  }
  if (cmp.reference.matches > 0) {
    o << "<rect x=\"" << Num(X(cmp.reference.mean_wait_ms / 1000.0) - 5) << "\" y=\"" << Num(Y(cmp.reference.mean_spread) - 5)
      << "\" width=\"10\" height=\"10\" fill=\"#d62728\" stroke=\"black\"/>\n";
  }
  // Legend.
  const double lx = left + pw - 330, ly = top + 10;
  o << "<g font-size=\"11\">\n"
    << "<rect x=\"" << Num(lx) << "\" y=\"" << Num(ly) << "\" width=\"320\" height=\"78\" fill=\"white\" stroke=\"#999\"/>\n"
    << "<circle cx=\"" << Num(lx + 14) << "\" cy=\"" << Num(ly + 14) << "\" r=\"3\" fill=\"#1f77b4\" fill-opacity=\"0.5\"/>\n"
    << "<text x=\"" << Num(lx + 28) << "\" y=\"" << Num(ly + 18) << "\">online match (muster matcher)</text>\n"
    << "<line x1=\"" << Num(lx + 6) << "\" y1=\"" << Num(ly + 32) << "\" x2=\"" << Num(lx + 22) << "\" y2=\"" << Num(ly + 32)
    << "\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n"
    << "<text x=\"" << Num(lx + 28) << "\" y=\"" << Num(ly + 36) << "\">online, mean spread per wait bin</text>\n"
    << "<line x1=\"" << Num(lx + 6) << "\" y1=\"" << Num(ly + 50) << "\" x2=\"" << Num(lx + 22) << "\" y2=\"" << Num(ly + 50)
    << "\" stroke=\"#d62728\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>\n"
    << "<text x=\"" << Num(lx + 28) << "\" y=\"" << Num(ly + 54) << "\">offline reference (one point per window)</text>\n"
    << "<text x=\"" << Num(lx + 8) << "\" y=\"" << Num(ly + 71) << "\">big dot / square: online / reference means, equal wait</text>\n"
    << "</g>\n</svg>\n";
  return o.str();
}

}  // namespace muster::sim
