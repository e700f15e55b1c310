//! The napi boundary, and only that: classes exported to JS, conversion of
//! values, and mapping of errors to `{ code, message, ... }`. Values cross
//! as JSON text (one `JSON.stringify` / `serde_json` parse each way), which
//! is both faster than walking objects through napi and a single place where
//! malformed input is caught.
//!
//! - `adapter`: the Auth.js adapter (`NativeAdapter`), over any store;
//! - `stores`: the native stores, and the bridge to stores written in JS;
//! - `sessions`: the Partner API client on its own (ChatBotKit session tokens);
//! - `options`: the list of options and their defaults, for the docs' test;
//! - `driven`: adapter calls over a JS store, driven on the JS thread;
//! - `outbox`: how results of calls that had to wait reach the JS thread;
//! - `runtime`: the tokio runtime and its size.

pub mod adapter;
pub mod driven;
pub mod options;
pub mod outbox;
pub mod runtime;
pub mod sessions;
pub mod stores;

// `#[napi_derive::module_init]` in lib.rs expands to `napi::ctor::...`, and
// there `napi` names this module, not the crate.
#[doc(hidden)]
pub use ::napi::ctor;

use crate::error::{self, Error};
use futures_util::FutureExt;
use serde::Serialize;
use serde_json::{json, Value};
use std::panic::AssertUnwindSafe;

/// A configuration error as JS receives it from a constructor or factory.
fn config_error(e: Error) -> napi::Error {
    napi::Error::new(napi::Status::InvalidArg, e.to_string())
}

/// An error as JS receives it: `{ code, message, status, partnerCode }`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    code: &'static str,
    message: String,
    status: Option<u16>,
    partner_code: Option<&'a str>,
}

/// A call's outcome as JS receives it: `{"ok": value}` or `{"error": {...}}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum Envelope<'a> {
    Ok(&'a Value),
    Error(ErrorBody<'a>),
}

/// Runs core work, catching a panic so that a bug becomes an `INTERNAL`
/// error for that one call instead of tearing down Node. The work is polled
/// in place rather than spawned as a second task: no extra task allocation,
/// no copy of the future, no cross-thread wake-up between two tasks.
/// Resolves to the envelope `{"ok": value}` or `{"error": {code, ...}}` as
/// JSON text.
async fn guarded<F>(work: F) -> String
where
    F: std::future::Future<Output = error::Result<Value>> + Send + 'static,
{
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(result) => envelope(result),
        Err(_) => internal_error(),
    }
}

/// The envelope of a bug in this package: `INTERNAL`, for that call only.
fn internal_error() -> String {
    json!({ "error": {
        "code": "INTERNAL",
        "message": "internal error in nextauth-chatbotkit (please report it)",
    }})
    .to_string()
}

/// The envelope of a result, as JSON text.
fn envelope(result: error::Result<Value>) -> String {
    let envelope = match &result {
        Ok(value) => Envelope::Ok(value),
        Err(e) => Envelope::Error(ErrorBody {
            code: e.code(),
            message: e.to_string(),
            status: e.status(),
            partner_code: e.partner_code(),
        }),
    };
    // Serialising owned strings and Values cannot fail.
    serde_json::to_string(&envelope).unwrap_or_else(|_| internal_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_is_an_internal_error_not_a_crash() {
        let envelope = guarded(async {
            if now_is_never() {
                return Ok(Value::Null);
            }
            panic!("a bug")
        })
        .await;
        let parsed: Value = serde_json::from_str(&envelope).unwrap_or_default();
        assert_eq!(parsed["error"]["code"], "INTERNAL");
    }

    fn now_is_never() -> bool {
        false
    }

    #[tokio::test]
    async fn errors_carry_their_code() {
        let envelope = guarded(async { Err(Error::DeleteDisabled) }).await;
        let parsed: Value = serde_json::from_str(&envelope).unwrap_or_default();
        assert_eq!(parsed["error"]["code"], "DELETE_DISABLED");
        assert_eq!(parsed["error"]["status"], Value::Null);
    }
}
