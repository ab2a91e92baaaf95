// The training loss on the cosine head's output: CosFace (scale s, margin m), AdaCos (adaptive
// scale) or plain softmax cross-entropy on the raw cosines.
#pragma once
#include <array>
#include <string_view>

#include "common/named_enum.hpp"

namespace xrdid::nn {

enum class Loss { CosFace, AdaCos, Softmax };
inline constexpr std::array<std::string_view, 3> kLossNames{"cosface", "adacos", "softmax"};

inline Loss parse_loss(std::string_view s) { return parse_named<Loss>("loss", s, kLossNames); }
inline std::string_view name(Loss l) { return enum_name(l, kLossNames); }

}  // namespace xrdid::nn
