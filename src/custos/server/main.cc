// The custos binary: wiring only. Everything it can do is a subcommand (cli/commands.h).
#include "custos/cli/commands.h"

int main(int argc, char** argv) { return custos::cli::Main(argc, argv); }
