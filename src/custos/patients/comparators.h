// String comparators for person matching: Jaro-Winkler similarity, American Soundex and
// "at most one edit" checks. All take normalised text, allocate nothing for strings up to
// kMaxFastLength bytes, and are thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace custos::patients {

// Strings longer than this fall back to a heap buffer in Jaro().
inline constexpr size_t kMaxFastLength = 64;

// Jaro similarity in [0, 1]; 1 for two empty strings, 0 when exactly one is empty.
double Jaro(std::string_view a, std::string_view b);

// Jaro-Winkler (Winkler 1990): Jaro plus 0.1 per common leading character, at most 4.
// MARTHA/MARHTA 0.961, DWAYNE/DUANE 0.84, DIXON/DICKSONX 0.813.
double JaroWinkler(std::string_view a, std::string_view b);

// An upper bound of JaroWinkler(a, b) from which characters occur in each string at all (ignoring
// Jaro's window and order): every matched character of one string occurs in the other. A few
// operations per character, so a comparison asking "at least 0.85?" skips Jaro for most clearly
// different strings.
double JaroWinklerUpperBound(std::string_view a, std::string_view b);

// American Soundex: a letter and three digits ("robert" → "r163"); all zeros when `text` has no
// letters. Non-letters are skipped.
using SoundexCode = std::array<char, 4>;
SoundexCode Soundex(std::string_view text);

// True when a and b are equal or one insertion, deletion, substitution or transposition of two
// adjacent characters apart (Damerau-Levenshtein distance ≤ 1).
bool WithinOneEdit(std::string_view a, std::string_view b);

// True when a and b have the same length and differ by exactly one substituted character or one
// transposition of two adjacent characters: the typing errors that keep a number's length.
bool OneDigitOffOrTransposed(std::string_view a, std::string_view b);

}  // namespace custos::patients
