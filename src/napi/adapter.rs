//! The Auth.js adapter as JS sees it: built over one of the stores, then
//! `call(method, argsJson)` per adapter method.

use super::outbox::{NativeOutbox, Outbox};
use super::stores::{NativeMemoryStore, NativeRedisStore, StoreBridgeFn, TsfnBridge};
use super::{config_error, envelope, guarded};
use crate::adapter::{self, Adapter};
use crate::directory::{ContactClient, Directory};
use crate::error::Error;
use crate::options::{parse_adapter_options, AdapterConfig, DirectoryKind};
use crate::partner::PartnerClient;
use crate::store::{JsStore, Store};
use napi::bindgen_prelude::{within_runtime_if_available, Either};
use napi::Env;
use napi_derive::napi;
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

#[napi]
pub struct NativeAdapter {
    /// `Err`: the secret is unset, and every call says so.
    inner: Result<Arc<Adapter>, Error>,
    outbox: Arc<Outbox>,
    /// The deadline of one store call (the `timeout` option).
    store_timeout: std::time::Duration,
}

/// `store` makes the store once the options are read.
fn build_adapter(
    options_json: &str,
    outbox: &NativeOutbox,
    store: impl FnOnce(&AdapterConfig) -> Store,
) -> napi::Result<NativeAdapter> {
    let config = parse_adapter_options(options_json).map_err(config_error)?;
    if let Some(unset) = config.secret_unset() {
        return Ok(NativeAdapter {
            inner: Err(unset),
            outbox: outbox.inner.clone(),
            store_timeout: config.partner.timeout,
        });
    }
    let store = store(&config);
    let store_timeout = config.partner.timeout;
    let client = PartnerClient::new(config.partner).map_err(config_error)?;
    let directory = match config.directory {
        DirectoryKind::Partner => Directory::Partner(client),
        DirectoryKind::Contact => Directory::Contact(ContactClient::new(client)),
    };
    Ok(NativeAdapter {
        inner: Ok(Arc::new(Adapter::new(directory, store, config.settings))),
        outbox: outbox.inner.clone(),
        store_timeout,
    })
}

#[napi]
impl NativeAdapter {
    #[napi(factory)]
    pub fn with_memory_store(
        options_json: String,
        outbox: &NativeOutbox,
        store: &NativeMemoryStore,
    ) -> napi::Result<Self> {
        build_adapter(&options_json, outbox, |_| {
            Store::Memory(store.inner.clone())
        })
    }

    #[napi(factory)]
    pub fn with_redis_store(
        options_json: String,
        outbox: &NativeOutbox,
        store: &NativeRedisStore,
    ) -> napi::Result<Self> {
        build_adapter(&options_json, outbox, |_| Store::Redis(store.inner.clone()))
    }

    /// `bridge({ op, key, value, px })` performs one store operation (one
    /// of `storeOps()`, see `lib/kv/`) and resolves to text or null; the
    /// `timeout` option bounds each call.
    #[napi(factory)]
    pub fn with_js_store(
        options_json: String,
        outbox: &NativeOutbox,
        #[napi(ts_arg_type = "(call: JsStoreCall) => Promise<string | null>")]
        bridge: StoreBridgeFn,
    ) -> napi::Result<Self> {
        build_adapter(&options_json, outbox, |config| {
            Store::Js(Arc::new(JsStore::new(
                Box::new(TsfnBridge(Arc::new(bridge))),
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

    /// Whether the options set the secret (else every call reports it).
    #[napi(getter)]
    pub fn has_secret(&self) -> bool {
        self.inner.is_ok()
    }

    /// Runs an adapter method; `args_json` is a JSON array of its arguments.
    /// Gives `{"ok": value}` or `{"error": {code, message, ...}}` as JSON
    /// text at once when the work completes without waiting (a MemoryStore
    /// record, a cached user); else a call id, whose envelope the adapter's
    /// outbox hands to JS when it is ready.
    ///
    /// The work is polled once here, on the JS thread, before anything is
    /// handed to tokio: work that never waits then costs no thread hop in
    /// either direction, and work that does wait has already sent its first
    /// request. A future may move to another executor between polls; tokio
    /// polls a spawned task at once, so it registers its real waker.
    #[napi(ts_return_type = "string | number")]
    pub fn call(
        &self,
        env: &Env,
        method: String,
        args_json: String,
    ) -> napi::Result<Either<String, u32>> {
        let adapter = match &self.inner {
            Ok(adapter) => adapter.clone(),
            Err(unset) => return Ok(Either::A(envelope(Err(unset.clone())))),
        };
        let mut work = Box::pin(guarded(async move {
            let args: Vec<Value> = serde_json::from_str(&args_json)
                .map_err(|_| Error::invalid("arguments are not serialisable"))?;
            adapter.call(&method, &args).await
        }));
        let mut cx = Context::from_waker(Waker::noop());
        match within_runtime_if_available(|| work.as_mut().poll(&mut cx)) {
            Poll::Ready(envelope) => Ok(Either::A(envelope)),
            Poll::Pending => {
                let outbox = self.outbox.clone();
                let id = outbox.open(env);
                napi::bindgen_prelude::spawn(async move { outbox.deliver(id, work.await) });
                Ok(Either::B(id))
            }
        }
    }
}

/// The adapter methods, in Auth.js contract order.
#[napi]
pub fn adapter_methods() -> Vec<String> {
    adapter::METHODS.iter().map(|m| (*m).to_owned()).collect()
}
