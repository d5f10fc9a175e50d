#pragma once
// The simulator's random numbers: xoshiro256** seeded by splitmix64, with its own uniform,
// normal (Box-Muller), exponential and weighted-choice draws. The standard library's
// distributions differ between implementations; these give the same sequence for a seed on
// every platform, so a seeded run is reproducible anywhere.
//
// Thread safety: none; one owner.

#include <cstdint>
#include <vector>

#include "common/xoshiro.h"

namespace muster::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  std::uint64_t Next();
  // Uniform in [0, 1).
  double Uniform();
  double Normal(double mean, double sd);
  // Exponential with the given rate (events per unit); rate > 0.
  double Exponential(double rate);
  // Index drawn with probability proportional to weights[i]; weights non-negative, sum > 0.
  int Weighted(const std::vector<double>& weights);

 private:
  Xoshiro256 generator_;
  bool have_spare_ = false;
  double spare_ = 0;
};

}  // namespace muster::sim
