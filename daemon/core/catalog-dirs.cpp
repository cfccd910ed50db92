// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/catalog-dirs.hpp"

#include "core/config.hpp"

#include <tuple>

namespace portcullis {

std::string empty_catalog_text(const std::vector<std::string>& dirs) {
    std::string text = "no service in any catalogue directory (searched:";
    for (std::size_t i = 0; i < dirs.size(); ++i)
        text += (i ? ", " : " ") + dirs[i];
    return text + (dirs.empty() ? " nothing)" : ")");
}

std::optional<Diagnostic> names_services_without_catalog(const Config& cfg, const Catalog& cat) {
    if (cat.size() != 0 || (cfg.services.empty() && cfg.always.empty()))
        return std::nullopt;
    std::optional<SourcePos> first;
    auto consider = [&](const SourcePos& pos) {
        if (!first || std::tie(pos.line, pos.column) < std::tie(first->line, first->column))
            first = pos;
    };
    for (const auto& [id, policy] : cfg.services)
        consider(policy.pos);
    for (const auto& pos : cfg.always_pos)
        consider(pos);
    return Diagnostic{first.value_or(SourcePos{cfg.path}),
                      "the config names services, but there is " +
                          empty_catalog_text(cfg.catalog_dirs)};
}

} // namespace portcullis
