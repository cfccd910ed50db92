#include "portcullis/backend-factory.hpp"

namespace portcullis {

std::unique_ptr<Backend> make_backend(const Config& cfg, std::string* error) {
    // The nftables backend is being written (issue 3); until it lands, only --dry-run runs.
    (void)cfg;
    if (error)
        *error = "the nftables backend is not built yet; run with --dry-run";
    return nullptr;
}

} // namespace portcullis
