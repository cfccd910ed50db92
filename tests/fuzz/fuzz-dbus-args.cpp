// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: what the D-Bus methods do with their arguments before the manager acts.
// The bytes are split at NUL into: an object path (per-service objects: decoded to an id), a
// service id (encoded to a path, which must decode back to it), an override state (SetOverride:
// "open", "closed", "auto"), and a protocol word with a port (Explain), looked up in the plan
// of the shipped catalogue with every service enabled. Any arguments must give an answer or a
// refusal, never a crash; a broken round trip aborts.
#include "api/service-paths.hpp"
#include "core/catalog.hpp"
#include "core/config.hpp"
#include "core/planner.hpp"
#include "portcullis/facts.hpp"
#include "portcullis/ports.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct World {
    portcullis::Catalog catalog;
    portcullis::DesiredState state;
};

// The shipped catalogue, every service's units active and packages enabled: the most open
// plan, where Explain has the most to look through.
const World& world() {
    static const World w = [] {
        World x;
        x.catalog = portcullis::load_catalog({PORTCULLIS_SOURCE_DIR "/conf/catalog.d"});
        portcullis::Config cfg = portcullis::parse_config_text("", "/f/portcullis.toml");
        portcullis::Facts facts;
        for (const auto& s : x.catalog.services()) {
            for (const auto& u : s.units)
                facts.units[u] = portcullis::UnitState{"enabled", "active"};
            for (const auto& p : s.packages)
                facts.packages.insert(p);
        }
        x.state = portcullis::plan(cfg, x.catalog, facts, {});
        return x;
    }();
    return w;
}

void check(bool ok) {
    if (!ok)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view all(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> args;
    while (args.size() < 4) {
        auto nul = all.find('\0');
        args.push_back(all.substr(0, nul));
        if (nul == std::string_view::npos) {
            all = {};
            break;
        }
        all.remove_prefix(nul + 1);
    }
    args.resize(4);
    const World& w = world();

    // A per-service object path: the id it names is looked up as the fallback vtable does.
    std::string id = portcullis::service_id_from_path(args[0]);
    if (!id.empty())
        (void)w.catalog.find(id);

    // An id: its path decodes back to it (D-Bus clients build paths from ids).
    std::string path = portcullis::service_object_path(args[1]);
    if (!path.empty() && !args[1].empty())
        check(portcullis::service_id_from_path(path) == args[1]);
    (void)w.catalog.find(args[1]);

    // SetOverride's state word.
    if (auto o = portcullis::override_from_string(args[2]))
        check(portcullis::override_from_string(portcullis::to_string(*o)) == o);

    // Explain(proto, port): the port is the last two bytes, as a "q" argument.
    if (auto proto = portcullis::proto_from_string(args[3])) {
        std::uint16_t port = 0;
        if (all.size() >= 2)
            port = static_cast<std::uint16_t>(static_cast<unsigned char>(all[0]) << 8 |
                                              static_cast<unsigned char>(all[1]));
        for (const auto& e : portcullis::explain(w.state, *proto, port))
            check(!e.service.empty() && w.catalog.find(e.service) != nullptr);
    }
    return 0;
}
