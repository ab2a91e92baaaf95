// Duplicate grouping for reference libraries: entries with the same reduced formula, space group
// and a near-identical pattern (cosine over a small 2θ zero-shift search) become one identity.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "xrd/library.hpp"

namespace xrdid::xrd {

// Largest cosine similarity of rows a and b (n points each) over integer shifts of b by
// -max_shift..+max_shift grid points; norms are those of the whole rows, so the result is ≤ 1.
// A row that is all zeros matches nothing (0).
double shifted_cosine(const float* a, const float* b, std::size_t n, int max_shift);

// Composition key of a formula such as "Ti3.52N3.52" or "DyMn4.5Cr1.5Ge6": elements in
// alphabetical order with their atom fractions rounded to 0.001, so "TiN", "Ti2N2" and
// "Ti3.52N3.52" share one key. A string that is not Element[amount]… is returned unchanged.
std::string composition_key(const std::string& formula);

// One group id per entry. Entries i and j are linked when reduced_formula (as composition_key) and
// spacegroup_number are equal and shifted_cosine ≥ min_cosine with shifts up to max_shift_deg
// (converted with the library step, rounded down); groups are the connected components
// (union–find), numbered 0, 1, … in order of their first entry.
// Throws std::invalid_argument when the library was loaded without patterns or the
// arguments are out of range (min_cosine outside [-1, 1], negative shift).
std::vector<int> group_duplicates(const Library& lib, double min_cosine = 0.98, double max_shift_deg = 0.1);

}  // namespace xrdid::xrd
