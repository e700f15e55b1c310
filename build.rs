fn main() {
    // Windows with MinGW (`x86_64-pc-windows-gnu`, the Windows target built
    // here): napi-build would link against a `libnode.dll`, which official
    // Node.js builds do not ship. Nothing needs linking: napi-sys's default
    // `dyn-symbols` feature looks the N-API functions up in node.exe when the
    // addon loads. napi-build's other output is cfg declarations, kept here.
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.ends_with("-windows-gnu") {
        println!("cargo::rustc-check-cfg=cfg(napi_wasi_threads)");
        println!("cargo::rustc-check-cfg=cfg(napi_wasi_no_heap_sync)");
        return;
    }
    napi_build::setup();
}
