//! The code generated from `proto/mailfts.proto` (package `mailfts.v1`) by `build.rs`, and the
//! encoded descriptor set served by reflection.
#![allow(missing_docs, clippy::all, clippy::pedantic)]

tonic::include_proto!("mailfts.v1");

/// The encoded `FileDescriptorSet` of `mailfts.proto`, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/mailfts_descriptor.bin"));
