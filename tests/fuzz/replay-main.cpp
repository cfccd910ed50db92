// SPDX-License-Identifier: GPL-2.0-or-later
// A main for the fuzz targets where libFuzzer is not linked (GCC builds, CI): runs the target
// once on every file under the paths given, so a corpus, the test fixtures or a crash file
// found by a fuzzing run is replayed under the sanitizers as a plain test.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void replay(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

} // namespace

int main(int argc, char** argv) {
    std::size_t count = 0;
    for (int i = 1; i < argc; ++i) {
        std::filesystem::path p(argv[i]);
        if (std::filesystem::is_directory(p)) {
            for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
                if (e.is_regular_file()) {
                    replay(e.path());
                    ++count;
                }
            }
        } else {
            replay(p);
            ++count;
        }
    }
    std::cout << argv[0] << ": " << count << " inputs replayed\n";
    return count > 0 ? 0 : 1;
}
