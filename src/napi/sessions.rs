//! The Partner API client on its own, for what apps need after sign-in:
//! ChatBotKit session tokens (`createChatBotKitSession`).

use super::outbox::{outbox_of, Outbox, Settled};
use super::{config_error, guarded};
use crate::error::Error;
use crate::options::{parse_adapter_options, parse_session_params};
use crate::partner::session::create_session;
use crate::partner::PartnerClient;
use napi::Env;
use napi_derive::napi;
use std::sync::Arc;

/// The Partner API client on its own, for what apps need after sign-in.
#[napi]
pub struct NativePartner {
    /// `Err`: the secret is unset, and every call says so.
    client: Result<Arc<PartnerClient>, Error>,
    outbox: Arc<Outbox>,
}

#[napi]
impl NativePartner {
    #[napi(constructor)]
    pub fn new(env: &Env, options_json: String) -> napi::Result<Self> {
        let outbox = outbox_of(env)?;
        let config = parse_adapter_options(&options_json).map_err(config_error)?;
        let client = match config.secret_unset() {
            Some(unset) => Err(unset),
            None => Ok(Arc::new(
                PartnerClient::new(config.partner).map_err(config_error)?,
            )),
        };
        Ok(Self { client, outbox })
    }

    /// A short-lived ChatBotKit token scoped to one partner user's own
    /// environment: the `{ ok }` / `{ error }` envelope, with `ok` =
    /// `{ id, token, expiresAt }` (`expiresAt` a tagged date), or the call
    /// id under which the outbox delivers it.
    #[napi]
    pub fn create_session(&self, env: &Env, user_id: String, params_json: String) -> Settled {
        let client = self.client.clone();
        self.outbox.settle(
            env,
            guarded(async move {
                let client = client?;
                let params = parse_session_params(&params_json)?;
                create_session(&client, &user_id, params).await
            }),
        )
    }
}
