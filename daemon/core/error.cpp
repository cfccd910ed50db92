// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/error.hpp"

#include "core/strings.hpp"

namespace portcullis {

std::string to_string(const SourcePos& pos) {
    std::string s = pos.file;
    if (pos.line > 0)
        s += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
    return s;
}

std::string Diagnostic::str() const {
    return to_string(pos) + ": " + message;
}

namespace {
std::string lines(const std::vector<Diagnostic>& diags) {
    std::vector<std::string> out;
    out.reserve(diags.size());
    for (const auto& d : diags)
        out.push_back(d.str());
    return join(out, "\n");
}
} // namespace

ConfigError::ConfigError(std::vector<Diagnostic> diags)
    : std::runtime_error(lines(diags)), diags_(std::move(diags)) {}

ConfigError::ConfigError(SourcePos pos, const std::string& message)
    : ConfigError(std::vector<Diagnostic>{{std::move(pos), message}}) {}

} // namespace portcullis
