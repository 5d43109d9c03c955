//! Compiles `proto/mailfts.proto` without a system `protoc`: protox parses it into a descriptor
//! set, which tonic-prost-build turns into the gRPC client and server code, and which is also written
//! to `OUT_DIR/mailfts_descriptor.bin` for server reflection.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/mailfts.proto");
    // A position-dependent executable on Linux (docs/BENCHMARKS.md, issue 13): a PIE's loader
    // writes every pointer in the binary's constant tables (56,000 relocations spread over 1 MB of
    // `.data.rel.ro`, 240 copy-on-write page faults) before `main`, 0.7 ms of every process, more
    // than the index lookup of a cold `mailfts search`. Linked without PIE those pages are read
    // from the page cache only where touched. The code stays position-independent; what is lost
    // is the address randomisation of the executable's own image (libraries, stack, heap and
    // mappings stay randomised). `MAILFTS_PIE=1` at build time keeps a PIE, with packed relative
    // relocations (DT_RELR: a few KB of relocation records instead of 1.3 MB).
    println!("cargo:rerun-if-env-changed=MAILFTS_PIE");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.contains("linux-gnu") {
        if std::env::var_os("MAILFTS_PIE").is_some_and(|v| v == "1") {
            println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
        } else {
            println!("cargo:rustc-link-arg-bins=-no-pie");
        }
    }
    let fds = protox::compile(["mailfts.proto"], ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("mailfts_descriptor.bin"),
        protox::prost::Message::encode_to_vec(&fds),
    )?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    Ok(())
}
