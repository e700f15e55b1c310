//! An empty stand-in for `rustls-native-certs`.
//!
//! The `redis` crate's `tls-rustls` feature always depends on
//! `rustls-native-certs`, but with `tls-rustls-webpki-roots` (what this
//! project uses, on every platform) it never calls it: Redis TLS trusts the
//! Mozilla roots of `webpki-roots`, like `reqwest` here. Only the error type is
//! still named, in a `From` impl. The real crate would nevertheless link
//! `Security.framework` and `CoreFoundation.framework` into the macOS binary,
//! which cannot be linked without an Apple SDK (not available to the Linux
//! cross-build) and would load two frameworks for nothing.
//!
//! If a feature change ever makes `redis` call `load_native_certs`, the build
//! fails here (the function does not exist) rather than silently trusting
//! nothing.

use std::fmt;

/// The error type `redis` converts from; never constructed.
#[derive(Debug)]
pub struct Error(());

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("native certificates are not used (webpki-roots only)")
    }
}

impl std::error::Error for Error {}
