// ResourceCodec: the form a resource's JSON takes in `resource_versions`.
//
// Stored resources are compressed with zstd and a dictionary trained on FHIR resources as the
// store writes them (data/resource-dictionary/, made by tools/resource-dictionary/train.sh).
// FHIR JSON repeats the same element names, code systems and reference shapes in every resource,
// which a dictionary captures where a single small resource cannot: a Synthea resource shrinks
// about seven-fold (two-fold without the dictionary), so the database is half the size and an
// import writes half the pages, while decompressing one takes under a microsecond.
//
// A version is kept either as text in `content` (rows written before compression) or as a zstd
// frame in `content_z`; a frame names its dictionary, so dictionaries can be added later without
// rewriting old rows. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "custos/core/status.h"
#include "custos/storage/database.h"

namespace custos::clinical {

// A zstd frame of `json`, compressed with the current dictionary.
std::string CompressResource(std::string_view json);

// The JSON in a frame CompressResource made (with any dictionary this binary knows).
// kInternal when the frame is damaged or names an unknown dictionary.
Result<std::string> DecompressResource(std::string_view frame);

// The columns a query selects to read a stored version's JSON, `v` being resource_versions.
inline constexpr std::string_view kContentColumns = "v.content, v.content_z";
// The JSON of a version from a row holding kContentColumns at `column` and `column + 1`; empty
// for a deleted version.
Result<std::string> ContentFromRow(const storage::Row& row, int column);

}  // namespace custos::clinical
