#include "core/server_reads.h"

#include "common/json.h"

namespace muster::core {

std::string MatchmakerDataConfigurationArn(const std::string& matchmaker_data) {
  if (matchmaker_data.empty()) return "";
  auto parsed = ParseJson(matchmaker_data);
  if (!parsed.ok() || !parsed->is_object()) return "";
  const auto* arn = parsed->get_object().if_contains("matchmakingConfigurationArn");
  if (!arn || !arn->is_string()) return "";
  return std::string(arn->get_string());
}

}  // namespace muster::core
