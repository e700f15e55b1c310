//! The native Redis store (single server or Redis Cluster), the production
//! default. One multiplexed connection shared by every call; it reconnects by
//! itself, and every command has a deadline so a down server gives a `STORE`
//! error instead of a hung sign-in.

use super::uv_redis::{EventLoop, JsThreadRedis, Link};
use super::{TokenUse, Write};
use crate::error::{Error, Result};
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Client, Cmd, Pipeline, RedisError, RedisFuture, RedisResult, TlsCertificates};
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum RedisTarget {
    /// One `redis://` or `rediss://` URL.
    Single(String),
    /// Seed node URLs of a Redis Cluster.
    Cluster(Vec<String>),
}

enum Client_ {
    Single(Client),
    Cluster(ClusterClient),
}

#[derive(Clone)]
enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
    /// The connection of work polled on the JS thread (`uv_redis.rs`).
    JsThread(Link),
}

/// Either connection, as one: commands, pipelines and scripts run on it
/// without matching on the kind each time.
impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, redis::Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
            Conn::JsThread(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipe: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<redis::Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(pipe, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipe, offset, count),
            Conn::JsThread(c) => c.req_packed_commands(pipe, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
            Conn::JsThread(c) => c.get_db(),
        }
    }
}

pub struct RedisStore {
    client: Client_,
    /// The shared connection, once made; `close()` empties it.
    conn: Mutex<Option<Conn>>,
    /// Held while connecting, so that concurrent first calls make one connection.
    connecting: tokio::sync::Mutex<()>,
    timeout: Duration,
    /// A second connection, on the JS thread, for the work polled there.
    js_thread: Option<JsThreadRedis>,
}

/// KEYS: token, failures, outstanding; ARGV: max failures (0: no limit),
/// window ms, what the outstanding set's members leave out of their keys
/// (`TokenUse::member_prefix`; an ioredis client's own `keyPrefix`), the
/// token as the set names it. The attempt is counted before the code is
/// tested; an identifier with no outstanding code gets no counter.
pub const USE_TOKEN_LUA: &str = r"
local max = tonumber(ARGV[1])
if max == 0 or redis.call('EXISTS', KEYS[3]) == 0 then
  return redis.call('GETDEL', KEYS[1])
end
redis.call('SET', KEYS[2], 0, 'PX', ARGV[2], 'NX')
local attempt = redis.call('INCR', KEYS[2])
if attempt <= max then
  local found = redis.call('GETDEL', KEYS[1])
  if found then
    redis.call('DEL', KEYS[2])
    redis.call('SREM', KEYS[3], ARGV[4])
    return found
  end
end
if attempt >= max then
  for _, key in ipairs(redis.call('SMEMBERS', KEYS[3])) do
    redis.call('DEL', ARGV[3] .. key)
  end
  redis.call('DEL', KEYS[2], KEYS[3])
end
return false
";
static USE_TOKEN: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(USE_TOKEN_LUA));

/// A batch of changes in one step, for the Redis clients of `lib/kv/` (one
/// EVALSHA costs a JS client far less than a MULTI of several commands).
/// KEYS: the key of each change, in order; ARGV: now (epoch ms), then per
/// change its kind and arguments: `set` value px, `del`, `setAdd` member px,
/// `setRemove` member, `indexAdd` member expires, `indexRemove` member (an
/// empty px or expires: none). An index an earlier version kept as a plain
/// set becomes a sorted set first, as [`INDEX_TO_SORTED_LUA`] does.
pub const WRITE_LUA: &str = r"
local function sorted(key)
  if redis.call('TYPE', key).ok ~= 'set' then return end
  local members = redis.call('SMEMBERS', key)
  redis.call('DEL', key)
  for _, member in ipairs(members) do redis.call('ZADD', key, '+inf', member) end
end
local now, a = ARGV[1], 2
for _, key in ipairs(KEYS) do
  local op = ARGV[a]
  if op == 'set' then
    if ARGV[a + 2] == '' then redis.call('SET', key, ARGV[a + 1])
    else redis.call('SET', key, ARGV[a + 1], 'PX', ARGV[a + 2]) end
    a = a + 3
  elseif op == 'del' then
    redis.call('DEL', key)
    a = a + 1
  elseif op == 'setAdd' then
    redis.call('SADD', key, ARGV[a + 1])
    if ARGV[a + 2] ~= '' then redis.call('PEXPIRE', key, ARGV[a + 2]) end
    a = a + 3
  elseif op == 'setRemove' then
    redis.call('SREM', key, ARGV[a + 1])
    a = a + 2
  elseif op == 'indexAdd' then
    sorted(key)
    local expires = ARGV[a + 2]
    if expires == '' then expires = '+inf' end
    redis.call('ZADD', key, expires, ARGV[a + 1])
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
    a = a + 3
  elseif op == 'indexRemove' then
    sorted(key)
    redis.call('ZREM', key, ARGV[a + 1])
    a = a + 2
  else
    return redis.error_reply('unknown change ' .. tostring(op))
  end
