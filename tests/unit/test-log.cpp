// SPDX-License-Identifier: GPL-2.0-or-later
// The <N> priority prefixes journald reads from stderr: every line of a message carries its own,
// so a multi-line message (a failed reload's diagnostics) is filed at its level line by line.
#include "app/log.hpp"
#include "app/manager.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace portcullis;

namespace {

// Everything written to fd 2 while it lives goes to a temporary file (no pipe: a long message
// could fill it and block the writer); take() puts stderr back and returns what was written.
class StderrCapture {
public:
    StderrCapture() {
        (void)std::fflush(stderr);
        file_ = std::tmpfile();
        saved_ = dup(STDERR_FILENO);
        if (file_ && saved_ >= 0)
            redirected_ = dup2(fileno(file_), STDERR_FILENO) == STDERR_FILENO;
    }
    ~StderrCapture() {
        restore();
        if (file_)
            (void)std::fclose(file_);
        if (saved_ >= 0)
            close(saved_);
    }
    StderrCapture(const StderrCapture&) = delete;
    StderrCapture& operator=(const StderrCapture&) = delete;

    [[nodiscard]] bool ok() const { return redirected_; }

    std::string take() {
        restore();
        std::string out;
        if (!file_ || lseek(fileno(file_), 0, SEEK_SET) != 0)
            return out;
        char buf[4096];
        for (;;) {
            ssize_t n = read(fileno(file_), buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            out.append(buf, static_cast<std::size_t>(n));
        }
        return out;
    }

private:
    void restore() {
        if (!redirected_)
            return;
        (void)std::fflush(stderr);
        dup2(saved_, STDERR_FILENO);
        redirected_ = false;
    }

    std::FILE* file_ = nullptr;
    int saved_ = -1;
    bool redirected_ = false;
};

std::string captured(LogLevel level, std::string_view message) {
    StderrCapture cap;
    REQUIRE(cap.ok());
    log(level, message);
    return cap.take();
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// The level a test found, to put back what PORTCULLIS_DEBUG chose.
LogLevel default_level() {
    return std::getenv("PORTCULLIS_DEBUG") ? LogLevel::debug : LogLevel::info;
}

} // namespace

TEST_CASE("every line of a message gets its own priority prefix", "[log]") {
    CHECK(captured(LogLevel::warning, "a\nb") == "<4>a\n<4>b\n");
    CHECK(captured(LogLevel::err, "one line") == "<3>one line\n");
    CHECK(captured(LogLevel::notice, "a\n\nb") == "<5>a\n<5>\n<5>b\n");
}

TEST_CASE("a trailing newline ends the last line and starts no empty one", "[log]") {
    CHECK(captured(LogLevel::info, "a\nb\n") == "<6>a\n<6>b\n");
    CHECK(captured(LogLevel::info, "\n") == "<6>\n");
    CHECK(captured(LogLevel::info, "") == "<6>\n");
}

TEST_CASE("messages above the log level are dropped whole", "[log]") {
    set_log_level(LogLevel::warning);
    std::string out = captured(LogLevel::info, "x\ny");
    std::string kept = captured(LogLevel::warning, "w");
    set_log_level(default_level());
    CHECK(out.empty());
    CHECK(kept == "<4>w\n");
}

TEST_CASE("a failed reload logs every diagnostic line at error priority", "[log][reload]") {
    testutil::TempDir dir;
    dir.write("catalog.d/10.toml",
              "[[service]]\nid = \"ssh\"\nname = \"SSH\"\nports = [\"22/tcp\"]\n");
    const std::string config =
        dir.write("p.toml", "catalog_dirs = [\"catalog.d\"]\nstate_dir = \"state\"\n[always]\n"
                            "services = [\"ssh\", \"nope\", \"nada\"]\n");
    uv_loop_t loop{};
    REQUIRE(uv_loop_init(&loop) == 0);
    std::string out;
    std::string err;
    int rc = 0;
    {
        // The error path never gets as far as a backend or a watcher.
        Manager m(
            &loop, ManagerOptions{config, true, false},
            [](const Config&, std::string*) { return std::unique_ptr<Backend>(); },
            [](uv_loop_t*, const std::string&, const std::function<void()>&) {
                return std::unique_ptr<UnitSource>();
            },
            [](uv_loop_t*, const std::string&, const std::function<void()>&) {
                return std::unique_ptr<PackageSource>();
            });
        StderrCapture cap;
        REQUIRE(cap.ok());
        rc = m.reload(&err);
        out = cap.take();
    }
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_loop_close(&loop);

    CHECK(rc == -EINVAL);
    const std::vector<std::string> diags = split_lines(err);
    REQUIRE(diags.size() == 2);
    CHECK(diags[0] == config + ":4:20: unknown service \"nope\" (not in the catalogue)");
    CHECK(diags[1] == config + ":4:28: unknown service \"nada\" (not in the catalogue)");
    const std::vector<std::string> lines = split_lines(out);
    CHECK(lines.size() == 3);
    for (const auto& line : lines)
        CHECK(line.rfind("<3>", 0) == 0);
    for (const auto& d : diags)
        CHECK(out.find("<3>" + d + "\n") != std::string::npos);
    CHECK(out.find("<3>reload failed") != std::string::npos);
}
