//! A Redis connection that lives on the JS thread: commands are written and
//! replies read and parsed there, with the thread's own event loop (libuv's
//! `uv_poll` on the socket) saying when the socket is ready. A round trip
//! then wakes no other thread. Over redis-rs's connection task it woke three
//! (the task's worker, the worker again for the reply, the JS thread for the
//! answer), and at one call at a time that was the latency (bench/notes.md).
//!
//! Only for work polled on the JS thread between event-loop phases, as
//! driven calls are (`napi/driven.rs` runs them inside [`on_js_thread`]);
//! only over plain TCP and RESP2. TLS, Unix sockets, Cluster and work on
//! tokio keep redis-rs. libuv is the host's own: Node exports its functions,
//! and they are looked up at run time, so a host without them (or a `cargo
//! test` binary) never takes this path.

use redis::aio::ConnectionLike;
use redis::{Cmd, ConnectionAddr, ConnectionInfo, Parser, Pipeline, ProtocolVersion};
use redis::{RedisConnectionInfo, RedisError, RedisFuture, RedisResult, Value};
use std::cell::Cell;
use std::collections::VecDeque;
use std::ffi::{c_int, c_void};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::Duration;
use tokio::sync::oneshot;

thread_local! {
    /// Set while work is polled on a JS thread, between event-loop phases.
    static ON_JS_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Runs `poll` as work polled on the JS thread: a connection of this module
/// may be used (and made) in it.
pub fn on_js_thread<T>(poll: impl FnOnce() -> T) -> T {
    let before = ON_JS_THREAD.replace(true);
    let result = poll();
    ON_JS_THREAD.set(before);
    result
}

/// The functions of libuv this module calls, from the host process.
mod uv {
    use std::ffi::{c_int, c_void};
    use std::sync::OnceLock;

    pub type PollCb = unsafe extern "C" fn(*mut c_void, c_int, c_int);
    pub type CloseCb = unsafe extern "C" fn(*mut c_void);
    type HandleSize = unsafe extern "C" fn(c_int) -> usize;
    type PollInit = unsafe extern "C" fn(*mut c_void, *mut c_void, c_int) -> c_int;
    type PollStart = unsafe extern "C" fn(*mut c_void, c_int, PollCb) -> c_int;
    type Close = unsafe extern "C" fn(*mut c_void, CloseCb);
    type Unref = unsafe extern "C" fn(*mut c_void);
    type SetData = unsafe extern "C" fn(*mut c_void, *mut c_void);
    type GetData = unsafe extern "C" fn(*const c_void) -> *mut c_void;

    /// `UV_POLL` of `uv_handle_type`, the same in every libuv 1.x.
    pub const POLL: c_int = 8;
    pub const READABLE: c_int = 1;
    pub const WRITABLE: c_int = 2;

    pub struct Api {
        pub handle_size: HandleSize,
        pub poll_init: PollInit,
        pub poll_start: PollStart,
        pub close: Close,
        pub unref: Unref,
        pub set_data: SetData,
        pub get_data: GetData,
    }

    /// libuv as the process exports it, if it does.
    pub fn api() -> Option<&'static Api> {
        static API: OnceLock<Option<Api>> = OnceLock::new();
        API.get_or_init(lookup).as_ref()
    }

    #[cfg(unix)]
    fn lookup() -> Option<Api> {
        fn symbol(name: &std::ffi::CStr) -> Option<*mut c_void> {
            // SAFETY: dlsym with RTLD_DEFAULT only reads the loaded images.
            let found = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
            (!found.is_null()).then_some(found)
        }
        // SAFETY: each symbol is libuv's function of that name, whose C
        // signature (libuv 1.x, stable) is the type it is given here.
        unsafe {
            Some(Api {
                handle_size: std::mem::transmute::<*mut c_void, HandleSize>(symbol(
                    c"uv_handle_size",
                )?),
                poll_init: std::mem::transmute::<*mut c_void, PollInit>(symbol(c"uv_poll_init")?),
                poll_start: std::mem::transmute::<*mut c_void, PollStart>(symbol(
                    c"uv_poll_start",
                )?),
                close: std::mem::transmute::<*mut c_void, Close>(symbol(c"uv_close")?),
                unref: std::mem::transmute::<*mut c_void, Unref>(symbol(c"uv_unref")?),
                set_data: std::mem::transmute::<*mut c_void, SetData>(symbol(
                    c"uv_handle_set_data",
                )?),
                get_data: std::mem::transmute::<*mut c_void, GetData>(symbol(
                    c"uv_handle_get_data",
                )?),
            })
        }
    }

    /// `uv_poll_init` takes a file descriptor on Unix only.
    #[cfg(not(unix))]
    fn lookup() -> Option<Api> {
        None
    }
}

