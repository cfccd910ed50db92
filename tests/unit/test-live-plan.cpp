// SPDX-License-Identifier: GPL-2.0-or-later
// LivePlan must always hold exactly what plan() would build from the same inputs: after every
// step of random changes (units, packages, overrides), on random catalogues with overlapping
// and adjacent ranges, several zones, optional ports, templates and the ftp helper.
#include "core/live-plan.hpp"

#include <catch2/catch.hpp>
#include <random>

using namespace portcullis;

namespace {

struct World {
    Config cfg;
    Catalog cat;
    Facts facts;
    Overrides overrides;
};

const std::vector<std::string> file_states = {"enabled", "disabled", "static", "masked",
                                              "enabled-runtime"};
const std::vector<std::string> active_states = {"active", "inactive", "activating", "failed"};

World random_world(std::mt19937& rng, int services) {
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    World w;
    w.cfg.systemd.open_when = OpenWhen::enabled_or_active;
    w.cfg.synology.enabled = true;
    for (const char* z : {"lan", "wan", "dmz"}) {
        Zone zone;
        zone.name = z;
        zone.is_default = std::string(z) != "dmz";
        w.cfg.declared_zones.push_back(zone);
    }
    for (int i = 0; i < services; ++i) {
        Service s;
        s.id = "s" + std::to_string(i);
        s.name = s.id;
        // A small port space, so that ranges overlap, nest and touch.
        for (int k = 0, n = 1 + pick(3); k < n; ++k) {
            auto first = static_cast<std::uint16_t>(1 + pick(120));
            auto last = static_cast<std::uint16_t>(first + pick(6));
            Proto p = pick(5) == 0 ? Proto::udp : Proto::tcp;
            s.ports.push_back({p, first, last});
        }
        if (pick(10) == 0)
            s.ports.push_back({pick(2) ? Proto::icmp : Proto::icmpv6, 0, 0});
        s.optional.push_back({Proto::tcp, 200, 260});
        s.units.push_back("u" + std::to_string(pick(services)) + ".service");
        if (pick(4) == 0)
            s.units.push_back("t" + std::to_string(pick(5)) + "@.service");
        if (pick(5) == 0)
            s.packages.push_back("P" + std::to_string(pick(8)));
        if (pick(8) == 0)
            s.helpers.push_back("ftp");
        if (pick(6) == 0) {
            ServicePolicy pol;
            pol.zones = std::vector<std::string>{pick(2) ? "dmz" : "wan"};
            if (pick(2))
                pol.optional.push_back(
                    {Proto::tcp, static_cast<std::uint16_t>(200 + pick(30)), 231});
            w.cfg.services.emplace(s.id, pol);
        }
        if (pick(25) == 0) {
            w.cfg.always.push_back(s.id);
            w.cfg.always_ids.insert(s.id);
        }
        w.cat.add_or_replace(s);
    }
    return w;
}

// One random change to the inputs; returns what the manager would hand the plan.
std::vector<std::uint32_t> random_change(std::mt19937& rng, World& w, const ServiceIndex& index,
                                         int services) {
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    std::vector<std::uint32_t> touched;
    for (int k = 0, n = 1 + pick(4); k < n; ++k) {
        switch (pick(4)) {
        case 0:
        case 1: {
            std::string unit = pick(4) ? "u" + std::to_string(pick(services)) + ".service"
                                       : "t" + std::to_string(pick(5)) + "@i" +
                                             std::to_string(pick(3)) + ".service";
            if (pick(5) == 0)
                w.facts.units.erase(unit);
            else
                w.facts.units[unit] = {file_states[static_cast<std::size_t>(pick(5))],
                                       active_states[static_cast<std::size_t>(pick(4))]};
            index.services_of_unit(unit, touched);
            break;
        }
        case 2: {
            std::string pkg = "P" + std::to_string(pick(8));
            if (!w.facts.packages.erase(pkg))
                w.facts.packages.insert(pkg);
            index.services_of_package(pkg, touched);
            break;
        }
        default: {
            std::string id = "s" + std::to_string(pick(services));
            int o = pick(3);
            if (o == 2)
                w.overrides.erase(id);
            else
                w.overrides[id] = o ? Override::open : Override::closed;
            touched.push_back(*index.position(id));
            break;
        }
        }
    }
    return touched;
}

void check_diff(const Diff& got, const DesiredState& before, const DesiredState& after) {
    Diff want = diff(before, after);
    CHECK_FALSE(got.layout_changed);
    CHECK(got.opened == want.opened);
    CHECK(got.closed == want.closed);
    REQUIRE(got.sets.size() == want.sets.size());
    for (std::size_t i = 0; i < want.sets.size(); ++i) {
        CHECK(got.sets[i].zone == want.sets[i].zone);
        CHECK(got.sets[i].proto == want.sets[i].proto);
        CHECK(got.sets[i].diff.add == want.sets[i].diff.add);
        CHECK(got.sets[i].diff.del == want.sets[i].diff.del);
    }
    CHECK(got.ftp_helper.add == want.ftp_helper.add);
    CHECK(got.ftp_helper.del == want.ftp_helper.del);
}

} // namespace

