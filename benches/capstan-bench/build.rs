//! Generates the tonic and capnp-rpc code from `schema/`; needs `protoc` and `capnp` on PATH
//! (Debian: `apt-get install protobuf-compiler capnproto`).

fn main() {
    println!("cargo:rerun-if-changed=schema");
    tonic_prost_build::compile_protos("schema/bench.proto")
        .expect("protoc not found: apt-get install protobuf-compiler");
    capnpc::CompilerCommand::new()
        .src_prefix("schema")
        .file("schema/bench.capnp")
        .run()
        .expect("capnp not found: apt-get install capnproto libcapnp-dev");
}
