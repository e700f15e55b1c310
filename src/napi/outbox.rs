//! Part of the napi boundary: how every native call that returns a promise
//! settles (adapter calls, `createChatBotKitSession`, `RedisStore`'s own
//! methods).
//!
//! A call's work is polled once on the JS thread (`Outbox::settle`): if it
//! completes without waiting, JS gets its envelope at once, with no thread
//! hop. Otherwise tokio finishes it and the envelope queues here.
//!
//! napi-rs's own promises cost a threadsafe function per call, created and
//! released on the JS thread, and Node then settles every result that has
//! arrived in one event-loop turn: a burst of results holds the loop for the
//! whole burst. Here one threadsafe function per JS environment only says
//! "results are waiting", results queue in Rust, and JS takes them a few at
//! a time (`take(max)`), yielding to the event loop between batches, so
//! timers and other I/O get their turn in a burst.
//!
//! Results read on the JS thread itself (a RedisStore's replies,
//! `store/uv_redis.rs`) are handed over in the same libuv callback
//! (`settle_in_place`): `onReady()` is called there, through the same queue
//! and the same batching, without waking the loop again.
//!
//! The JS half is lib/outbox.js, which registers itself once per environment
//! (the main thread, each worker thread) with `registerOutbox`; the classes
//! that settle through the outbox find it there when they are made.

use napi::bindgen_prelude::{spawn, within_runtime_if_available, Either, Function, FunctionRef};
use napi::check_status;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status};
use napi_derive::napi;
use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// What a call that settles through the outbox answers: its envelope
/// (`{"ok": value}` or `{"error": {code, message, ...}}` as JSON text) when
/// the work completed without waiting, else the id of the `Completion` that
/// will carry it.
#[napi]
pub type Settled = Either<String, u32>;

/// What the queue carries.
pub(crate) trait Item {
    /// Whether taking this item finishes a call that `Queue::open` handed out
    /// (rather than, say, only asking JS to look at a call again).
    fn ends_call(&self) -> bool;
}

/// The outbox's bookkeeping, without napi: items waiting for JS, whether JS
/// has been told, and how many calls are in flight.
pub(crate) struct Queue<T> {
    ready: VecDeque<T>,
    /// JS has been signalled and has not yet found the queue empty.
    signalled: bool,
    /// Calls handed out and not yet taken.
    in_flight: u32,
    next_id: u32,
}

impl<T: Item> Queue<T> {
    pub(crate) fn new() -> Self {
        Self::starting_at(0)
    }

    fn starting_at(next_id: u32) -> Self {
        Self {
            ready: VecDeque::new(),
            signalled: false,
            in_flight: 0,
            next_id,
        }
    }

    /// A fresh call id, and whether this call is the only one in flight (so
    /// the caller must now keep the event loop alive).
    pub(crate) fn open(&mut self) -> (u32, bool) {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.in_flight = self.in_flight.saturating_add(1);
        (id, self.in_flight == 1)
    }

    /// Queues an item; `true` when the caller must signal JS (it is not
    /// already going to look).
    pub(crate) fn push(&mut self, item: T) -> bool {
        self.ready.push_back(item);
        !std::mem::replace(&mut self.signalled, true)
    }

    /// Up to `max` items, oldest first, and whether the calls in flight have
    /// just reached zero (so the caller may let the event loop exit).
    pub(crate) fn take(&mut self, max: usize) -> (Vec<T>, bool) {
        let n = max.min(self.ready.len());
        let taken: Vec<T> = self.ready.drain(..n).collect();
        if self.ready.is_empty() {
            self.signalled = false;
        }
        let ended = taken.iter().filter(|item| item.ends_call()).count();
        let before = self.in_flight;
        self.in_flight = before.saturating_sub(u32::try_from(ended).unwrap_or(u32::MAX));
        (taken, before > 0 && self.in_flight == 0)
    }

    /// Ends a call whose answer went to JS without the queue (a driven
    /// call's envelope); whether the calls in flight have just reached zero.
    pub(crate) fn close(&mut self) -> bool {
        let before = self.in_flight;
        self.in_flight = before.saturating_sub(1);
        before > 0 && self.in_flight == 0
    }
}

/// `onReady()` in JS. Created weak, so an idle process may exit; the event
/// loop is held while calls are in flight (`hold_event_loop`).
type ReadyFn = ThreadsafeFunction<(), (), (), Status, false, true>;

