-- The master patient index (issue 4), mirroring migrations/sqlite/0004: MRNs, registrations, the
-- duplicate work queue, and merges with everything they moved, so that an unmerge can put it back.

-- The last MRN issued per facility.
CREATE TABLE mpi_mrn_counters (
  facility TEXT PRIMARY KEY,
  last_value BIGINT NOT NULL
);

-- Every patient registered through the MPI, for the AHIMA creation rate.
CREATE TABLE mpi_registrations (
  patient_id TEXT PRIMARY KEY,
  facility TEXT NOT NULL,
  mrn TEXT NOT NULL,
  registered_at TEXT NOT NULL,
  registered_by TEXT NOT NULL,
  candidates INTEGER NOT NULL,     -- existing patients at review or link when it was created
  UNIQUE (facility, mrn)
);
CREATE INDEX mpi_registrations_by_time ON mpi_registrations(registered_at);

-- Pairs of patients that may be one person, and what people decided about them. patient_a <
-- patient_b, so a pair is stored once; a decided pair is never proposed again.
CREATE TABLE mpi_pairs (
  pair_id TEXT PRIMARY KEY,
  patient_a TEXT NOT NULL,
  patient_b TEXT NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  log_odds DOUBLE PRECISION NOT NULL,
  decision TEXT NOT NULL,          -- link | review: the engine's view when proposed
  status TEXT NOT NULL,            -- open | deferred | overlay | not_duplicate | merged
  facility TEXT NOT NULL,
  source TEXT NOT NULL,            -- registration | batch
  note TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  decided_by TEXT,
  UNIQUE (patient_a, patient_b)
);
CREATE INDEX mpi_pairs_by_status ON mpi_pairs(status, score);
CREATE INDEX mpi_pairs_by_b ON mpi_pairs(patient_b);

-- Merges: the duplicate's record moved to the survivor. The versions let an unmerge restore both
-- patients exactly as they were.
CREATE TABLE mpi_merges (
  merge_id TEXT PRIMARY KEY,
  survivor TEXT NOT NULL,
  duplicate TEXT NOT NULL,
  pair_id TEXT,
  status TEXT NOT NULL,            -- merged | unmerged
  score DOUBLE PRECISION,
  evidence TEXT NOT NULL,          -- the score vector at decision time (JSON)
  survivor_version BIGINT NOT NULL,         -- before the merge
  survivor_merged_version BIGINT NOT NULL,  -- written by the merge
  duplicate_version BIGINT NOT NULL,
  duplicate_merged_version BIGINT NOT NULL,
  moved INTEGER NOT NULL,
  merged_at TEXT NOT NULL,
  merged_by TEXT NOT NULL,
  unmerged_at TEXT,
  unmerged_by TEXT
);
CREATE INDEX mpi_merges_by_survivor ON mpi_merges(survivor);
CREATE INDEX mpi_merges_by_duplicate ON mpi_merges(duplicate);
CREATE INDEX mpi_merges_by_time ON mpi_merges(merged_at);

-- Every resource a merge moved, with its versions before and after.
CREATE TABLE mpi_merge_moves (
  merge_id TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  version_before BIGINT NOT NULL,
  version_after BIGINT NOT NULL,
  PRIMARY KEY (merge_id, resource_type, resource_id)
);