/// How the replies of one read are settled: given the settling, it runs it
/// and hands what it woke to JS there and then (the outbox's
/// `settle_in_place`), rather than on a later turn of the loop.
pub type Settling = Arc<dyn Fn(&mut dyn FnMut()) + Send + Sync>;

/// The event loop of one JS thread (`napi_get_uv_event_loop`), and its
/// JS environment, which is told to wait for a connection's close when it
/// is torn down (a worker thread ending): libuv would not close a loop with
/// the connection's handle still open.
#[derive(Clone)]
pub struct EventLoop {
    raw: *mut c_void,
    env: napi::sys::napi_env,
    thread: ThreadId,
    settling: Option<Settling>,
}

// SAFETY: the pointers are only handed to libuv and Node-API on `thread`,
// the loop's own (`is_here`).
unsafe impl Send for EventLoop {}
unsafe impl Sync for EventLoop {}

impl EventLoop {
    /// The loop `raw` of the calling thread, whose environment is `env`, if
    /// libuv can be reached.
    pub fn of_this_thread(raw: *mut c_void, env: napi::sys::napi_env) -> Option<Self> {
        (!raw.is_null() && uv::api().is_some()).then(|| Self {
            raw,
            env,
            thread: std::thread::current().id(),
            settling: None,
        })
    }

    /// Replies are settled through `settling`.
    pub fn settling_with(self, settling: Settling) -> Self {
        Self {
            settling: Some(settling),
            ..self
        }
    }

    /// Whether the caller is work polled on this loop's thread.
    fn is_here(&self) -> bool {
        ON_JS_THREAD.get() && std::thread::current().id() == self.thread
    }
}

/// A RedisStore's connection on the JS thread: made on first use there, made
/// again after it breaks.
pub struct JsThreadRedis {
    event_loop: EventLoop,
    host: String,
    port: u16,
    redis: RedisConnectionInfo,
    current: Mutex<Option<Link>>,
    connecting: tokio::sync::Mutex<()>,
}

impl JsThreadRedis {
    /// `None` where redis-rs must serve: TLS, a Unix socket, RESP3.
    pub fn new(event_loop: EventLoop, info: &ConnectionInfo) -> Option<Self> {
        let ConnectionAddr::Tcp(host, port) = &info.addr else {
            return None;
        };
        if info.redis.protocol != ProtocolVersion::RESP2 {
            return None;
        }
        Some(Self {
            event_loop,
            host: host.clone(),
            port: *port,
            redis: info.redis.clone(),
            current: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
        })
    }

    /// Whether the caller may use this connection: work polled on its thread.
    pub fn is_usable_here(&self) -> bool {
        self.event_loop.is_here()
    }

    fn current(&self) -> MutexGuard<'_, Option<Link>> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection, if it is up.
    pub fn ready(&self) -> Option<Link> {
        self.current().clone().filter(|link| !link.is_broken())
    }

    /// The connection, made first if need be; within `timeout` the caller
    /// sets. Only where [`Self::is_usable_here`].
    pub async fn connect(&self, timeout: Duration) -> RedisResult<Link> {
        let _one_at_a_time = self.connecting.lock().await;
        if let Some(link) = self.ready() {
            return Ok(link);
        }
        let (host, port, redis) = (self.host.clone(), self.port, self.redis.clone());
        let stream = tokio::task::spawn_blocking(move || open(&host, port, &redis, timeout))
            .await
            .map_err(|_| RedisError::from(io::Error::other("connecting stopped")))??;
        if !self.event_loop.is_here() {
            return Err(io::Error::other("a JS-thread connection was made off its thread").into());
        }
        let link = Link::watch(stream, &self.event_loop, self.redis.db)?;
        *self.current() = Some(link.clone());
        Ok(link)
    }

