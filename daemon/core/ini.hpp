// SPDX-License-Identifier: GPL-2.0-or-later
// A small INI reader with line numbers, for files other projects write: ufw's application
// profiles, DSM's .sc port declarations, KEY=value files such as firewalld.conf.
//
// Lines are `[section]`, `key=value` (or `key: value` where the format allows it), `key="quoted
// value"`, comments starting with '#' or ';', and blank lines. A bad line is an error with its
// line and column, and only that line is skipped: the caller decides what a bad line means for
// the section around it (IniError::section says which). A bad section header still starts a
// section, so that the lines after it never land in the section before. Keys and section names
// are kept as written (case included).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

struct IniEntry {
    std::string key;
    std::string value;
    unsigned line = 0;         // 1-based
    unsigned column = 0;       // of the key, 1-based, in characters
    unsigned value_column = 0; // of the value (after any opening quote)
};

struct IniSection {
    std::string name;
    unsigned line = 0;
    std::vector<IniEntry> entries; // in file order; a key may repeat (the caller decides)

    // The first entry with this key, or null.
    [[nodiscard]] const IniEntry* find(std::string_view key) const;
};

struct IniError {
    unsigned line = 0;
    unsigned column = 0;
    std::string message;
    int section = -1; // index into IniDocument::sections of the section it is in; -1 before any
};

struct IniOptions {
    // `key="value"` and `key='value'` give the text between the quotes (with \" and \\ inside
    // double quotes). Off: quotes are part of the value, as Python's configparser reads them.
    bool quoted_values = true;
    // `key: value` as well as `key=value` (configparser's default).
    bool colon_separator = false;
    // An indented line right after an entry continues its value, joined with '\n'.
    bool continuation_lines = false;
};

struct IniDocument {
    std::vector<IniEntry> globals; // entries before the first section
    std::vector<IniSection> sections;
    std::vector<IniError> errors; // at most max_ini_errors, then one saying more were left out
};

inline constexpr std::size_t max_ini_errors = 50;

IniDocument parse_ini(std::string_view text, const IniOptions& options = {});

} // namespace portcullis
