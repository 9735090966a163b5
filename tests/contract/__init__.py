"""Contract fuzzing of the live service with schemathesis (run by `.ci/fuzz`, not by pytest).

See docs/testing.md. ``fuzz`` orchestrates (database, seed, server, runs), ``seed`` fills
the database, ``schemathesis.toml`` configures the fuzzer.
"""
