//! The wire model: what the ChatBotKit API sends back, as serde structs.
//! Unknown fields are ignored; missing optional ones are `None`. What these
//! records mean to the adapter is the directory's business (`directory/`).

use serde::Deserialize;
use serde_json::{Map, Value};

/// A partner user (`/v1/partner/user/...`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PartnerUser {
    pub id: String,
    #[serde(default)]
    pub created_at: Option<f64>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub meta: Option<Map<String, Value>>,
}

/// A contact of the account (`/v1/contact/...`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub id: String,
    #[serde(default)]
    pub fingerprint: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub meta: Option<Map<String, Value>>,
    #[serde(default)]
    pub verified_at: Option<f64>,
}

/// A ChatBotKit session made for a partner user (`.../session/create`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: String,
    pub token: String,
    /// A date: epoch ms as the API documents it.
    pub expires_at: Value,
}

/// One page of a list; `cursor` asks for the next.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// The answer to a create or `ensure`.
#[derive(Debug, Deserialize)]
pub struct Created {
    pub id: String,
}

/// The body of a non-2xx answer, as the API documents it.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
}
