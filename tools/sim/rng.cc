#include "tools/sim/rng.h"

#include <cmath>

namespace muster::sim {

Rng::Rng(std::uint64_t seed) : generator_(seed) {}

std::uint64_t Rng::Next() { return generator_.Next(); }

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

double Rng::Normal(double mean, double sd) {
  if (have_spare_) {
    have_spare_ = false;
    return mean + sd * spare_;
  }
  double u1 = 1.0 - Uniform();  // (0, 1]: log is finite
  double u2 = Uniform();
  double r = std::sqrt(-2.0 * std::log(u1));
  constexpr double kTwoPi = 6.283185307179586;
  spare_ = r * std::sin(kTwoPi * u2);
  have_spare_ = true;
  return mean + sd * r * std::cos(kTwoPi * u2);
}

double Rng::Exponential(double rate) { return -std::log(1.0 - Uniform()) / rate; }

int Rng::Weighted(const std::vector<double>& weights) {
  double total = 0;
  for (double w : weights) total += w;
  double x = Uniform() * total;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (x < weights[i]) return static_cast<int>(i);
    x -= weights[i];
  }
  // Rounding left x at the very top: the last positive weight.
  for (std::size_t i = weights.size(); i-- > 0;) {
    if (weights[i] > 0) return static_cast<int>(i);
  }
  return 0;
}

}  // namespace muster::sim
