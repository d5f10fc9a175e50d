#pragma once
// The simulator's plot as a self-contained SVG document (no dependencies): match wait (x,
// seconds) against skill spread within the match (y). Online matches are a scatter (at most
// `max_points`, evenly sampled) with their binned means as a line; the offline reference over a
// range of windows is a second line on the same axes, with both means at equal wait marked.
//
// Thread safety: plain function over values.

#include <string>
#include <vector>

#include "tools/sim/reference.h"
#include "tools/sim/simulation.h"

namespace muster::sim {

struct PlotOptions {
  std::string title = "muster-sim: wait vs match quality";
  int width = 800;
  int height = 520;
  std::size_t max_points = 3000;
  int bins = 20;
};

std::string RenderSvg(const std::vector<MatchRecord>& matches, const Comparison& comparison,
                      const PlotOptions& options = {});

// Escapes &, <, >, " and ' for XML text and attribute values.
std::string XmlEscape(const std::string& s);

}  // namespace muster::sim
