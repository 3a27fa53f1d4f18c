//! Writes each target's seeds into `<corpus>/<target>/seed-<name>` (default
//! `fuzz/corpus`), where libFuzzer starts from them.

fn main() -> std::io::Result<()> {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fuzz/corpus".into());
    for (target, name, bytes) in ledger_fuzzing::seeds() {
        let dir = std::path::Path::new(&root).join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("seed-{name}")), bytes)?;
    }
    Ok(())
}
