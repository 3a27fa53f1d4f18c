#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ledger_fuzzing::event_envelope(data));
