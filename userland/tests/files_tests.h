// Helpers shared by the `files` group's files (defined in files_tests.cpp):
// every case runs in a fresh scratch directory that is removed afterwards.
#pragma once

#include "harness.h"

#include <string>
#include <string_view>

namespace files_test {

// Runs body inside a new scratch directory (under /tmp on Myriad, under
// the working directory elsewhere), then removes the directory.
void in_scratch_dir(ut::Test& t, void (*body)(ut::Test&));
// The current case's scratch directory (absolute).
const std::string& scratch_path();
// Writes contents to path (created or truncated); false on failure.
bool put(const char* path, std::string_view contents);
// The whole file, or "<open: ERRNO>" / "<read: ERRNO>".
std::string contents(const char* path);

// A case that runs Body in a scratch directory.
template <void (*Body)(ut::Test&)> void scratch(ut::Test& t) { in_scratch_dir(t, Body); }

} // namespace files_test
