// Structured logs: one JSON object per line on stderr. Log events name what happened and carry
// ids, never patient data (names, birth dates, identifiers, free text): the audit trail is the
// place for who-saw-what, and it is protected; logs are not.
#pragma once

#include <string_view>

#include "custos/core/json.h"

namespace custos {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// Sets the minimum level ("debug", "info", "warn", "error"); unknown names mean info.
void SetLogLevel(std::string_view level);
// True when events at `level` are written; check it before building costly fields.
bool LogEnabled(LogLevel level);
// Writes {"time":…,"level":…,"event":…, ...fields}. Thread-safe.
void Log(LogLevel level, std::string_view event, const Json& fields = Json::object());

}  // namespace custos