    /// Ends the connection; the next use makes a new one. From any thread:
    /// the socket is shut down, and the loop, seeing it end, lets it go.
    pub fn close(&self) {
        if let Some(link) = self.current().take() {
            link.shut_down();
        }
    }
}

impl Drop for JsThreadRedis {
    fn drop(&mut self) {
        self.close();
    }
}

/// Connects and signs in (AUTH, SELECT), blocking: run off the JS thread.
fn open(
    host: &str,
    port: u16,
    redis: &RedisConnectionInfo,
    timeout: Duration,
) -> RedisResult<TcpStream> {
    let mut failure = io::Error::new(io::ErrorKind::NotFound, "no address");
    let mut stream = None;
    for address in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(connected) => {
                stream = Some(connected);
                break;
            }
            Err(e) => failure = e,
        }
    }
    let stream = stream.ok_or(failure)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut parser = Parser::new();
    let mut ask = |cmd: &Cmd| -> RedisResult<()> {
        (&stream).write_all(&cmd.get_packed_command())?;
        parser.parse_value(&stream)?.extract_error().map(drop)
    };
    if let Some(password) = &redis.password {
        let mut auth = redis::cmd("AUTH");
        if let Some(username) = &redis.username {
            auth.arg(username);
        }
        ask(auth.arg(password))?;
    }
    if redis.db != 0 {
        ask(redis::cmd("SELECT").arg(redis.db))?;
    }
    stream.set_read_timeout(None)?;
    stream.set_write_timeout(None)?;
    stream.set_nonblocking(true)?;
    Ok(stream)
}

/// A command or pipeline waiting for its replies, in the order sent.
struct Waiting {
    /// Replies to pass over first (a transaction's `OK` and `QUEUED`s).
    skip: usize,
    /// `None`: one command's reply, as it is; `Some(n)`: a pipeline's `n`.
    count: Option<usize>,
    transaction: bool,
    replies: Vec<Value>,
    first_error: Option<RedisError>,
    answer: oneshot::Sender<RedisResult<Value>>,
}

impl Waiting {
    /// A command or pipeline to wait for, and where its answer will arrive.
    fn new(
        skip: usize,
        count: Option<usize>,
        transaction: bool,
    ) -> (Self, oneshot::Receiver<RedisResult<Value>>) {
        let (answer, answered) = oneshot::channel();
        let waiting = Self {
            skip,
            count,
            transaction,
            replies: Vec::new(),
            first_error: None,
            answer,
        };
        (waiting, answered)
    }
}

type Answered = (oneshot::Sender<RedisResult<Value>>, RedisResult<Value>);

/// What is sent and waited for on one socket; its order is Redis's order.
#[derive(Default)]
struct Replies {
    waiting: VecDeque<Waiting>,
}

impl Replies {
    /// Takes one reply; gives the answer it completes, if it completes one.
    /// The same rules as redis-rs's multiplexed connection.
    fn take(&mut self, reply: Value) -> Option<Answered> {
        let front = self.waiting.front_mut()?;
        let Some(count) = front.count else {
            let done = self.waiting.pop_front()?;
            return Some((done.answer, Ok(reply)));
        };
        if front.skip > 0 {
            front.skip -= 1;
            if front.transaction && front.first_error.is_none() {
                front.first_error = reply.extract_error().err();
            }
            return None;
        }
        front.replies.push(reply);
        if front.replies.len() < count {
            return None;
        }
        let done = self.waiting.pop_front()?;
        let result = match done.first_error {
            Some(error) => Err(error),
            None => Ok(Value::Array(done.replies)),
        };
        Some((done.answer, result))
    }

    /// Every waiting answer, with the connection's end.
    fn fail_all(&mut self, why: io::ErrorKind) -> Vec<Answered> {
        self.waiting
            .drain(..)
            .map(|w| (w.answer, Err(io::Error::from(why).into())))
            .collect()
    }
}

