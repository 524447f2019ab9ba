// The custos command line: `custos serve | init | migrate | user … | audit … | version`.
// Every subcommand takes --data-dir, --database, --config and --set NAME=VALUE; settings come
// from the configuration file, then CUSTOS_* environment variables, then flags (core/config.h).
// Exit status: 0 success, 1 a check failed (audit verify), 2 usage or runtime error.
#pragma once

namespace custos::cli {

int Main(int argc, char** argv);

}  // namespace custos::cli