/// One finished call, as JS takes it; or, without an envelope, a call
/// driven on the JS thread (`driven.rs`) that was woken and wants polling.
#[napi(object)]
pub struct Completion {
    pub id: u32,
    /// `{"ok": value}` or `{"error": {code, message, ...}}` as JSON text.
    pub envelope: Option<String>,
}

impl Item for Completion {
    fn ends_call(&self) -> bool {
        self.envelope.is_some()
    }
}

/// The outbox of one JS environment.
pub struct Outbox {
    queue: Mutex<Queue<Completion>>,
    on_ready: ReadyFn,
    /// `onReady()` called on the JS thread itself, from a libuv callback.
    in_place: InPlace,
}

/// What calling `onReady()` from a libuv callback on the JS thread takes.
struct InPlace {
    on_ready: FunctionRef<(), ()>,
    env: napi::sys::napi_env,
    /// The async context its calls run in, as a threadsafe function's do.
    context: napi::sys::napi_async_context,
    thread: std::thread::ThreadId,
}

// SAFETY: `env` and `context` are only used on `thread` (`call_on_ready`).
unsafe impl Send for InPlace {}
unsafe impl Sync for InPlace {}

thread_local! {
    /// While an outbox settles in place (`Outbox::settle_in_place`): which,
    /// and whether anything was delivered to it.
    static SETTLING_IN_PLACE: Cell<(*const Outbox, bool)> =
        const { Cell::new((std::ptr::null(), false)) };
}

impl Outbox {
    fn queue(&self) -> MutexGuard<'_, Queue<Completion>> {
        // Nothing panics while holding the lock; if something did, the queue
        // is still consistent, so poisoning is ignored.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Settles `work`, an envelope to be: its text at once if it completes
    /// without waiting, else a call id whose envelope JS takes later.
    ///
    /// The work is polled once here, on the JS thread, before anything is
    /// handed to tokio: work that never waits then costs no thread hop in
    /// either direction, and work that does wait has already sent its first
    /// request. A future may move to another executor between polls; tokio
    /// polls a spawned task at once, so it registers its real waker.
    pub(crate) fn settle<F>(self: &Arc<Self>, env: &Env, work: F) -> Settled
    where
        F: Future<Output = String> + Send + 'static,
    {
        let mut work = Box::pin(work);
        let mut cx = Context::from_waker(Waker::noop());
        match within_runtime_if_available(|| work.as_mut().poll(&mut cx)) {
            Poll::Ready(envelope) => Either::A(envelope),
            Poll::Pending => {
                let (id, first) = self.queue().open();
                if first {
                    self.hold_event_loop(env, true);
                }
                let outbox = self.clone();
                spawn(async move {
                    outbox.deliver(Completion {
                        id,
                        envelope: Some(work.await),
                    })
                });
                Either::B(id)
            }
        }
    }

    /// A call id for a call driven on the JS thread (`driven.rs`), in flight
    /// until [`Outbox::close`].
    pub(crate) fn open(&self, env: &Env) -> u32 {
        let (id, first) = self.queue().open();
        if first {
            self.hold_event_loop(env, true);
        }
        id
    }

    /// Ends a driven call (its envelope went straight back to JS).
    pub(crate) fn close(&self, env: &Env) {
        if self.queue().close() {
            self.hold_event_loop(env, false);
        }
    }

    /// Runs `settle`, a libuv callback's settling of the results it read
    /// (on the JS thread, not inside JS), and hands what it delivered to JS
    /// at once: `onReady()` is called here rather than signalled for a later
    /// turn of the event loop, which saves a wake-up of the loop per result.
    pub(crate) fn settle_in_place(&self, settle: &mut dyn FnMut()) {
        let outer = SETTLING_IN_PLACE.replace((self as *const Outbox, false));
        settle();
        let (_, delivered) = SETTLING_IN_PLACE.replace(outer);
        if delivered && !self.call_on_ready() {
            self.signal();
        }
    }

