// SPDX-License-Identifier: GPL-2.0-or-later
// The [import] table of the config, and where imported services sit in the catalogue.
#include "core/config.hpp"
#include "core/import.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;

TEST_CASE("[import] in the config: shipped < imported < local", "[import][config]") {
    testutil::TempDir d;
    d.write("fw/web.xml", R"x(<?xml version="1.0" encoding="utf-8"?>
<service><short>Web</short><port protocol="tcp" port="8080"/></service>
)x");
    d.write("fw/jellyfin.xml", R"x(<service><short>Jellyfin</short>
<port protocol="tcp" port="8096"/></service>
)x");
    d.write("ufw/apps", "[Media Box]\ntitle=Media\ndescription=d\nports=9000/udp\n");
    // The local catalogue replaces firewalld-jellyfin whole and gives it a unit.
    d.write("local/50-local.toml", R"x([[service]]
id = "firewalld-jellyfin"
name = "Jellyfin (local)"
ports = ["8096/tcp", "8920/tcp"]
units = ["jellyfin.service"]
)x");
    const std::string shipped = std::string(PORTCULLIS_SOURCE_DIR) + "/conf/catalog.d";
    std::string cfg = d.write("p.toml", "catalog_dirs = [\"" + shipped +
                                            "\", \"local\"]\n[import]\nfirewalld = [\"fw\"]\n"
                                            "ufw = [\"ufw\"]\n[always]\nservices = "
                                            "[\"firewalld-web\", \"ufw-media-box\"]\n");
    Loaded l = load_all(cfg);
    CHECK(l.config.import.firewalld == std::vector<std::string>{d.str() + "/fw"});
    CHECK(l.config.import.ufw == std::vector<std::string>{d.str() + "/ufw"});
    CHECK(l.warnings.empty());

    const Service* web = l.catalog.find("firewalld-web");
    REQUIRE(web);
    CHECK(web->source == d.str() + "/fw/web.xml");
    CHECK(web->ports == std::vector<PortRange>{{Proto::tcp, 8080, 8080}});
    const Service* media = l.catalog.find("ufw-media-box");
    REQUIRE(media);
    CHECK(media->ports == std::vector<PortRange>{{Proto::udp, 9000, 9000}});
    const Service* jf = l.catalog.find("firewalld-jellyfin");
    REQUIRE(jf);
    CHECK(jf->name == "Jellyfin (local)");
    CHECK(jf->units == std::vector<std::string>{"jellyfin.service"});
    CHECK(jf->ports.size() == 2);
    // The shipped catalogue is there too, and never uses the imports' prefixes, so no shipped
    // entry can be replaced by an imported one.
    REQUIRE(l.catalog.find("ssh"));
    Catalog shipped_only = load_catalog({shipped});
    for (const auto& s : shipped_only.services()) {
        CHECK_FALSE(s.id.starts_with("firewalld-"));
        CHECK_FALSE(s.id.starts_with("ufw-"));
    }
}

TEST_CASE("[import] keys are lists of non-empty directories", "[import][config]") {
    auto first_error = [](const std::string& text) {
        try {
            (void)parse_config_text(text, "/etc/p.toml");
        } catch (const ConfigError& e) {
            return e.diagnostics().front().str();
        }
        return std::string();
    };
    CHECK(first_error("[import]\nfirewalld = [\"\"]\n") ==
          "/etc/p.toml:2:14: firewalld entries cannot be empty");
    CHECK(first_error("[import]\nnftables = []\n").find("unknown key 'nftables' in [import]") !=
          std::string::npos);
    CHECK(first_error("[import]\nufw = \"/etc/ufw\"\n").find("'ufw' must be") != std::string::npos);
    Config c = parse_config_text("[import]\nufw = [\"apps\", \"/etc/ufw/applications.d\"]\n",
                                 "/etc/portcullis/p.toml");
    CHECK(c.import.ufw ==
          std::vector<std::string>{"/etc/portcullis/apps", "/etc/ufw/applications.d"});
    CHECK(c.import.firewalld.empty());
}
