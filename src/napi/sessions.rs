//! The Partner API client on its own, for what apps need after sign-in:
//! ChatBotKit session tokens (`createChatBotKitSession`).

use super::{config_error, guarded};
use crate::error::Error;
use crate::options::{parse_adapter_options, parse_session_params};
use crate::partner::session::create_session;
use crate::partner::PartnerClient;
use napi_derive::napi;
use std::sync::Arc;

/// The Partner API client on its own, for what apps need after sign-in.
#[napi]
pub struct NativePartner {
    /// `Err`: the secret is unset, and every call says so.
    client: Result<Arc<PartnerClient>, Error>,
}

#[napi]
impl NativePartner {
    #[napi(constructor)]
    pub fn new(options_json: String) -> napi::Result<Self> {
        let config = parse_adapter_options(&options_json).map_err(config_error)?;
        if let Some(unset) = config.secret_unset() {
            return Ok(Self { client: Err(unset) });
        }
        let client = PartnerClient::new(config.partner).map_err(config_error)?;
        Ok(Self {
            client: Ok(Arc::new(client)),
        })
    }

    /// A short-lived ChatBotKit token scoped to one partner user's own
    /// environment. Resolves to the `{ ok }` / `{ error }` envelope, with
    /// `ok` = `{ id, token, expiresAt }` (`expiresAt` a tagged date).
    #[napi]
    pub async fn create_session(&self, user_id: String, params_json: String) -> String {
        let client = self.client.clone();
        guarded(async move {
            let client = client?;
            let params = parse_session_params(&params_json)?;
            create_session(&client, &user_id, params).await
        })
        .await
    }
}
