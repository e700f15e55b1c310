//! The options and their defaults as JS can list them (`optionDefaults()`),
//! so that a test holds `index.d.ts` and the README to `src/options.rs`.

use napi_derive::napi;

/// One option users set.
#[napi(object)]
pub struct OptionInfo {
    /// `adapter`, `contactAdapter`, `redisStore` or `session`.
    pub scope: String,
    /// As written in JS (`tls.ca` for a nested one).
    pub name: String,
    /// Its TypeScript type.
    #[napi(js_name = "type")]
    pub kind: String,
    /// Null when the option is required or absent unless given.
    #[napi(js_name = "default", ts_type = "string | number | boolean | null")]
    pub default: Option<serde_json::Value>,
    /// An environment variable read before `default`.
    pub env: Option<String>,
    /// Deprecated: what to use instead.
    pub deprecated: Option<String>,
}

/// Whether `DEBUG` asks for this package's log lines (read once, in Rust).
#[napi]
pub fn debug_enabled() -> bool {
    crate::options::debug_enabled()
}

/// Every option users set, with its default; the one definition is in Rust.
#[napi]
pub fn option_defaults() -> Vec<OptionInfo> {
    crate::options::option_defaults()
        .into_iter()
        .map(|o| OptionInfo {
            scope: o.scope.name().to_owned(),
            name: o.name.to_owned(),
            kind: o.kind.to_owned(),
            default: o.default,
            env: o.env.map(str::to_owned),
            deprecated: o.deprecated.map(str::to_owned),
        })
        .collect()
}
