//! Compiles `proto/mailfts.proto` without a system `protoc`: protox parses it into a descriptor
//! set, which tonic-prost-build turns into the gRPC client and server code, and which is also written
//! to `OUT_DIR/mailfts_descriptor.bin` for server reflection.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/mailfts.proto");
    // Packed relative relocations (DT_RELR, glibc >= 2.36, binutils >= 2.38; an older linker
    // ignores the option with a warning): the binary stays position-independent (ASLR) but the
    // dynamic loader reads a few KB of relocations instead of 1.3 MB at every start, which is a
    // good part of a cold `mailfts search` (docs/BENCHMARKS.md, issue 13).
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.contains("linux-gnu") {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
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
