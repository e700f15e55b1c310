//! For the adapter's unit tests: an adapter over a real memory store, and a
//! scripted stand-in for the ChatBotKit API on a free loopback port (the
//! HTTP client, retries and error mapping under test are the real ones).

use super::{Adapter, Lifecycle, Settings};
use crate::directory::{ContactClient, Directory};
use crate::error::Result;
use crate::partner::{Backoff, PartnerClient, PartnerConfig};
use crate::store::{MemoryStore, Store};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Where nothing listens: an adapter whose directory must not be reached.
pub const NOWHERE: &str = "http://127.0.0.1:1";

fn client(base_url: &str, retries: u32) -> PartnerClient {
    PartnerClient::new(PartnerConfig {
        secret: "sk-unit-test-secret".into(),
        base_url: base_url.into(),
        timeout: Duration::from_secs(5),
        retries,
        backoff: Backoff {
            base: Duration::from_millis(2),
            max: Duration::from_millis(10),
        },
    })
    .unwrap()
}

fn settings() -> Settings {
    Settings {
        lifecycle: Lifecycle {
            auto_create_user: true,
            auto_update_user: true,
            auto_delete_user: true,
        },
        ..Settings::default()
    }
}

/// An adapter over partner users at `base_url` and a fresh memory store.
pub fn partner_adapter(base_url: &str, retries: u32) -> Adapter {
    partner_adapter_with(base_url, retries, settings())
}

pub fn partner_adapter_with(base_url: &str, retries: u32, settings: Settings) -> Adapter {
    let store = Store::Memory(Arc::new(MemoryStore::new()));
    Adapter::new(
        Directory::Partner(client(base_url, retries)),
        store,
        settings,
    )
}

/// An adapter over contacts at `base_url`.
pub fn contact_adapter(base_url: &str, retries: u32) -> Adapter {
    let store = Store::Memory(Arc::new(MemoryStore::new()));
    let directory = Directory::Contact(ContactClient::new(client(base_url, retries)));
    Adapter::new(directory, store, settings())
}

/// Runs one adapter method with JSON arguments.
pub async fn call(adapter: &Adapter, method: &str, args: Value) -> Result<Value> {
    let Value::Array(args) = args else {
        panic!("args must be an array")
    };
    let method = crate::adapter::Method::ALL
        .iter()
        .find(|m| m.name() == method)
        .unwrap_or_else(|| panic!("no adapter method {method}"));
    adapter.call(*method, &args).await
}

/// One request as the scripted API saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `METHOD /path` (no query).
    pub route: String,
    pub query: String,
    pub body: String,
}

type Script = dyn Fn(&str, usize) -> (u16, String) + Send + Sync;

/// Answers each request with `script(route, n)`, `n` counting earlier
/// requests of that route, and logs every request.
pub struct ScriptedApi {
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl ScriptedApi {
    pub async fn start(
        script: impl Fn(&str, usize) -> (u16, String) + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let log = seen.clone();
        tokio::spawn(async move {
            let counts = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
            while let Ok((stream, _)) = listener.accept().await {
                let (script, log, counts) = (script.clone(), log.clone(), counts.clone());
                tokio::spawn(async move {
                    let mut stream = BufReader::new(stream);
                    let mut line = String::new();
                    stream.read_line(&mut line).await.ok()?;
                    let mut parts = line.split_whitespace();
                    let method = parts.next()?.to_owned();
                    let target = parts.next()?.to_owned();
                    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                    let mut length = 0;
                    loop {
                        let mut header = String::new();
                        stream.read_line(&mut header).await.ok()?;
                        let header = header.trim();
                        if header.is_empty() {
                            break;
                        }
                        if let Some((name, value)) = header.split_once(':') {
                            if name.eq_ignore_ascii_case("content-length") {
                                length = value.trim().parse().ok()?;
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    stream.read_exact(&mut body).await.ok()?;
                    let route = format!("{method} {path}");
                    let n = {
                        let mut counts = counts.lock().unwrap();
                        let n = counts.entry(route.clone()).or_default();
                        *n += 1;
                        *n - 1
                    };
                    log.lock().unwrap().push(Seen {
                        route: route.clone(),
                        query: query.to_owned(),
                        body: String::from_utf8_lossy(&body).into_owned(),
                    });
                    let (status, answer) = script(&route, n);
                    let response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                    stream.get_mut().write_all(response.as_bytes()).await.ok()
                });
            }
        });
        Self { base, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// How many requests of `route` came.
    pub fn count(&self, route: &str) -> usize {
        self.seen().iter().filter(|s| s.route == route).count()
    }
}
