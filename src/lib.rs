//! nextauth-chatbotkit: a native Auth.js / NextAuth.js adapter whose users
//! are ChatBotKit partner users or contacts.
//!
//! - `napi`: the boundary to JS (exported classes, envelopes, the outbox,
//!   the tokio runtime) — the only module that knows napi;
//! - `options`: every option, its default and its validation;
//! - `adapter`: Auth.js semantics over a directory and a store;
//! - `directory`: who a user is in ChatBotKit (partner users, contacts);
//! - `identity`: how emails are normalised and compared;
//! - `partner`: the ChatBotKit API client (transport, retry policy, error
//!   mapping, wire model) and ChatBotKit session tokens;
//! - `store`: the Store trait and its memory, Redis and JS implementations;
//! - `error`, `redact`: one error type with stable codes, and redaction.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

/// mimalloc: per-thread free lists instead of glibc's arenas, for the many
/// small allocations that move between the JS thread and tokio's workers.
/// Not on Windows: its heap has no glibc arenas to avoid, and the MinGW build
/// must stay under the 6 MB a platform binary may weigh.
#[cfg(not(windows))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod adapter;
pub mod directory;
pub mod error;
pub mod identity;
pub mod napi;
pub mod options;
pub mod partner;
pub mod redact;
pub mod store;

/// Runs once, when Node loads the addon.
#[napi_derive::module_init]
fn init() {
    crate::napi::runtime::install();
}
