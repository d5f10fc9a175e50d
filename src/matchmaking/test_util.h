#pragma once
// Test helpers: reading the shared conformance corpus (never copied into the repository).

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace muster::matchmaking::testing {

inline std::string CorpusDir() { return std::string(MUSTER_SHARED_DIR) + "/conformance/rulesets"; }

inline std::string ReadFileBytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Sorted file names (not paths) in a corpus folder.
inline std::vector<std::string> CorpusFiles(const std::string& folder) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(CorpusDir() + "/" + folder)) {
    if (e.is_regular_file()) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string CorpusFile(const std::string& folder, const std::string& name) {
  return ReadFileBytes(CorpusDir() + "/" + folder + "/" + name);
}

}  // namespace muster::matchmaking::testing
