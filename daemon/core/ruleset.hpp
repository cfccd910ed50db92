// SPDX-License-Identifier: GPL-2.0-or-later
// Builds the table layout from a DesiredState, and renders it as nft text.
#pragma once

#include "core/planner.hpp"
#include "portcullis/table-layout.hpp"

#include <string>
#include <string_view>

namespace portcullis {

TableLayout build_layout(const DesiredState& st, std::string_view table);

// The table as `nft list table inet NAME` prints it; also valid input for `nft -f`.
std::string render_nft(const TableLayout& layout);
std::string render_rule(const RuleSpec& rule);

} // namespace portcullis
