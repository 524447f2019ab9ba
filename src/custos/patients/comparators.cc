#include "custos/patients/comparators.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <memory>

namespace custos::patients {

namespace {

constexpr double kWinklerScale = 0.1;
constexpr size_t kWinklerMaxPrefix = 4;

double JaroFromCounts(size_t a_size, size_t b_size, size_t matches, size_t half_transpositions) {
  const double m = static_cast<double>(matches);
  // Winkler's strcmp95 halves the count with integer division.
  const size_t transpositions = half_transpositions / 2;
  const double t = static_cast<double>(transpositions);
  return (m / static_cast<double>(a_size) + m / static_cast<double>(b_size) + (m - t) / m) / 3;
}

double JaroWithFlags(std::string_view a, std::string_view b, bool* a_flags, bool* b_flags) {
  const size_t range = std::max(a.size(), b.size()) / 2;
  const size_t window = range > 0 ? range - 1 : 0;
  size_t matches = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const size_t from = i > window ? i - window : 0;
    const size_t to = std::min(b.size(), i + window + 1);
    for (size_t j = from; j < to; ++j) {
      if (!b_flags[j] && a[i] == b[j]) {
        a_flags[i] = b_flags[j] = true;
        ++matches;
        break;
      }
    }
  }
  if (matches == 0) return 0;
  size_t half_transpositions = 0;
  size_t j = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a_flags[i]) continue;
    while (!b_flags[j]) ++j;
    if (a[i] != b[j]) ++half_transpositions;
    ++j;
  }
  return JaroFromCounts(a.size(), b.size(), matches, half_transpositions);
}

// The same computation for strings of at most 64 bytes with one bit per position: `positions`
// holds, for each byte value, the positions of `b` where it occurs, so the first unmatched
// occurrence inside a character's window is the lowest set bit of a mask. Pair comparison calls
// this millions of times; the loops over flag arrays were most of a batch run's time.
double JaroShort(std::string_view a, std::string_view b) {
  // All zero between calls: every entry set below is cleared before returning.
  thread_local std::array<std::uint64_t, 256> positions{};
  for (size_t j = 0; j < b.size(); ++j) {
    positions[static_cast<unsigned char>(b[j])] |= std::uint64_t{1} << j;
  }
  const size_t range = std::max(a.size(), b.size()) / 2;
  const size_t window = range > 0 ? range - 1 : 0;
  const auto below = [](size_t bit) {
    return bit >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bit) - 1;
  };
  std::uint64_t a_flags = 0;
  std::uint64_t b_flags = 0;
  size_t matches = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const size_t from = i > window ? i - window : 0;
    const size_t to = std::min(b.size(), i + window + 1);
    if (from >= to) continue;
    const std::uint64_t open =
        positions[static_cast<unsigned char>(a[i])] & ~b_flags & below(to) & ~below(from);
    if (open != 0) {
      b_flags |= open & (~open + 1);
      a_flags |= std::uint64_t{1} << i;
      ++matches;
    }
  }
  for (size_t j = 0; j < b.size(); ++j) positions[static_cast<unsigned char>(b[j])] = 0;
  if (matches == 0) return 0;
  size_t half_transpositions = 0;
  while (a_flags != 0) {
    const int i = std::countr_zero(a_flags);
    const int j = std::countr_zero(b_flags);
    if (a[static_cast<size_t>(i)] != b[static_cast<size_t>(j)]) ++half_transpositions;
    a_flags &= a_flags - 1;
    b_flags &= b_flags - 1;
  }
  return JaroFromCounts(a.size(), b.size(), matches, half_transpositions);
}

char SoundexDigit(char c) {
  switch (c) {
    case 'b':
    case 'f':
    case 'p':
    case 'v':
      return '1';
    case 'c':
    case 'g':
    case 'j':
    case 'k':
    case 'q':
    case 's':
    case 'x':
    case 'z':
      return '2';
    case 'd':
    case 't':
      return '3';
    case 'l':
      return '4';
    case 'm':
    case 'n':
      return '5';
    case 'r':
      return '6';
    default:
      return '0';  // vowels, h, w, y
  }
}

}  // namespace

