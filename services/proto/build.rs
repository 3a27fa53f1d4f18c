//! Compiles `proto/ledger/v1/*.proto` with prost and adds serde impls that
//! follow the proto3 JSON mapping (pbjson), so the same types serve the
//! protobuf and the JSON forms of every command and event.

use std::{env, error::Error, path::PathBuf};

fn main() -> Result<(), Box<dyn Error>> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let files = [
        "common",
        "programmes",
        "grants",
        "workforce",
        "centres",
        "obligations",
        "event",
        "commands",
        "inbound",
    ]
    .map(|name| root.join(format!("ledger/v1/{name}.proto")));
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    // A vendored protoc keeps the build independent of any system install.
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    let out = PathBuf::from(env::var("OUT_DIR")?);
    let descriptors = out.join("ledger_descriptor.bin");

    prost_build::Config::new()
        .protoc_executable(protoc)
        .file_descriptor_set_path(&descriptors)
        .compile_well_known_types()
        .extern_path(".google.protobuf", "::pbjson_types")
        .compile_protos(&files, &[root])?;

    let descriptor_set = std::fs::read(&descriptors)?;
    pbjson_build::Builder::new()
        .register_descriptors(&descriptor_set)?
        .preserve_proto_field_names()
        .build(&[".ledger"])?;
    Ok(())
}
