// SPDX-License-Identifier: GPL-2.0-or-later
// The single-instance lock: its file name (table and network namespace), the pid in it, and a
// second lock on the same file refused while the first is held, granted once it is gone.
#include "app/instance-lock.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace portcullis;

TEST_CASE("the lock file is named by table and network namespace", "[instance-lock]") {
    CHECK(instance_lock_name("portcullis", 4026531840) == "portcullis-4026531840.lock");
    CHECK(instance_lock_name("pc-test_2", 7) == "pc-test_2-7.lock");
    // Never more than one path component, whatever the table name.
    CHECK(instance_lock_name("../x/y", 1) == "___x_y-1.lock");
    CHECK(instance_lock_name("", 1) == "_-1.lock");
    CHECK(instance_lock_name("a", 1) != instance_lock_name("a", 2));
    CHECK(instance_lock_fallback_dir("/var/packages/portcullis/var") ==
          "/var/packages/portcullis/var/lock");
}

TEST_CASE("the holder's pid is read back, or nothing", "[instance-lock]") {
    CHECK(parse_lock_pid("1234\n") == 1234);
    CHECK(parse_lock_pid("1234") == 1234);
    CHECK(parse_lock_pid("") == 0);
    CHECK(parse_lock_pid("12x\n") == 0);
    CHECK(parse_lock_pid("-5\n") == 0);
}

TEST_CASE("a second lock on the same table is refused and names the first", "[instance-lock]") {
    testutil::TempDir dir;
    std::string msg;
    auto first = std::make_unique<InstanceLock>();
    REQUIRE(first->acquire("pc", dir.str(), "", &msg) == InstanceLock::Result::acquired);
    std::ifstream in(first->path());
    std::string pid;
    std::getline(in, pid);
    CHECK(pid == std::to_string(getpid()));

    // flock() locks belong to the open file description: a second open in this same process
    // conflicts as another process would.
    InstanceLock second;
    CHECK(second.acquire("pc", dir.str(), "", &msg) == InstanceLock::Result::held);
    CHECK(msg.find("pid " + std::to_string(getpid())) != std::string::npos);
    CHECK(msg.find("table 'pc'") != std::string::npos);

    InstanceLock other_table;
    CHECK(other_table.acquire("pc2", dir.str(), "", &msg) == InstanceLock::Result::acquired);

    first.reset();
    InstanceLock third;
    CHECK(third.acquire("pc", dir.str(), "", &msg) == InstanceLock::Result::acquired);
}

TEST_CASE("an unusable first directory falls back to the second", "[instance-lock]") {
    testutil::TempDir dir;
    std::string msg;
    // A regular file where the directory should be: neither mkdir nor open can work there.
    std::ofstream(dir.path() / "file") << "x";
    InstanceLock lock;
    REQUIRE(lock.acquire("pc", (dir.path() / "file").string(), (dir.path() / "state/lock").string(),
                         &msg) == InstanceLock::Result::acquired);
    CHECK(lock.path().rfind((dir.path() / "state/lock/pc-").string(), 0) == 0);

    InstanceLock none;
    CHECK(none.acquire("pc", (dir.path() / "file").string(), (dir.path() / "file/x").string(),
                       &msg) == InstanceLock::Result::error);
    CHECK(msg.find("cannot open the instance lock") != std::string::npos);
}
