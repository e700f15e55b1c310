//! Auth.js adapter semantics on top of the partner client and the store.
//! Users live in ChatBotKit (`users`); everything else lives in the store
//! (`records`). Methods take and return JSON values in the Auth.js shapes,
//! with dates tagged as described in `input`.

mod input;
mod keys;
mod lookups;
mod records;
mod users;

pub use input::{as_date_ms, date_value};
pub use keys::{IndexKind, Keys};

use crate::error::{Error, Result};
use crate::partner::PartnerClient;
use crate::store::Store;
use lookups::Lookups;
use serde_json::Value;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Lifecycle {
    pub auto_create_user: bool,
    pub auto_update_user: bool,
    pub auto_delete_user: bool,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            auto_create_user: false,
            auto_update_user: true,
            auto_delete_user: false,
        }
    }
}

/// Everything about the adapter's behaviour that options can set.
#[derive(Clone, Debug)]
pub struct Settings {
    pub key_prefix: String,
    pub lifecycle: Lifecycle,
    /// Failed `useVerificationToken` calls for one identifier after which
    /// its outstanding tokens are void (0: no limit).
    pub max_verification_attempts: u32,
    /// How long a looked-up user may be reused (`None`: not cached).
    pub user_cache_ttl: Option<Duration>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            key_prefix: String::new(),
            lifecycle: Lifecycle::default(),
            max_verification_attempts: 5,
            user_cache_ttl: None,
        }
    }
}

pub struct Adapter {
    partner: PartnerClient,
    store: Store,
    keys: Keys,
    lifecycle: Lifecycle,
    lookups: Lookups,
    max_verification_attempts: u32,
}

/// The Auth.js adapter methods this adapter implements, in contract order.
pub const METHODS: &[&str] = &[
    "createUser",
    "getUser",
    "getUserByEmail",
    "getUserByAccount",
    "updateUser",
    "deleteUser",
    "linkAccount",
    "unlinkAccount",
    "getAccount",
    "createSession",
    "getSessionAndUser",
    "updateSession",
    "deleteSession",
    "createVerificationToken",
    "useVerificationToken",
    "createAuthenticator",
    "getAuthenticator",
    "listAuthenticatorsByUserId",
    "updateAuthenticatorCounter",
];

impl Adapter {
    pub fn new(partner: PartnerClient, store: Store, settings: Settings) -> Self {
        Self {
            partner,
            store,
            keys: Keys::new(&settings.key_prefix),
            lifecycle: settings.lifecycle,
            lookups: Lookups::new(settings.user_cache_ttl),
            max_verification_attempts: settings.max_verification_attempts,
        }
    }

    pub fn partner(&self) -> &PartnerClient {
        &self.partner
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs one adapter method by its Auth.js name with positional arguments.
    /// Each method's future is boxed at its own size, so a call does not
    /// carry (allocate and copy) the state of the largest of all methods.
    pub async fn call(&self, method: &str, args: &[Value]) -> Result<Value> {
        type Call<'a> =
            std::pin::Pin<Box<dyn std::future::Future<Output = Result<Value>> + Send + 'a>>;
        let future: Call<'_> = match method {
            "createUser" => Box::pin(self.create_user(args)),
            "getUser" => Box::pin(self.get_user(args)),
            "getUserByEmail" => Box::pin(self.get_user_by_email(args)),
            "getUserByAccount" => Box::pin(self.get_user_by_account(args)),
            "updateUser" => Box::pin(self.update_user(args)),
            "deleteUser" => Box::pin(self.delete_user(args)),
            "linkAccount" => Box::pin(self.link_account(args)),
            "unlinkAccount" => Box::pin(self.unlink_account(args)),
            "getAccount" => Box::pin(self.get_account(args)),
            "createSession" => Box::pin(self.create_session(args)),
            "getSessionAndUser" => Box::pin(self.get_session_and_user(args)),
            "updateSession" => Box::pin(self.update_session(args)),
            "deleteSession" => Box::pin(self.delete_session(args)),
            "createVerificationToken" => Box::pin(self.create_verification_token(args)),
            "useVerificationToken" => Box::pin(self.use_verification_token(args)),
            "createAuthenticator" => Box::pin(self.create_authenticator(args)),
            "getAuthenticator" => Box::pin(self.get_authenticator(args)),
            "listAuthenticatorsByUserId" => Box::pin(self.list_authenticators_by_user_id(args)),
            "updateAuthenticatorCounter" => Box::pin(self.update_authenticator_counter(args)),
            other => return Err(Error::invalid(format!("unknown adapter method `{other}`"))),
        };
        future.await
    }
}