end
return #KEYS
";

/// KEYS: the lease; ARGV: its holder. Deletes it only if still held.
pub const RELEASE_LUA: &str = r"
local text = redis.call('GET', KEYS[1])
if not text then return 0 end
local ok, lease = pcall(cjson.decode, text)
if ok and type(lease) == 'table' and lease.holder == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";
static RELEASE: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(RELEASE_LUA));

/// KEYS: a per-user index. An index an earlier version kept as a plain set
/// becomes a sorted set, its members scored `+inf` (their expiry unknown).
pub const INDEX_TO_SORTED_LUA: &str = r"
if redis.call('TYPE', KEYS[1]).ok ~= 'set' then return 0 end
local members = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
for _, member in ipairs(members) do redis.call('ZADD', KEYS[1], '+inf', member) end
return #members
";
static INDEX_TO_SORTED: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(INDEX_TO_SORTED_LUA));

fn is_wrong_type(e: &RedisError) -> bool {
    e.code() == Some("WRONGTYPE")
}

/// What decides a key's cluster slot: the text between the first `{` and
/// the next `}` when that is not empty, else the whole key (Redis's rule).
fn hash_tag(key: &str) -> &str {
    if let Some(open) = key.find('{') {
        if let Some(len) = key[open + 1..].find('}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

fn store_err(op: &str, e: RedisError) -> Error {
    // Redis errors carry no keys or values, only kinds and server text.
    Error::store(format!("redis {op} failed: {e}"))
}

impl RedisStore {
    /// Checks the URLs now; connects on first use, so that constructing a
    /// store never blocks and a server that is down at start-up is retried.
    /// `ca_pem`: the certificate authority (PEM) a `rediss://` server's
    /// certificate must chain to, instead of the public web roots.
    pub fn new(target: RedisTarget, timeout: Duration, ca_pem: Option<&str>) -> Result<Self> {
        let certs = || TlsCertificates {
            client_tls: None,
            root_cert: ca_pem.map(|pem| pem.as_bytes().to_vec()),
        };
        let client = match target {
            RedisTarget::Single(url) if ca_pem.is_some() => {
                Client::build_with_tls(url.as_str(), certs())
                    .map(Client_::Single)
                    .map_err(|e| {
                        Error::Config(format!("invalid Redis URL or CA: {:?}", e.kind()))
                    })?
            }
            RedisTarget::Single(url) => Client::open(url.as_str())
                .map(Client_::Single)
                .map_err(|e| Error::Config(format!("invalid Redis URL: {:?}", e.kind())))?,
            RedisTarget::Cluster(urls) => {
                if urls.is_empty() {
                    return Err(Error::Config(
                        "cluster needs at least one node URL".to_owned(),
                    ));
                }
                let mut builder = ClusterClient::builder(urls);
                if ca_pem.is_some() {
                    builder = builder.certs(certs());
                }
                builder
                    .connection_timeout(timeout)
                    .response_timeout(timeout)
                    .retries(2)
                    .build()
                    .map(Client_::Cluster)
                    .map_err(|e| {
                        Error::Config(format!("invalid Redis Cluster URLs: {:?}", e.kind()))
                    })?
            }
        };
        Ok(Self {
            client,
            conn: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
            timeout,
            js_thread: None,
        })
    }

    /// Gives the work polled on `event_loop`'s JS thread a connection of its
    /// own there, where the target allows (one server, plain TCP).
    pub fn with_event_loop(mut self, event_loop: EventLoop) -> Self {
        if let Client_::Single(client) = &self.client {
            self.js_thread = JsThreadRedis::new(event_loop, client.get_connection_info());
        }
        self
    }

    /// Whether work polled on the JS thread has its own connection there, so
    /// an adapter's calls should be polled there (`napi/driven.rs`).
    pub fn serves_the_js_thread(&self) -> bool {
        self.js_thread.is_some()
    }

    fn current(&self) -> Option<Conn> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    async fn conn(&self) -> Result<Conn> {
        if let Some(js_thread) = self.js_thread.as_ref().filter(|j| j.is_usable_here()) {
            if let Some(link) = js_thread.ready() {
                return Ok(Conn::JsThread(link));
            }
            let connect = js_thread.connect(self.timeout);
            return self
                .connected_in_time(async {
                    connect
                        .await
                        .map(Conn::JsThread)
                        .map_err(|e| store_err("connect", e))
                })
                .await;
        }
        if let Some(conn) = self.current() {
            return Ok(conn);
        }
        let connect = async {
            let _guard = self.connecting.lock().await;
            if let Some(conn) = self.current() {
                return Ok(conn);
            }
            let conn = match &self.client {
                Client_::Single(c) => {
                    let config = ConnectionManagerConfig::new()
                        .set_connection_timeout(self.timeout)
                        .set_response_timeout(self.timeout)
                        .set_number_of_retries(0);
                    ConnectionManager::new_with_config(c.clone(), config)
                        .await
                        .map(Conn::Single)
                }
                Client_::Cluster(c) => c.get_async_connection().await.map(Conn::Cluster),
            }
            .map_err(|e| store_err("connect", e))?;
            *self.conn.lock().unwrap_or_else(|e| e.into_inner()) = Some(conn.clone());
            Ok(conn)
        };
        self.connected_in_time(connect).await
    }

    /// A connection made within the deadline, or the error that says it was not.
    async fn connected_in_time(&self, connect: impl Future<Output = Result<Conn>>) -> Result<Conn> {
        tokio::time::timeout(self.timeout, connect)
            .await
            .map_err(|_| Error::store("redis did not accept a connection in time"))?
    }

    async fn query<T: redis::FromRedisValue>(&self, op: &str, cmd: &Cmd) -> Result<T> {
        let mut conn = self.conn().await?;
        self.in_time(op, cmd.query_async(&mut conn)).await
    }

    /// A request's answer within the deadline, its own error left as is.
    async fn in_time_raw<T>(
        &self,
        op: &str,
        request: impl Future<Output = RedisResult<T>>,
    ) -> Result<RedisResult<T>> {
        tokio::time::timeout(self.timeout, request)
            .await
            .map_err(|_| Error::store(format!("redis {op} timed out")))
    }

    /// A request's answer within the deadline, errors named after `op`.
    async fn in_time<T>(
        &self,
        op: &str,
        request: impl Future<Output = RedisResult<T>>,
    ) -> Result<T> {
        tokio::time::timeout(self.timeout, request)
            .await
            .map_err(|_| Error::store(format!("redis {op} timed out")))?
            .map_err(|e| store_err(op, e))
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>> {
        self.query("GET", &redis::cmd("GET").arg(key).clone()).await
    }

    pub async fn set(&self, key: &str, value: &str, ttl_ms: Option<u64>) -> Result<()> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(value);
        if let Some(ms) = ttl_ms {
            // PX 0 is an error in Redis; a record that is already due is
            // written with the shortest life instead.
            cmd.arg("PX").arg(ms.max(1));
        }
        self.query("SET", &cmd).await
    }

    pub async fn del(&self, key: &str) -> Result<()> {
        self.query::<i64>("DEL", &redis::cmd("DEL").arg(key).clone())
            .await
            .map(drop)
    }

    /// One batch: a single `MULTI` on one server; on a cluster one `MULTI`
    /// per hash tag (a transaction cannot span slots), in order of first use.
    pub async fn write(&self, batch: &[Write]) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut groups: Vec<(String, redis::Pipeline)> = Vec::new();
        for change in batch {
            let group = match self.client {
                Client_::Single(_) => String::new(),
                Client_::Cluster(_) => hash_tag(change.key()).to_owned(),
            };
            let index = match groups.iter().position(|(g, _)| *g == group) {
                Some(index) => index,
                None => {
                    let mut pipe = redis::pipe();
                    pipe.atomic();
                    groups.push((group, pipe));
                    groups.len() - 1
                }
            };
            self.add_to(&mut groups[index].1, change);
        }
        let mut conn = self.conn().await?;
        for (_, pipe) in &groups {
            let result = self
                .in_time_raw("write", pipe.query_async::<()>(&mut conn))
                .await?;
            match result {
                Err(e) if is_wrong_type(&e) => {
                    // A per-user index from an earlier version: converted,
                    // then the batch again (every change in it is repeatable).
                    for change in batch {
                        if let Write::IndexAdd { key, .. } | Write::IndexRemove { key, .. } = change
                        {
                            self.index_to_sorted(key).await?;
                        }
                    }
                    self.in_time("write", pipe.query_async::<()>(&mut conn))
                        .await?;
                }
                other => other.map_err(|e| store_err("write", e))?,
            }
        }
        Ok(())
    }

    async fn index_to_sorted(&self, key: &str) -> Result<()> {
        let mut invocation = INDEX_TO_SORTED.prepare_invoke();
        invocation.key(key);
        let mut conn = self.conn().await?;
        self.in_time(
            "index conversion",
            invocation.invoke_async::<i64>(&mut conn),
        )
        .await
        .map(drop)
    }

    /// [`super::Store::index_members`]: `ZRANGE`, or `SMEMBERS` for an index
    /// an earlier version kept as a plain set.
    pub async fn index_members(&self, key: &str) -> Result<Vec<String>> {
        let mut conn = self.conn().await?;
        let zrange = redis::cmd("ZRANGE").arg(key).arg(0).arg(-1).clone();
        match self
            .in_time_raw("ZRANGE", zrange.query_async(&mut conn))
            .await?
        {
            Err(e) if is_wrong_type(&e) => self.set_members(key).await,
            other => other.map_err(|e| store_err("ZRANGE", e)),
        }
    }

    fn add_to(&self, pipe: &mut redis::Pipeline, change: &Write) {
        let key = change.key();
        match change {
            Write::Set { value, ttl_ms, .. } => {
                pipe.cmd("SET").arg(key).arg(value);
                if let Some(ms) = ttl_ms {
                    pipe.arg("PX").arg((*ms).max(1));
                }
            }
            Write::Del { .. } => {
                pipe.cmd("DEL").arg(key);
            }
            Write::SetAdd { member, ttl_ms, .. } => {
                pipe.cmd("SADD").arg(key).arg(member);
                if let Some(ms) = ttl_ms {
                    pipe.ignore().cmd("PEXPIRE").arg(key).arg((*ms).max(1));
                }
            }
            Write::SetRemove { member, .. } => {
                pipe.cmd("SREM").arg(key).arg(member);
            }
            Write::IndexAdd {
                member, expires_ms, ..
            } => {
                match expires_ms {
                    Some(ms) => pipe.cmd("ZADD").arg(key).arg(*ms).arg(member),
                    None => pipe.cmd("ZADD").arg(key).arg("+inf").arg(member),
                };
                pipe.ignore()
                    .cmd("ZREMRANGEBYSCORE")
                    .arg(key)
                    .arg("-inf")
                    .arg(crate::adapter::now_ms());
            }
            Write::IndexRemove { member, .. } => {
                pipe.cmd("ZREM").arg(key).arg(member);
            }
        }
        pipe.ignore();
    }

    pub async fn getdel(&self, key: &str) -> Result<Option<String>> {
        self.query("GETDEL", &redis::cmd("GETDEL").arg(key).clone())
            .await
    }

    /// [`super::Store::use_token`] in one round trip. Every key shares the
    /// identifier's hash tag, so the script runs on a cluster too.
    pub async fn use_token(&self, t: &TokenUse<'_>) -> Result<Option<String>> {
        let mut invocation = USE_TOKEN.prepare_invoke();
        invocation
            .key(t.token)
            .key(t.failures)
            .key(t.outstanding)
            .arg(t.max_failures)
            .arg(t.window_ms.max(1))
            .arg(t.member_prefix)
            .arg(t.token_member());
        let mut conn = self.conn().await?;
        self.in_time("use-token script", invocation.invoke_async(&mut conn))
            .await
    }

    /// [`super::Store::acquire`]: `SET NX PX`.
    pub async fn acquire(&self, key: &str, value: &str, ttl_ms: u64) -> Result<bool> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(key)
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms.max(1));
        Ok(self
            .query::<Option<String>>("SET NX", &cmd)
            .await?
            .is_some())
    }

    /// [`super::Store::release`]: a compare-and-delete script.
    pub async fn release(&self, key: &str, holder: &str) -> Result<()> {
        let mut invocation = RELEASE.prepare_invoke();
        invocation.key(key).arg(holder);
        let mut conn = self.conn().await?;
        self.in_time("release script", invocation.invoke_async::<i64>(&mut conn))
            .await
            .map(drop)
    }

    pub async fn set_remove(&self, key: &str, member: &str) -> Result<()> {
        self.query::<i64>("SREM", &redis::cmd("SREM").arg(key).arg(member).clone())
            .await
            .map(drop)
    }

    pub async fn set_members(&self, key: &str) -> Result<Vec<String>> {
        self.query("SMEMBERS", &redis::cmd("SMEMBERS").arg(key).clone())
            .await
    }

    /// Drops the shared connection; the next call opens a new one.
    pub fn close(&self) {
        *self.conn.lock().unwrap_or_else(|e| e.into_inner()) = None;
        if let Some(js_thread) = &self.js_thread {
            js_thread.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::hash_tag;

    #[test]
    fn hash_tags() {
        assert_eq!(hash_tag("user:{u1}:sessions"), "u1");
        assert_eq!(hash_tag("session:abc"), "session:abc");
        assert_eq!(hash_tag("a{}b{c}"), "a{}b{c}");
        assert_eq!(hash_tag("p:{x}{y}"), "x");
    }
}
