// Normalisation of person fields before comparison, and the given-name nickname table.
//
// Registration clerks write the same name as "O'Brien", "OBRIEN" and "o brien"; normalising first
// lets the comparators see only the differences that might mean a different person. Text becomes
// lower case ASCII with Latin-1 accents folded (é → e, ß → ss), apostrophes dropped, other
// punctuation turned into spaces and runs of spaces collapsed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "custos/core/status.h"

namespace custos::patients {

// Lower case, accents folded, punctuation removed, whitespace collapsed and trimmed.
std::string NormalizeText(std::string_view text);

// The digits of `text` in order ("03 7759-8847" → "0377598847").
std::string DigitsOnly(std::string_view text);

// A normalised name with a generational suffix (jr, sr, ii, iii, iv) split off its last word.
struct NameParts {
  std::string name;
  std::string suffix;  // "jr", "sr", "ii", "iii", "iv" or empty
};
NameParts SplitNameSuffix(std::string_view normalized);

// True for names registration systems use when the real one is unknown ("baby boy", "john doe",
// "unknown"): two records sharing such a name are not evidence of one person. Takes normalised
// given name and surname.
bool IsPlaceholderName(std::string_view given_name, std::string_view surname);

// A generational suffix written on its own ("Jr.", "junior", "3rd") as jr, sr, ii, iii or iv;
// empty for anything else.
std::string NormalizeSuffix(std::string_view text);

// Sex as male, female or other; empty for unknown or missing (no evidence either way).
std::string NormalizeSex(std::string_view text);

// True for the SSNs systems fill in when the real one is unknown (999-99-9999, 000-00-0000,
// 123-45-6789, any one digit repeated): shared by strangers, so never evidence. Takes digits.
bool IsPlaceholderSsn(std::string_view digits);

// A date of birth written YYYYMMDD. Impossible dates (19450493) stay as text so digit-level
// comparisons still work on them; `valid` says whether it is a calendar date.
struct BirthDate {
  std::string digits;  // 8 digits, or empty when the input was not 8 digits
  int year = 0;
  int month = 0;
  int day = 0;
  bool valid = false;
};
BirthDate ParseBirthDate(std::string_view text);

// Given-name nicknames: maps each name to the set of canonical names it may stand for
// ("bob" → {robert}, "robert" → {robert}). Two names are the same given name when their sets
// intersect. Immutable after construction; thread-safe to share.
class NicknameTable {
 public:
  // The table compiled in from data/nicknames/names.csv.
  static const NicknameTable& Default();
  // Parses `name1,relationship,name2` rows (a header row is skipped), name1 being canonical.
  // kInvalidArgument naming the line for a row without three fields.
  static Result<NicknameTable> Parse(std::string_view csv);

  // Canonical ids for a normalised name; nullptr when the name is not in the table.
  const std::vector<std::uint32_t>* CanonicalIds(std::string_view name) const;
  // True when both names are in the table and share a canonical form.
  bool SameName(std::string_view a, std::string_view b) const;
  // True when two CanonicalIds sets share an element (either may be nullptr).
  static bool Intersect(const std::vector<std::uint32_t>* a, const std::vector<std::uint32_t>* b);

  size_t size() const { return canonical_.size(); }

 private:
  std::unordered_map<std::string, std::vector<std::uint32_t>> canonical_;
};

}  // namespace custos::patients
