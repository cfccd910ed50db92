// SPDX-License-Identifier: GPL-2.0-or-later
// Errors in files an admin wrote: every one carries FILE:LINE:COLUMN.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace portcullis {

struct SourcePos {
    std::string file;
    unsigned line = 0;   // 1-based; 0 when the error concerns the file as a whole
    unsigned column = 0; // 1-based
};

// "FILE:LINE:COLUMN", or "FILE" without a position.
std::string to_string(const SourcePos& pos);

struct Diagnostic {
    SourcePos pos;
    std::string message;

    // "FILE:LINE:COLUMN: message" (or "FILE: message" without a position).
    [[nodiscard]] std::string str() const;
};

// One or more diagnostics from loading a config or catalogue. Loading stops at the end of the
// file that failed so an admin sees every error of that file at once.
class ConfigError : public std::runtime_error {
public:
    explicit ConfigError(std::vector<Diagnostic> diags);
    ConfigError(SourcePos pos, const std::string& message);

    [[nodiscard]] const std::vector<Diagnostic>& diagnostics() const { return diags_; }

private:
    std::vector<Diagnostic> diags_;
};

} // namespace portcullis
