//! The Auth.js adapter as JS sees it: built over one of the stores, then
//! `call(method, argsJson)` per adapter method.

use super::driven::{DrivenBridge, Driver, StoreStep, Turn};
use super::outbox::{outbox_of, Outbox};
use super::stores::{NativeMemoryStore, NativeRedisStore};
use super::{config_error, envelope, guarded, internal_error};
use crate::adapter::{for_each_method, Adapter, Method};
use crate::directory::{ContactClient, Directory};
use crate::error::Error;
use crate::options::{parse_adapter_options, AdapterConfig, DirectoryKind};
use crate::partner::PartnerClient;
use crate::store::{JsStore, Store};
use napi::bindgen_prelude::{Either, Either3};
use napi::Env;
use napi_derive::napi;
use serde_json::Value;
use std::sync::Arc;

#[napi]
pub struct NativeAdapter {
    /// `Err`: the secret is unset, and every call says so.
    inner: Result<Arc<Adapter>, Error>,
    outbox: Arc<Outbox>,
    /// When calls are driven on the JS thread: the calls in progress.
    driver: Option<Driver<Outbox>>,
    /// The deadline of one store call (the `timeout` option).
    store_timeout: std::time::Duration,
}

/// A turn of a call as JS receives it: the envelope text (done), a call id
/// (the outbox will say when there is more), or a store step to run.
#[napi]
pub type Answer = Either3<String, u32, StoreStep>;

/// `store` makes the store once the options are read (and may add to them).
fn build_adapter(
    env: &Env,
    options_json: &str,
    store: impl FnOnce(&mut AdapterConfig) -> Store,
) -> napi::Result<NativeAdapter> {
    let outbox = outbox_of(env)?;
    let mut config = parse_adapter_options(options_json).map_err(config_error)?;
    if let Some(unset) = config.secret_unset() {
        return Ok(NativeAdapter {
            inner: Err(unset),
            outbox,
            driver: None,
            store_timeout: config.partner.timeout,
        });
    }
    let store = store(&mut config);
    // Over a JS store, or a RedisStore with a connection on the JS thread,
    // calls are polled on the JS thread, where their store operations run.
    let driven = match &store {
        Store::Js(_) => true,
        Store::Redis(redis) => redis.serves_the_js_thread(),
        Store::Memory(_) => false,
    };
    let driver = driven.then(|| Driver::new(outbox.clone()));
    let store_timeout = config.partner.timeout;
    let client = PartnerClient::new(config.partner).map_err(config_error)?;
    let directory = match config.directory {
        DirectoryKind::Partner => Directory::Partner(client),
        DirectoryKind::Contact => Directory::Contact(ContactClient::new(client)),
    };
    Ok(NativeAdapter {
        inner: Ok(Arc::new(Adapter::new(directory, store, config.settings))),
        outbox,
        driver,
        store_timeout,
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
        build_adapter(env, &options_json, |config| {
            // The store's deprecated keyPrefix goes first in every key.
            config.settings.store_prefix = store.key_prefix.clone();
            Store::Redis(store.inner.clone())
        })
    }

    /// An adapter over a store written in JS: its calls answer with store
    /// steps that `lib/kv/` runs and hands back (`resume`); the `timeout`
    /// option bounds each step.
    #[napi(factory)]
    pub fn with_js_store(env: &Env, options_json: String) -> napi::Result<Self> {
        build_adapter(env, &options_json, |config| {
            Store::Js(Arc::new(JsStore::new(
                Box::new(DrivenBridge),
                config.partner.timeout,
            )))
        })
    }

    /// The deadline of one store call, ms (the `timeout` option): a JS
    /// store's module holds a lock no longer.
    #[napi(getter)]
    pub fn store_timeout_ms(&self) -> u32 {
        u32::try_from(self.store_timeout.as_millis()).unwrap_or(u32::MAX)
    }

    /// Whether calls are driven on the JS thread: an answer that is a call id
    /// means "poll it when the outbox says it was woken" (`lib/kv/drive.js`).
    #[napi(getter)]
    pub fn driven(&self) -> bool {
        self.driver.is_some()
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
    /// hands to JS when it is ready. When `driven` (a JS store, or a
    /// RedisStore with a connection on the JS thread), the call is driven on
    /// the JS thread (`driven.rs`): over a JS store it may answer a store
    /// step, and a call id means "poll it when the outbox says it woke".
    #[napi]
    pub fn call(
        &self,
        env: &Env,
        method: AdapterMethod,
        args_json: String,
    ) -> napi::Result<Answer> {
        let adapter = match &self.inner {
            Ok(adapter) => adapter.clone(),
            Err(unset) => return Ok(Either3::A(envelope(Err(unset.clone())))),
        };
        let work = guarded(async move {
            let args: Vec<Value> = serde_json::from_str(&args_json)
                .map_err(|_| Error::invalid("arguments are not serialisable"))?;
            adapter.call(method.into(), &args).await
        });
        if let Some(driver) = &self.driver {
            let id = self.outbox.open(env);
            return Ok(self.answer(env, driver.start(id, work)));
        }
        Ok(match self.outbox.settle(env, work) {
            Either::A(envelope) => Either3::A(envelope),
            Either::B(id) => Either3::B(id),
        })
    }

    /// Hands a driven call the outcome of its store step `seq` (the text,
    /// or the JS error's message) and polls it on.
    #[napi]
    pub fn resume(
        &self,
        env: &Env,
        id: u32,
        seq: u32,
        value: Option<String>,
        error: Option<String>,
    ) -> Answer {
        let outcome = match error {
            Some(message) => Err(message),
            None => Ok(value),
        };
        let turn = self
            .driver
            .as_ref()
            .and_then(|d| d.resume(id, seq, outcome));
        self.answer_or_lost(env, turn)
    }

    /// Polls a driven call the outbox said was woken.
    #[napi]
    pub fn poll(&self, env: &Env, id: u32) -> Answer {
        let turn = self.driver.as_ref().and_then(|d| d.poll(id));
        self.answer_or_lost(env, turn)
    }

    /// Driven calls in progress (for tests: none is left behind).
    #[napi(getter)]
    pub fn calls_in_progress(&self) -> u32 {
        self.driver.as_ref().map_or(0, |d| d.in_progress() as u32)
    }
}

impl NativeAdapter {
    fn answer(&self, env: &Env, turn: Turn) -> Answer {
        match turn {
            Turn::Done(envelope) => {
                self.outbox.close(env);
                Either3::A(envelope)
            }
            Turn::Waiting(id) => Either3::B(id),
            Turn::Step(step) => Either3::C(step),
        }
    }

    /// A call id this adapter does not know: the wrapper's own bug, answered
    /// as one rather than left hanging.
    fn answer_or_lost(&self, env: &Env, turn: Option<Turn>) -> Answer {
        match turn {
            Some(turn) => self.answer(env, turn),
            None => Either3::A(internal_error()),
        }
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