struct LinkState {
    stream: TcpStream,
    parser: Parser,
    replies: Replies,
    /// What one read takes from the socket, before the parser has it.
    inbox: Box<[u8]>,
    /// Bytes the socket did not take yet; written when it is writable.
    unsent: Vec<u8>,
    /// The `uv_poll_t`; null once closed.
    handle: *mut c_void,
    /// The environment's async cleanup hook that closes the handle if the
    /// environment ends first; removed once the handle is closed.
    teardown_hook: napi::sys::napi_async_cleanup_hook_handle,
    writable_watched: bool,
    /// While replies are settled in place: what JS sends meanwhile waits in
    /// `unsent`, to leave in one write when it is done.
    holding_writes: bool,
    broken: Option<io::ErrorKind>,
    db: i64,
    settling: Option<Settling>,
}

// SAFETY: `handle` is only handed to libuv on the loop's thread: by the
// poll callback, or by a caller that checked `EventLoop::is_here`.
unsafe impl Send for LinkState {}

/// One connection, shared by the calls that use it (a clone per call).
#[derive(Clone)]
pub struct Link(Arc<Mutex<LinkState>>);

/// Up to this much is read per read call.
const READ_CHUNK: usize = 64 * 1024;

impl Link {
    fn state(&self) -> MutexGuard<'_, LinkState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_broken(&self) -> bool {
        self.state().broken.is_some()
    }

    /// Starts watching `stream` on `event_loop` (its thread only).
    fn watch(stream: TcpStream, event_loop: &EventLoop, db: i64) -> RedisResult<Self> {
        let api = uv::api().ok_or_else(|| io::Error::other("libuv is not available"))?;
        let link = Link(Arc::new(Mutex::new(LinkState {
            stream,
            parser: Parser::new(),
            replies: Replies::default(),
            unsent: Vec::new(),
            inbox: vec![0; READ_CHUNK].into_boxed_slice(),
            handle: std::ptr::null_mut(),
            teardown_hook: std::ptr::null_mut(),
            writable_watched: false,
            holding_writes: false,
            broken: None,
            db,
            settling: event_loop.settling.clone(),
        })));
        let mut state = link.state();
        // SAFETY: on the loop's thread (the caller checked). The handle is
        // memory of libuv's size for a poll handle, kept until its close
        // callback; its data is a strong count of the link, given back there.
        unsafe {
            let handle = std::alloc::alloc(handle_layout(api)).cast::<c_void>();
            if handle.is_null() {
                return Err(io::Error::from(io::ErrorKind::OutOfMemory).into());
            }
            if (api.poll_init)(event_loop.raw, handle, raw_socket(&state.stream)) != 0 {
                std::alloc::dealloc(handle.cast(), handle_layout(api));
                return Err(io::Error::other("uv_poll_init failed").into());
            }
            (api.set_data)(handle, Arc::into_raw(link.0.clone()) as *mut c_void);
            state.handle = handle;
            // Its argument is the link the handle holds, alive until the
            // hook is removed (in `on_closed`). Without the hook (an error
            // here), only a worker ending with the connection open fails.
            napi::sys::napi_add_async_cleanup_hook(
                event_loop.env,
                Some(on_env_teardown),
                Arc::as_ptr(&link.0) as *mut c_void,
                &mut state.teardown_hook,
            );
            // The socket alone does not keep the process alive: a call in
            // flight holds the loop through the outbox.
            (api.unref)(handle);
            if (api.poll_start)(handle, uv::READABLE, on_ready) != 0 {
                state.fail(io::ErrorKind::Other);
                return Err(io::Error::other("uv_poll_start failed").into());
            }
        }
        drop(state);
        Ok(link)
    }

    /// Sends `packed` and gives what its replies come to (its thread only).
    fn send(
        &self,
        packed: &[u8],
        skip: usize,
        count: Option<usize>,
        transaction: bool,
    ) -> RedisFuture<'static, Value> {
        let (waiting, answered) = Waiting::new(skip, count, transaction);
        let failed = {
            let mut state = self.state();
            match state.broken {
                Some(why) => Some(Err(io::Error::from(why).into())),
                None => {
                    state.replies.waiting.push_back(waiting);
                    if let Err(e) = state.write(packed) {
                        let answers = state.fail(e.kind());
                        drop(state);
                        settle(answers);
                    }
                    None
                }
            }
        };
        Box::pin(async move {
            if let Some(failed) = failed {
                return failed;
            }
            answered
                .await
                .unwrap_or_else(|_| Err(io::Error::from(io::ErrorKind::BrokenPipe).into()))
        })
    }

    fn shut_down(&self) {
        let _ = self.state().stream.shutdown(Shutdown::Both);
    }
}

