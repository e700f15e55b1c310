//! The Auth.js adapter as JS sees it: built over one of the stores, then
//! `call(method, argsJson)` per adapter method.

use super::outbox::{outbox_of, Outbox, Settled};
use super::stores::{NativeMemoryStore, NativeRedisStore, StoreBridgeFn, TsfnBridge};
use super::{config_error, envelope, guarded};
use crate::adapter::{for_each_method, Adapter, Method};
use crate::directory::{ContactClient, Directory};
use crate::error::Error;
use crate::options::{parse_adapter_options, AdapterConfig, DirectoryKind};
use crate::partner::PartnerClient;
use crate::store::{self, JsStore, Store};
use napi::bindgen_prelude::Either;
use napi::Env;
use napi_derive::napi;
use serde_json::Value;
use std::sync::Arc;

#[napi]
pub struct NativeAdapter {
    /// `Err`: the secret is unset, and every call says so.
    inner: Result<Arc<Adapter>, Error>,
    outbox: Arc<Outbox>,
}

/// `store` makes the store once the options are read.
fn build_adapter(
    env: &Env,
    options_json: &str,
    store: impl FnOnce(&AdapterConfig) -> Store,
) -> napi::Result<NativeAdapter> {
    let outbox = outbox_of(env)?;
    let config = parse_adapter_options(options_json).map_err(config_error)?;
    if let Some(unset) = config.secret_unset() {
        return Ok(NativeAdapter {
            inner: Err(unset),
            outbox,
        });
    }
    let store = store(&config);
    let client = PartnerClient::new(config.partner).map_err(config_error)?;
    let directory = match config.directory {
        DirectoryKind::Partner => Directory::Partner(client),
        DirectoryKind::Contact => Directory::Contact(ContactClient::new(client)),
    };
    Ok(NativeAdapter {
        inner: Ok(Arc::new(Adapter::new(directory, store, config.settings))),
        outbox,
    })
}

#[napi]
impl NativeAdapter {
    #[napi(factory)]
    pub fn with_memory_store(
        env: &Env,
        options_json: String,
        store: &NativeMemoryStore,
    ) -> napi::Result<Self> {
        build_adapter(env, &options_json, |_| Store::Memory(store.inner.clone()))
    }

    #[napi(factory)]
    pub fn with_redis_store(
        env: &Env,
        options_json: String,
        store: &NativeRedisStore,
    ) -> napi::Result<Self> {
        build_adapter(env, &options_json, |_| Store::Redis(store.inner.clone()))
    }

    /// `bridge({ op, key, value, px })` performs one store operation and
    /// resolves to JSON text or null. `has_getdel` / `has_redis_sets` say
    /// which operations beyond get/set/del it serves; the `timeout` option
    /// bounds each call; `store_id` is the same for every adapter over one
    /// JS store object, so they share its locks.
    #[napi(factory)]
    pub fn with_js_store(
        env: &Env,
        options_json: String,
        #[napi(ts_arg_type = "(call: JsStoreCall) => Promise<string | null>")]
        bridge: StoreBridgeFn,
        has_getdel: bool,
        has_redis_sets: bool,
        store_id: f64,
    ) -> napi::Result<Self> {
        let capabilities = store::Capabilities {
            getdel: has_getdel,
            redis_sets: has_redis_sets,
        };
        build_adapter(env, &options_json, |config| {
            Store::Js(Arc::new(JsStore::new(
                Box::new(TsfnBridge(Arc::new(bridge))),
                capabilities,
                config.partner.timeout,
                store_id as u64,
            )))
        })
    }

    /// Whether the options set the secret (else every call reports it).
    #[napi(getter)]
    pub fn has_secret(&self) -> bool {
        self.inner.is_ok()
    }

    /// Runs an adapter method; `args_json` is a JSON array of its arguments.
    /// Gives `{"ok": value}` or `{"error": {code, message, ...}}` as JSON
    /// text at once when the work completes without waiting (a MemoryStore
    /// record, a cached user); else a call id, whose envelope the outbox
    /// hands to JS when it is ready.
    #[napi]
    pub fn call(
        &self,
        env: &Env,
        method: AdapterMethod,
        args_json: String,
    ) -> napi::Result<Settled> {
        let adapter = match &self.inner {
            Ok(adapter) => adapter.clone(),
            Err(unset) => return Ok(Either::A(envelope(Err(unset.clone())))),
        };
        Ok(self.outbox.settle(
            env,
            guarded(async move {
                let args: Vec<Value> = serde_json::from_str(&args_json)
                    .map_err(|_| Error::invalid("arguments are not serialisable"))?;
                adapter.call(method.into(), &args).await
            }),
        ))
    }
}

/// `AdapterMethod`, the method names JS may pass to `call` (binding.d.ts
/// lists them), made from the adapter's one list of methods.
macro_rules! adapter_method_names {
    ($($name:tt $variant:ident $method:ident,)*) => {
        /// An Auth.js adapter method, by its name in Auth.js.
        #[napi(string_enum)]
        pub enum AdapterMethod {
            $(#[napi(value = $name)] $variant,)*
        }

        impl From<AdapterMethod> for Method {
            fn from(method: AdapterMethod) -> Self {
                match method {
                    $(AdapterMethod::$variant => Method::$variant,)*
                }
            }
        }

        impl From<Method> for AdapterMethod {
            fn from(method: Method) -> Self {
                match method {
                    $(Method::$variant => AdapterMethod::$variant,)*
                }
            }
        }
    };
}

for_each_method!(adapter_method_names);

/// The adapter methods, in Auth.js contract order.
#[napi]
pub fn adapter_methods() -> Vec<AdapterMethod> {
    Method::ALL
        .iter()
        .map(|m| AdapterMethod::from(*m))
        .collect()
}