double Jaro(std::string_view a, std::string_view b) {
  if (a.empty() && b.empty()) return 1;
  if (a.empty() || b.empty()) return 0;
  if (a == b) return 1;
  if (a.size() <= kMaxFastLength && b.size() <= kMaxFastLength) return JaroShort(a, b);
  auto a_bools = std::make_unique_for_overwrite<bool[]>(a.size());
  auto b_bools = std::make_unique_for_overwrite<bool[]>(b.size());
  std::fill_n(a_bools.get(), a.size(), false);
  std::fill_n(b_bools.get(), b.size(), false);
  return JaroWithFlags(a, b, a_bools.get(), b_bools.get());
}

double JaroWinkler(std::string_view a, std::string_view b) {
  const double jaro = Jaro(a, b);
  size_t prefix = 0;
  const size_t limit = std::min({a.size(), b.size(), kWinklerMaxPrefix});
  while (prefix < limit && a[prefix] == b[prefix]) ++prefix;
  return jaro + static_cast<double>(prefix) * kWinklerScale * (1 - jaro);
}

double JaroWinklerUpperBound(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return a.empty() && b.empty() ? 1 : 0;
  // One bit per byte value modulo 64: a collision only loosens the bound.
  const auto bit = [](char c) { return std::uint64_t{1} << (static_cast<unsigned char>(c) & 63); };
  std::uint64_t in_a = 0;
  std::uint64_t in_b = 0;
  for (char c : a) in_a |= bit(c);
  for (char c : b) in_b |= bit(c);
  size_t a_in_b = 0;
  size_t b_in_a = 0;
  for (char c : a) a_in_b += (in_b & bit(c)) != 0;
  for (char c : b) b_in_a += (in_a & bit(c)) != 0;
  const double m = static_cast<double>(std::min(a_in_b, b_in_a));
  if (m == 0) return 0;
  // Jaro with that many matches and no transpositions, then Winkler's prefix bonus.
  const double jaro =
      (m / static_cast<double>(a.size()) + m / static_cast<double>(b.size()) + 1) / 3;
  size_t prefix = 0;
  const size_t limit = std::min({a.size(), b.size(), kWinklerMaxPrefix});
  while (prefix < limit && a[prefix] == b[prefix]) ++prefix;
  return jaro + static_cast<double>(prefix) * kWinklerScale * (1 - jaro);
}

SoundexCode Soundex(std::string_view text) {
  SoundexCode code = {'0', '0', '0', '0'};
  size_t length = 0;
  char previous = 0;
  for (char raw : text) {
    const char c = (raw >= 'A' && raw <= 'Z') ? static_cast<char>(raw - 'A' + 'a') : raw;
    if (c < 'a' || c > 'z') continue;
    const char digit = SoundexDigit(c);
    if (length == 0) {
      code[length++] = c;
      previous = digit;
      continue;
    }
    // h and w do not separate letters with the same code; vowels do.
    if (c == 'h' || c == 'w') continue;
    if (digit != '0' && digit != previous) {
      code[length++] = digit;
      if (length == code.size()) break;
    }
    previous = digit;
  }
  return code;
}

bool WithinOneEdit(std::string_view a, std::string_view b) {
  if (a.size() == b.size()) return a == b || OneDigitOffOrTransposed(a, b);
  if (a.size() > b.size()) std::swap(a, b);
  if (b.size() - a.size() != 1) return false;
  size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  return a.substr(i) == b.substr(i + 1);
}

bool OneDigitOffOrTransposed(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  size_t first = 0;
  while (first < a.size() && a[first] == b[first]) ++first;
  if (first == a.size()) return false;
  if (a.substr(first + 1) == b.substr(first + 1)) return true;
  return first + 1 < a.size() && a[first] == b[first + 1] && a[first + 1] == b[first] &&
         a.substr(first + 2) == b.substr(first + 2);
}

}  // namespace custos::patients