fn settle(answers: Vec<Answered>) {
    for (answer, result) in answers {
        // A dropped receiver: its call gave up (deadline) and wants nothing.
        let _ = answer.send(result);
    }
}

fn handle_layout(api: &uv::Api) -> std::alloc::Layout {
    // SAFETY: libuv's own size of its poll handle.
    let size = unsafe { (api.handle_size)(uv::POLL) };
    std::alloc::Layout::from_size_align(size.max(1), 16)
        .unwrap_or(std::alloc::Layout::new::<[u128; 16]>())
}

#[cfg(unix)]
fn raw_socket(stream: &TcpStream) -> c_int {
    std::os::fd::AsRawFd::as_raw_fd(stream)
}

#[cfg(not(unix))]
fn raw_socket(_: &TcpStream) -> c_int {
    unreachable!("libuv is only looked up on Unix")
}

impl LinkState {
    fn write(&mut self, packed: &[u8]) -> io::Result<()> {
        if self.holding_writes {
            self.unsent.extend_from_slice(packed);
            return Ok(());
        }
        if self.unsent.is_empty() {
            let written = match (&self.stream).write(packed) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
                Err(e) => return Err(e),
            };
            if written == packed.len() {
                return Ok(());
            }
            self.unsent.extend_from_slice(&packed[written..]);
        } else {
            self.unsent.extend_from_slice(packed);
        }
        self.watch_writable(true)
    }

    fn flush(&mut self) -> io::Result<()> {
        while !self.unsent.is_empty() {
            match (&self.stream).write(&self.unsent) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => drop(self.unsent.drain(..n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.watch_writable(!self.unsent.is_empty())
    }

    fn watch_writable(&mut self, writable: bool) -> io::Result<()> {
        if self.writable_watched == writable || self.handle.is_null() {
            return Ok(());
        }
        let api = uv::api().ok_or_else(|| io::Error::other("libuv is not available"))?;
        let events = if writable {
            uv::READABLE | uv::WRITABLE
        } else {
            uv::READABLE
        };
        // SAFETY: a live handle, on the loop's thread (see `LinkState`).
        if unsafe { (api.poll_start)(self.handle, events, on_ready) } != 0 {
            return Err(io::Error::other("uv_poll_start failed"));
        }
        self.writable_watched = writable;
        Ok(())
    }

    /// Reads what the socket has and parses every whole reply in it.
    fn read(&mut self, answers: &mut Vec<Answered>) -> io::Result<()> {
        loop {
            let n = match (&self.stream).read(&mut self.inbox) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let mut input = Chunk(&self.inbox[..n]);
            loop {
                match self.parser.parse_value(&mut input) {
                    Ok(reply) => answers.extend(self.replies.take(reply)),
                    Err(e) if io_kind(&e) == Some(io::ErrorKind::WouldBlock) => break,
                    Err(e) => {
                        return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
                    }
                }
            }
            if n < self.inbox.len() {
                return Ok(());
            }
        }
    }

    /// Ends the connection: every waiting call gets the error; the handle
    /// is closed (its callback drops it).
    fn fail(&mut self, why: io::ErrorKind) -> Vec<Answered> {
        if self.broken.is_none() {
            self.broken = Some(why);
        }
        if !self.handle.is_null() {
            if let Some(api) = uv::api() {
                // SAFETY: a live handle, on the loop's thread; closed once.
                unsafe { (api.close)(self.handle, on_closed) };
            }
            self.handle = std::ptr::null_mut();
        }
        self.replies.fail_all(why)
    }
}

/// What the parser reads: one chunk, then "would block" (not end of input,
/// which would end the stream for it).
struct Chunk<'a>(&'a [u8]);

impl Read for Chunk<'_> {
    fn read(&mut self, into: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.0.read(into)
    }
}

