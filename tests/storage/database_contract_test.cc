// The storage contract (tests/testing/database_contract.h) on every backend this build has.
#include "testing/database_contract.h"

namespace custos::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseContractTest,
                         ::testing::Values(SqliteMemoryBackend(), SqliteFileBackend(),
                                           PostgresBackend()),
                         BackendUnderTestName);
INSTANTIATE_TEST_SUITE_P(Backends, MultiConnectionContractTest,
                         ::testing::Values(SqliteFileBackend(), PostgresBackend()),
                         BackendUnderTestName);

}  // namespace
}  // namespace custos::testing