    /// Calls `onReady()` on this thread, as a threadsafe function would:
    /// in a handle scope and a callback scope (so the microtasks it queues
    /// run when it returns), with the global object as `this`. `false` if it
    /// could not be called or threw.
    fn call_on_ready(&self) -> bool {
        let InPlace {
            on_ready,
            env,
            context,
            thread,
        } = &self.in_place;
        if std::thread::current().id() != *thread {
            return false;
        }
        let env = *env;
        // SAFETY: on the environment's JS thread, in a libuv callback (no
        // JS on the stack); every value lives in the handle scope opened here.
        unsafe {
            use napi::sys::*;
            let mut scope = std::ptr::null_mut();
            if napi_open_handle_scope(env, &mut scope) != Status::napi_ok {
                return false;
            }
            let mut recv = std::ptr::null_mut();
            let called = match on_ready.borrow_back(&Env::from_raw(env)) {
                Ok(function) if napi_get_global(env, &mut recv) == Status::napi_ok => {
                    let function = napi::JsValue::raw(&function);
                    let mut result = std::ptr::null_mut();
                    match napi_make_callback(
                        env,
                        *context,
                        recv,
                        function,
                        0,
                        std::ptr::null(),
                        &mut result,
                    ) {
                        Status::napi_ok => true,
                        Status::napi_pending_exception => {
                            // Thrown by onReady: reported as any uncaught
                            // exception, and JS is signalled to look again.
                            let mut error = std::ptr::null_mut();
                            napi_get_and_clear_last_exception(env, &mut error);
                            napi_fatal_exception(env, error);
                            false
                        }
                        _ => false,
                    }
                }
                _ => false,
            };
            napi_close_handle_scope(env, scope);
            called
        }
    }

    /// Queues a finished call; from any thread.
    fn deliver(&self, completion: Completion) {
        let signal = self.queue().push(completion);
        if signal {
            let settling_here = SETTLING_IN_PLACE.with(|cell| {
                let (outbox, _) = cell.get();
                let here = std::ptr::eq(outbox, self);
                if here {
                    cell.set((outbox, true));
                }
                here
            });
            if !settling_here {
                self.signal();
            }
        }
    }

    /// Tells JS, through the threadsafe function, that results are waiting.
    fn signal(&self) {
        // Closing (the environment is being torn down) is not an error
        // anyone could act on: the results have nobody left to read them.
        let _ = self
            .on_ready
            .call((), ThreadsafeFunctionCallMode::NonBlocking);
    }

    fn take(&self, env: &Env, max: usize) -> Vec<Completion> {
        let (taken, idle) = self.queue().take(max);
        if idle {
            self.hold_event_loop(env, false);
        }
        taken
    }

    /// Whether the event loop waits for `on_ready`, like the handle of any
    /// pending I/O: Node-API's `napi_ref_threadsafe_function` and
    /// `napi_unref_threadsafe_function`. (napi-rs's wrappers of them,
    /// `refer`/`unref`, are deprecated in favour of `clone`, which counts
    /// threads and does not hold the loop.) Failure only means the
    /// environment is going away.
    fn hold_event_loop(&self, env: &Env, hold: bool) {
        if self.on_ready.aborted() {
            return;
        }
        let (env, raw) = (env.raw(), self.on_ready.raw());
        // SAFETY: both callers are napi methods, so this runs on the JS thread
        // of the environment that owns `on_ready`; `on_ready` is held by
        // `self` and not aborted, and only that thread could finalize it, so
        // `raw` is live for the duration of the call.
        let _ = unsafe {
            if hold {
                napi::sys::napi_ref_threadsafe_function(env, raw)
            } else {
                napi::sys::napi_unref_threadsafe_function(env, raw)
            }
        };
    }
}

/// A driven call was woken: JS is to poll it (an item that ends no call).
impl super::driven::Announce for Outbox {
    fn woken(&self, id: u32) {
        self.deliver(Completion { id, envelope: None });
    }
}

/// Registers lib/outbox.js's `onReady` as this JS environment's outbox.
/// `onReady()` is called on the JS thread when results are waiting; it should
/// `take` them, and call `take` again later (after a `setImmediate`) while a
/// take comes back full. Called again in the same environment (a test runner
/// that loads the package afresh per file), the new outbox replaces the old
/// for what is made from then on.
#[napi]
pub fn register_outbox(
    env: &Env,
    #[napi(ts_arg_type = "() => void")] on_ready: Function<(), ()>,
) -> napi::Result<NativeOutbox> {
    let mut context = std::ptr::null_mut();
    // SAFETY: a napi method, on the JS thread; the resource and the name
    // live in this call's handle scope.
    unsafe {
        use napi::sys::*;
        let (mut resource, mut name) = (std::ptr::null_mut(), std::ptr::null_mut());
        let label = c"nextauth-chatbotkit";
        check_status!(napi_create_object(env.raw(), &mut resource))?;
        check_status!(napi_create_string_utf8(
            env.raw(),
            label.as_ptr(),
            label.count_bytes() as isize,
            &mut name
        ))?;
        check_status!(napi_async_init(env.raw(), resource, name, &mut context))?;
    }
    let outbox = Arc::new(Outbox {
        queue: Mutex::new(Queue::new()),
        on_ready: on_ready
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?,
        in_place: InPlace {
            on_ready: on_ready.create_ref()?,
            env: env.raw(),
            context,
            thread: std::thread::current().id(),
        },
    });
    match env.get_instance_data::<Arc<Outbox>>()? {
        Some(slot) => *slot = outbox.clone(),
        None => env.set_instance_data(outbox.clone(), (), |_| {})?,
    }
    Ok(NativeOutbox { inner: outbox })
}