fn io_kind(e: &RedisError) -> Option<io::ErrorKind> {
    std::error::Error::source(e)
        .and_then(|source| source.downcast_ref::<io::Error>())
        .map(io::Error::kind)
}

/// libuv's poll callback: the socket is readable or writable, or failed.
unsafe extern "C" fn on_ready(handle: *mut c_void, status: c_int, events: c_int) {
    // No panic may cross into libuv; none is expected, and one would only
    // leave this connection's calls to their deadlines.
    let _ = std::panic::catch_unwind(|| {
        let Some(api) = uv::api() else { return };
        // SAFETY: the handle's data is the link's pointer, alive until
        // `on_closed`, which runs after this callback can no longer.
        let link = unsafe { &*((api.get_data)(handle) as *const Mutex<LinkState>) };
        let mut state = link.lock().unwrap_or_else(|e| e.into_inner());
        let mut answers = Vec::new();
        let outcome = if status < 0 {
            Err(io::ErrorKind::ConnectionReset.into())
        } else {
            let flushed = if events & uv::WRITABLE != 0 {
                state.flush()
            } else {
                Ok(())
            };
            flushed.and_then(|()| {
                if events & uv::READABLE != 0 {
                    state.read(&mut answers)
                } else {
                    Ok(())
                }
            })
        };
        if let Err(e) = outcome {
            answers.extend(state.fail(e.kind()));
        }
        let Some(settling) = state.settling.clone().filter(|_| !answers.is_empty()) else {
            drop(state);
            return settle(answers);
        };
        // The calls these replies complete run on in JS right here, and
        // send their next commands: those leave together, in one write.
        state.holding_writes = true;
        drop(state);
        let mut answers = Some(answers);
        settling(&mut || settle(answers.take().unwrap_or_default()));
        let mut state = link.lock().unwrap_or_else(|e| e.into_inner());
        state.holding_writes = false;
        let failed = match state.flush() {
            Ok(()) => Vec::new(),
            Err(e) => state.fail(e.kind()),
        };
        drop(state);
        settle(failed);
    });
}

/// The JS environment is ending: the connection closes, and the environment
/// waits for that (until `on_closed` removes this hook).
unsafe extern "C" fn on_env_teardown(
    _: napi::sys::napi_async_cleanup_hook_handle,
    link: *mut c_void,
) {
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: the link the handle holds; alive until `on_closed`, which
        // removes this hook first.
        let link = unsafe { &*(link as *const Mutex<LinkState>) };
        let answers = link
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .fail(io::ErrorKind::ConnectionAborted);
        settle(answers);
    });
}

/// libuv's close callback: the handle's memory and its count of the link go,
/// and the environment no longer waits for it.
unsafe extern "C" fn on_closed(handle: *mut c_void) {
    let Some(api) = uv::api() else { return };
    // SAFETY: set in `Link::watch` from `Arc::into_raw`, given back once here;
    // the memory was allocated there with this layout. The hook, if added,
    // is removed once, on the environment's thread (this one).
    unsafe {
        let link = Arc::from_raw((api.get_data)(handle) as *const Mutex<LinkState>);
        let hook = std::mem::replace(
            &mut link.lock().unwrap_or_else(|e| e.into_inner()).teardown_hook,
            std::ptr::null_mut(),
        );
        if !hook.is_null() {
            napi::sys::napi_remove_async_cleanup_hook(hook);
        }
        drop(link);
        std::alloc::dealloc(handle.cast(), handle_layout(api));
    }
}

