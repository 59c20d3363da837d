// Test-only triggers for the hardening checks (panic_test=KIND on the
// command line of the hardened kernel): each commits one bug of the kind
// its check exists for, which must end in that check's panic report.
#pragma once

#include "lib/string_view.hpp"

namespace kernel::hardening {

// Runs the trigger named `kind` (and does not come back if its check
// works). Returns false for a kind it does not know.
bool run_panic_test(lib::StringView kind);

} // namespace kernel::hardening