/// This JS environment's outbox, for a class that settles through it.
pub(crate) fn outbox_of(env: &Env) -> napi::Result<Arc<Outbox>> {
    env.get_instance_data::<Arc<Outbox>>()?
        .map(|outbox| outbox.clone())
        .ok_or_else(|| {
            napi::Error::new(
                Status::GenericFailure,
                "nextauth-chatbotkit: lib/outbox.js has not registered its outbox (load the package \
                 through its entry point)",
            )
        })
}

/// The outbox as lib/outbox.js holds it (made by `registerOutbox`).
#[napi]
pub struct NativeOutbox {
    inner: Arc<Outbox>,
}

#[napi]
impl NativeOutbox {
    /// Up to `max` finished calls, oldest first.
    #[napi]
    pub fn take(&self, env: &Env, max: u32) -> Vec<Completion> {
        self.inner.take(env, max.max(1) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A finished call, or (`false`) an item that does not end one.
    #[derive(Debug, PartialEq)]
    struct Test(u32, bool);

    impl Item for Test {
        fn ends_call(&self) -> bool {
            self.1
        }
    }

    fn ids(items: &[Test]) -> Vec<u32> {
        items.iter().map(|t| t.0).collect()
    }

    #[test]
    fn items_come_out_oldest_first_at_most_max_at_a_time() {
        let mut q = Queue::new();
        for _ in 0..5 {
            let (id, _) = q.open();
            q.push(Test(id, true));
        }
        assert_eq!(ids(&q.take(2).0), [0, 1]);
        assert_eq!(ids(&q.take(2).0), [2, 3]);
        assert_eq!(ids(&q.take(2).0), [4]);
        assert!(q.take(2).0.is_empty());
    }

    #[test]
    fn js_is_signalled_once_until_it_drains_the_queue() {
        let mut q = Queue::new();
        assert!(q.push(Test(0, true)), "the first item signals");
        assert!(!q.push(Test(1, true)), "JS is already going to look");
        q.take(1);
        assert!(!q.push(Test(2, true)), "not drained yet: JS takes again");
        q.take(8);
        assert!(
            q.push(Test(3, true)),
            "drained: the next item signals again"
        );
    }

    #[test]
    fn a_full_take_that_empties_the_queue_also_rearms_the_signal() {
        let mut q = Queue::new();
        q.push(Test(0, true));
        q.push(Test(1, true));
        q.take(2);
        assert!(q.push(Test(2, true)));
    }

    #[test]
    fn the_loop_is_held_from_the_first_call_in_flight_until_the_last_is_taken() {
        let mut q = Queue::new();
        let (a, first) = q.open();
        assert!(first, "the first call in flight holds the loop");
        let (b, first) = q.open();
        assert!(!first, "the loop is already held");
        q.push(Test(a, true));
        assert!(!q.take(8).1, "b is still in flight");
        q.push(Test(b, true));
        assert!(q.take(8).1, "nothing in flight: release the loop");
        assert!(!q.take(8).1, "released once, not again");
        assert!(q.open().1, "a new call holds it again");
    }

    #[test]
    fn items_that_end_no_call_do_not_count_as_finished() {
        let mut q = Queue::new();
        let (id, _) = q.open();
        q.push(Test(id, false));
        assert!(!q.take(8).1, "the call is still in flight");
        q.push(Test(id, true));
        assert!(q.take(8).1);
    }

    #[test]
    fn a_call_closed_without_the_queue_releases_the_loop_once() {
        let mut q: Queue<Test> = Queue::new();
        let (a, _) = q.open();
        q.open();
        q.push(Test(a, false)); // a woken driven call: still in flight
        assert!(!q.take(8).1);
        assert!(!q.close(), "one call is still in flight");
        assert!(q.close(), "the last call closed: release the loop");
        assert!(!q.close(), "released once, not again");
    }

    #[test]
    fn ids_wrap_around() {
        let mut q: Queue<Test> = Queue::starting_at(u32::MAX - 1);
        assert_eq!(q.open().0, u32::MAX - 1);
        assert_eq!(q.open().0, u32::MAX);
        assert_eq!(q.open().0, 0);
        assert_eq!(q.in_flight, 3);
    }
}
