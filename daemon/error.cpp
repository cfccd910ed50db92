#include "portcullis/error.hpp"

namespace portcullis {

std::string to_string(const SourcePos& pos) {
    std::string s = pos.file;
    if (pos.line > 0)
        s += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
    return s;
}

std::string Diagnostic::str() const { return to_string(pos) + ": " + message; }

namespace {
std::string join(const std::vector<Diagnostic>& diags) {
    std::string s;
    for (const auto& d : diags) {
        if (!s.empty())
            s += '\n';
        s += d.str();
    }
    return s;
}
} // namespace

ConfigError::ConfigError(std::vector<Diagnostic> diags)
    : std::runtime_error(join(diags)), diags_(std::move(diags)) {}

ConfigError::ConfigError(SourcePos pos, const std::string& message)
    : ConfigError(std::vector<Diagnostic>{{std::move(pos), message}}) {}

} // namespace portcullis
