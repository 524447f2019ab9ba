#include "custos/core/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "custos/core/clock.h"

namespace custos {

namespace {
std::shared_ptr<spdlog::logger>& Logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto created = spdlog::stderr_logger_mt("custos");
    created->set_pattern("%v");
    return created;
  }();
  return logger;
}

spdlog::level::level_enum ToSpd(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}
}  // namespace

void SetLogLevel(std::string_view level) {
  LogLevel parsed = LogLevel::kInfo;
  if (level == "debug") parsed = LogLevel::kDebug;
  if (level == "warn") parsed = LogLevel::kWarn;
  if (level == "error") parsed = LogLevel::kError;
  Logger()->set_level(ToSpd(parsed));
}

bool LogEnabled(LogLevel level) { return Logger()->should_log(ToSpd(level)); }

void Log(LogLevel level, std::string_view event, const Json& fields) {
  auto& logger = Logger();
  if (!logger->should_log(ToSpd(level))) return;
  Json line = Json::object();
  line["time"] = FormatTimestamp(SystemClock().Now());
  static constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
  line["level"] = kNames[static_cast<int>(level)];
  line["event"] = event;
  for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  logger->log(ToSpd(level), "{}", line.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace custos
