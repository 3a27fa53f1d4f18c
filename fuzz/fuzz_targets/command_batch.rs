#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ledger_fuzzing::command_batch(data));
