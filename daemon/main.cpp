// portcullisd: parse the command line, then either run an offline command or the daemon.
#include "portcullis/cli.hpp"

#include <iostream>

int main(int argc, char** argv) {
    auto opts = portcullis::parse_args(argc, argv, std::cerr);
    if (!opts)
        return portcullis::exit_usage;
    if (opts->command != portcullis::Command::run)
        return portcullis::run_offline(*opts, std::cout, std::cerr);
    std::cerr << "<3>portcullisd: the long-running daemon is not built yet; "
                 "use --check-config, --print-catalog or --print-ruleset\n";
    return portcullis::exit_software;
}