TEST_CASE("the live plan equals plan() after every change, and its diff is the diff",
          "[planner][live]") {
    for (unsigned seed = 1; seed <= 12; ++seed) {
        std::mt19937 rng(seed);
        const int services = 40;
        World w = random_world(rng, services);
        LivePlan live;
        live.reset(w.cfg, w.cat, plan(w.cfg, w.cat, w.facts, w.overrides));
        for (int step = 0; step < 150; ++step) {
            DesiredState before = live.state();
            auto touched = random_change(rng, w, live.index(), services);
            auto st = live.update(w.facts, w.overrides, touched);
            DesiredState want = plan(w.cfg, w.cat, w.facts, w.overrides);
            INFO("seed " << seed << " step " << step);
            REQUIRE(live.state() == want);
            check_diff(live.diff(st), before, want);
        }
    }
}

TEST_CASE("undoing a step puts back the state and the counts", "[planner][live]") {
    std::mt19937 rng(99);
    const int services = 40;
    World w = random_world(rng, services);
    LivePlan live;
    live.reset(w.cfg, w.cat, plan(w.cfg, w.cat, w.facts, w.overrides));
    for (int step = 0; step < 200; ++step) {
        Facts saved_facts = w.facts;
        Overrides saved_overrides = w.overrides;
        DesiredState before = live.state();
        auto touched = random_change(rng, w, live.index(), services);
        auto st = live.update(w.facts, w.overrides, touched);
        if (step % 3 == 0) {
            // The commit failed: the plan goes back, and so do the inputs (the manager keeps
            // the touched services for the retry; here the change is simply forgotten).
            live.undo(std::move(st));
            w.facts = std::move(saved_facts);
            w.overrides = std::move(saved_overrides);
            REQUIRE(live.state() == before);
        }
        // Later steps build on the counts that undo restored.
        REQUIRE(live.state() == plan(w.cfg, w.cat, w.facts, w.overrides));
    }
}

TEST_CASE("one change re-decides only the services naming what changed", "[planner][live]") {
    Catalog cat;
    for (auto [id, unit] : {std::pair{"a", "a.service"}, {"b", "b@.service"}, {"c", "c.service"}}) {
        Service s;
        s.id = id;
        s.name = id;
        s.units = {unit};
        s.ports = {{Proto::tcp, 10, 10}};
        cat.add_or_replace(s);
    }
    ServiceIndex index(cat);
    std::vector<std::uint32_t> out;
    index.services_of_unit("b@x.service", out);
    CHECK(out == std::vector<std::uint32_t>{1});
    out.clear();
    index.services_of_unit("b@x.y.service", out); // not an instance b@.service names
    index.services_of_unit("b@.service", out);    // the template itself is no unit
    index.services_of_unit("zzz.service", out);
    CHECK(out == std::vector<std::uint32_t>{1});
    CHECK(index.position("c") == 2u);
    CHECK_FALSE(index.position("d"));

    // Three services share port 10: closing two keeps it, the third closes it.
    Config cfg;
    Facts f;
    for (const char* u : {"a.service", "b@x.service", "c.service"})
        f.units[u] = {"enabled", "inactive"};
    LivePlan live;
    live.reset(cfg, cat, plan(cfg, cat, f, {}));
    f.units["a.service"].file_state = "disabled";
    f.units["c.service"].file_state = "disabled";
    auto st = live.update(f, {}, {0, 2});
    Diff d = live.diff(st);
    CHECK(d.closed == std::vector<std::string>{"a", "c"});
    CHECK(d.sets.empty());
    f.units.erase("b@x.service");
    d = live.diff(live.update(f, {}, {1}));
    CHECK(d.closed == std::vector<std::string>{"b"});
    REQUIRE(d.sets.size() == 1);
    CHECK(d.sets[0].diff.del == std::vector<Interval>{{10, 10}});
}
