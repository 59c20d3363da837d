// Building the root RAM filesystem from the boot files (see populate.cpp).
#pragma once

namespace kernel::fs {

void populate_from_boot_files();

} // namespace kernel::fs
