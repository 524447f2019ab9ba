// Opaque, time-ordered identifiers (ULID layout: 48-bit millisecond time + 80 random bits,
// Crockford base32, 26 characters). Sorting ids as text sorts them by creation time, which keeps
// index inserts local and makes ids usable as paging cursors.
#pragma once

#include <string>

#include "custos/core/clock.h"

namespace custos {

std::string NewId(Timestamp now);

}  // namespace custos
