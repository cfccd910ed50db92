// SPDX-License-Identifier: GPL-2.0-or-later
// load-bench: how loading grows with the size of a list, against a tenth of it in the same run.
// Linear work shows a ratio near 10; work quadratic in the list, near 100. Prints medians of
// five loads (wall clock); not a test. No root needed.
//
//   interfaces   one zone with N interface names (a name listed twice counts once)
//   always       [always] services with N ids
//   catalogue    one catalogue file with N services, loaded from a directory
#include "core/catalog.hpp"
#include "core/config.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <unistd.h>
#include <vector>

using namespace portcullis;
using Clock = std::chrono::steady_clock;

namespace {

double median_ms(const std::function<void()>& load) {
    std::vector<double> ms;
    for (int i = 0; i < 5; ++i) {
        auto t0 = Clock::now();
        load();
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[2];
}

std::string list(int n, const char* prefix) {
    std::string s;
    for (int i = 0; i < n; ++i)
        s += std::string("\"") + prefix + std::to_string(i) + "\",";
    return s;
}

void report(const char* what, int n, const std::function<double(int)>& at) {
    double small = at(n / 10);
    double big = at(n);
    std::printf("  %-10s %6d in %8.2f ms, %6d in %8.2f ms: x%.1f\n", what, n / 10, small, n, big,
                big / std::max(small, 0.001));
}

} // namespace

int main() {
    const int n = 40000;
    std::printf("load time for a tenth of N and for N (linear: x10, quadratic: x100)\n");
    report("interfaces", n, [](int k) {
        std::string text = "[zones.lan]\ninterfaces = [" + list(k, "e") + "]\n";
        return median_ms([&] { parse_config_text(text, "bench.toml"); });
    });
    report("always", n, [](int k) {
        std::string text = "[always]\nservices = [" + list(k, "s") + "]\n";
        return median_ms([&] { parse_config_text(text, "bench.toml"); });
    });
    char tmpl[] = "/tmp/portcullis-load-bench-XXXXXX";
    if (!mkdtemp(tmpl))
        return 1;
    std::filesystem::path dir(tmpl);
    report("catalogue", n, [&](int k) {
        {
            std::ofstream f(dir / "50-bench.toml");
            // Written in reverse id order: the worst case for keeping the list sorted as it grows.
            for (int i = k - 1; i >= 0; --i)
                f << "[[service]]\nid = \"s" << i << "\"\nname = \"S\"\nports = [\""
                  << 1 + i % 60000 << "/tcp\"]\nunits = [\"s" << i << ".service\"]\n";
        }
        return median_ms([&] { load_catalog({dir.string()}); });
    });
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return 0;
}
