//! Auth.js adapter semantics on top of a user directory and the store.
//! Users live in ChatBotKit (`users`); everything else lives in the store
//! (`records`). Methods take and return JSON values in the Auth.js shapes,
//! with dates tagged as described in `input`.

mod input;
mod keys;
mod legacy;
mod lookups;
mod records;
#[cfg(test)]
mod test_support;
mod users;

pub use input::{as_date_ms, date_value, now_ms};
pub use keys::{encode_segment, IndexKind, Keys};

use crate::directory::Directory;
use crate::error::Result;
use crate::options;
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
            auto_create_user: options::AUTO_CREATE_USER,
            auto_update_user: options::AUTO_UPDATE_USER,
            auto_delete_user: options::AUTO_DELETE_USER,
        }
    }
}

/// Everything about the adapter's behaviour that options can set.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The adapter's `keyPrefix`.
    pub key_prefix: String,
    /// The deprecated `keyPrefix` of the `RedisStore` the adapter runs over
    /// (empty on any other store): it comes first in every key (see `Keys`).
    pub store_prefix: String,
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
            store_prefix: String::new(),
            lifecycle: Lifecycle::default(),
            max_verification_attempts: options::MAX_VERIFICATION_ATTEMPTS,
            user_cache_ttl: None,
        }
    }
}

pub struct Adapter {
    directory: Directory,
    store: Store,
    keys: Keys,
    lifecycle: Lifecycle,
    lookups: Lookups,
    max_verification_attempts: u32,
}

impl Adapter {
    pub fn new(directory: Directory, store: Store, settings: Settings) -> Self {
        Self {
            directory,
            store,
            keys: Keys::new(&settings.store_prefix, &settings.key_prefix),
            lifecycle: settings.lifecycle,
            lookups: Lookups::new(settings.user_cache_ttl),
            max_verification_attempts: settings.max_verification_attempts,
        }
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// The Auth.js methods, in contract order: each one's JS name, its `Method`
/// variant and the function that runs it. The one list: `for_each_method!(m)`
/// hands it to the macro `m`, here to make `Method` and `Adapter::call`, at
/// the napi boundary to type the method name JS passes.
macro_rules! for_each_method {
    ($then:ident) => {
        $then! {
            "createUser" CreateUser create_user,
            "getUser" GetUser get_user,
            "getUserByEmail" GetUserByEmail get_user_by_email,
            "getUserByAccount" GetUserByAccount get_user_by_account,
            "updateUser" UpdateUser update_user,
            "deleteUser" DeleteUser delete_user,
            "linkAccount" LinkAccount link_account,
            "unlinkAccount" UnlinkAccount unlink_account,
            "getAccount" GetAccount get_account,
            "createSession" CreateSession create_session,
            "getSessionAndUser" GetSessionAndUser get_session_and_user,
            "updateSession" UpdateSession update_session,
            "deleteSession" DeleteSession delete_session,
            "createVerificationToken" CreateVerificationToken create_verification_token,
            "useVerificationToken" UseVerificationToken use_verification_token,
            "createAuthenticator" CreateAuthenticator create_authenticator,
            "getAuthenticator" GetAuthenticator get_authenticator,
            "listAuthenticatorsByUserId" ListAuthenticatorsByUserId list_authenticators_by_user_id,
            "updateAuthenticatorCounter" UpdateAuthenticatorCounter update_authenticator_counter,
        }
    };
}
pub(crate) use for_each_method;

macro_rules! adapter_methods {
    ($($name:literal $variant:ident $method:ident,)*) => {
        /// An Auth.js adapter method this adapter implements (its name in
        /// Auth.js is in the list, for the napi boundary).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Method {
            $($variant,)*
        }

        impl Method {
            /// Every method, in contract order.
            pub const ALL: &[Method] = &[$(Method::$variant),*];

            /// Its name in Auth.js.
            pub fn name(self) -> &'static str {
                match self {
                    $(Method::$variant => $name,)*
                }
            }
        }

        impl Adapter {
            /// Runs one adapter method with positional arguments. Each
            /// method's future is boxed at its own size, so a call does not
            /// carry (allocate and copy) the state of the largest of all
            /// methods.
            pub async fn call(&self, method: Method, args: &[Value]) -> Result<Value> {
                type Call<'a> =
                    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Value>> + Send + 'a>>;
                let future: Call<'_> = match method {
                    $(Method::$variant => Box::pin(self.$method(args)),)*
                };
                // The secret never leaves in a message, whatever a store or
                // the API quoted back.
                future
                    .await
                    .map_err(|e| e.redacted(&[self.directory.secret()]))
            }
        }
    };
}

for_each_method!(adapter_methods);
