#include "core/server_reads.h"

#include "common/json.h"

namespace muster::core {

std::string MatchmakerDataConfiguration(const std::string& matchmaker_data) {
  if (matchmaker_data.empty()) return "";
  auto parsed = ParseJson(matchmaker_data);
  if (!parsed.ok() || !parsed->is_object()) return "";
  const auto* arn = parsed->get_object().if_contains("matchmakingConfigurationArn");
  if (!arn || !arn->is_string()) return "";
  std::string_view s = arn->get_string();
  auto slash = s.rfind('/');
  return std::string(slash == std::string_view::npos ? s : s.substr(slash + 1));
}

}  // namespace muster::core