impl ConnectionLike for Link {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        self.send(&cmd.get_packed_command(), 0, None, false)
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        let replies = self.send(
            &pipeline.get_packed_pipeline(),
            offset,
            Some(count),
            pipeline.is_transaction(),
        );
        Box::pin(async move {
            match replies.await? {
                Value::Array(values) => Ok(values),
                other => Ok(vec![other]),
            }
        })
    }

    fn get_db(&self) -> i64 {
        self.state().db
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(wire: &str) -> Value {
        match redis::parse_redis_value(wire.as_bytes()) {
            Ok(error @ Value::ServerError(_)) => error,
            other => panic!("{other:?}"),
        }
    }

    fn answer(answered: Option<Answered>) -> RedisResult<Value> {
        answered
            .map(|(_, result)| result)
            .unwrap_or_else(|| panic!("no answer"))
    }

    #[test]
    fn replies_go_to_commands_in_the_order_sent() {
        let mut replies = Replies::default();
        let (a, _ra) = Waiting::new(0, None, false);
        let (b, _rb) = Waiting::new(0, None, false);
        replies.waiting.extend([a, b]);
        assert_eq!(
            answer(replies.take(Value::Int(1))).ok(),
            Some(Value::Int(1))
        );
        let error = server_error("-NOSCRIPT no script\r\n");
        // An error reply is the command's reply; the caller reads it as an error.
        assert!(matches!(
            answer(replies.take(error)),
            Ok(Value::ServerError(_))
        ));
        assert!(
            replies.take(Value::Nil).is_none(),
            "a reply nobody waits for is dropped"
        );
    }

    #[test]
    fn a_transaction_skips_its_queued_replies_and_keeps_the_first_error() {
        let mut replies = Replies::default();
        let (t, _rt) = Waiting::new(3, Some(1), true);
        replies.waiting.push_back(t);
        assert!(replies.take(Value::Okay).is_none());
        assert!(replies.take(Value::SimpleString("QUEUED".into())).is_none());
        assert!(replies.take(Value::SimpleString("QUEUED".into())).is_none());
        let exec = Value::Array(vec![Value::Okay, Value::Int(1)]);
        assert_eq!(
            answer(replies.take(exec.clone())).ok(),
            Some(Value::Array(vec![exec]))
        );

        let (t, _rt) = Waiting::new(2, Some(1), true);
        replies.waiting.push_back(t);
        assert!(replies.take(Value::Okay).is_none());
        let wrong = server_error("-WRONGTYPE wrong kind\r\n");
        assert!(replies.take(wrong).is_none());
        let failed = answer(replies.take(Value::Nil));
        assert_eq!(
            failed
                .err()
                .and_then(|e| e.code().map(str::to_owned))
                .as_deref(),
            Some("WRONGTYPE")
        );
    }

    #[test]
    fn a_broken_connection_answers_every_waiting_call() {
        let mut replies = Replies::default();
        let (a, _ra) = Waiting::new(0, None, false);
        let (b, _rb) = Waiting::new(1, Some(2), true);
        replies.waiting.extend([a, b]);
        let answers = replies.fail_all(io::ErrorKind::UnexpectedEof);
        assert_eq!(answers.len(), 2);
        assert!(answers
            .iter()
            .all(|(_, r)| r.as_ref().is_err_and(|e| e.is_io_error())));
        assert!(replies.waiting.is_empty());
    }

    #[test]
    fn the_parser_takes_replies_split_anywhere() {
        let wire = b"+OK\r\n$5\r\nhello\r\n*2\r\n:1\r\n$-1\r\n";
        for cut in 1..wire.len() {
            let mut parser = Parser::new();
            let mut got = Vec::new();
            for part in [&wire[..cut], &wire[cut..]] {
                let mut input = Chunk(part);
                loop {
                    match parser.parse_value(&mut input) {
                        Ok(v) => got.push(v),
                        Err(e) if io_kind(&e) == Some(io::ErrorKind::WouldBlock) => break,
                        Err(e) => panic!("cut {cut}: {e}"),
                    }
                }
            }
            assert_eq!(
                got,
                vec![
                    Value::Okay,
                    Value::BulkString(b"hello".to_vec()),
                    Value::Array(vec![Value::Int(1), Value::Nil]),
                ],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn outside_a_js_thread_the_connection_is_not_used() {
        let here = EventLoop {
            raw: std::ptr::null_mut(),
            env: std::ptr::null_mut(),
            thread: std::thread::current().id(),
            settling: None,
        };
        assert!(!here.is_here(), "not inside on_js_thread");
        assert!(on_js_thread(|| here.is_here()));
        let elsewhere = std::thread::spawn(move || on_js_thread(|| here.is_here()))
            .join()
            .unwrap_or(true);
        assert!(!elsewhere, "another thread");
    }
}
