// SPDX-License-Identifier: GPL-2.0-or-later
// Internal: strict reading of TOML files with positions for every error.
//
// Only config.cpp and catalog.cpp include this; toml++ stays out of the public headers so that
// the rest of the daemon and the tests compile without it.
#pragma once

#include "core/error.hpp"
#include "core/text-file.hpp"

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <utility>
#include <vector>

namespace portcullis::detail {

// Checks what toml++ 3.3.0 cannot be trusted with: invalid UTF-8, and non-ASCII code points
// outside strings and comments or inside multi-line basic strings, which reach TOML_UNREACHABLE
// in that version (upstream issues #190 and #295); raw control characters (all but tab, CR and
// LF), which TOML forbids everywhere; and two shapes of invalid TOML on which the library
// asserts in builds with assertions on (a table header that does not begin with a name, "[=]",
// "[" then 0x01; a "}" where an array expects a value, "a = [}]"), found by fuzzing such a
// build (tests/fuzz/fuzz-toml.cpp). Returns the first offence, if any.
std::optional<Diagnostic> guard_toml_text(std::string_view text, const std::string& file);

class TomlReader {
public:
    explicit TomlReader(std::string file) : file_(std::move(file)) {}

    // Parses text (after the guard). Throws ConfigError on a syntax error.
    toml::table parse(std::string_view text);

    [[nodiscard]] const std::string& file() const { return file_; }
    [[nodiscard]] SourcePos pos(const toml::source_region& r) const;
    [[nodiscard]] SourcePos pos(const toml::node& n) const { return pos(n.source()); }

    void error(SourcePos p, std::string message);
    [[nodiscard]] bool failed() const { return !diags_.empty(); }
    // Throws ConfigError with every diagnostic recorded, if any.
    void finish();

    // Records an error for every key of tbl not in allowed. `where` names the table for the
    // message ("top level", "[zones.lan]").
    void check_keys(const toml::table& tbl, std::initializer_list<std::string_view> allowed,
                    std::string_view where);

    // Typed getters. A missing key yields nullopt silently; a wrong type records an error and
    // yields nullopt. Strings with a control character are refused the same way, wherever they
    // are read: no name, path, interface or id has one, and a NUL would cut a path short at
    // the first C call (state_dir = "/x.toml\u0000/state" used to mean /x.toml).
    std::optional<std::string> get_string(const toml::table& tbl, std::string_view key);
    std::optional<bool> get_bool(const toml::table& tbl, std::string_view key);
    std::optional<std::vector<std::pair<std::string, SourcePos>>>
    get_strings(const toml::table& tbl, std::string_view key);
    const toml::table* get_table(const toml::table& tbl, std::string_view key);

    // Position of a key, or of the table when the key is absent.
    SourcePos key_pos(const toml::table& tbl, std::string_view key) const;

private:
    // value, or nullopt (and an error at n) when it has a control character.
    std::optional<std::string> clean_string(const toml::node& n, std::string_view key,
                                            const std::string& value);

    std::string file_;
    std::vector<Diagnostic> diags_;
};

std::string_view type_name(const toml::node& n);

} // namespace portcullis::detail
