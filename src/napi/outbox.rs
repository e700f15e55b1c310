//! Part of the napi boundary: how the results of adapter calls that had to
//! wait (for Redis, a JS store, the Partner API) reach the JS thread.
//!
//! napi-rs's own promises cost a threadsafe function per call, created and
//! released on the JS thread, and Node then settles every result that has
//! arrived in one event-loop turn: a burst of results holds the loop for the
//! whole burst. Here one threadsafe function per JS environment only says
//! "results are waiting", results queue in Rust, and JS takes them a few at
//! a time (`take(max)`), yielding to the event loop between batches, so
//! timers and other I/O get their turn in a burst.

use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status};
use napi_derive::napi;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// `onReady()` in JS. Created weak (an idle process may exit); referenced
/// while calls are in flight, like the promise of any pending I/O.
type ReadyFn = ThreadsafeFunction<(), (), (), Status, false, true>;

/// One finished call, as JS takes it; without an envelope, a driven call
/// (`driven.rs`) that was woken and wants polling.
#[napi(object)]
pub struct Completion {
    pub id: u32,
    pub envelope: Option<String>,
}

struct State {
    ready: VecDeque<Completion>,
    /// `onReady` has been called and JS has not yet found the queue empty.
    signalled: bool,
    /// Calls handed out and not yet taken; the process stays alive while
    /// this is not zero.
    in_flight: u32,
    next_id: u32,
    on_ready: ReadyFn,
}

pub struct Outbox {
    state: Mutex<State>,
}

impl Outbox {
    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing in this module panics while holding the lock; if something
        // did, the queue is still consistent, so poisoning is ignored.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A fresh call id; on the JS thread, before the work is spawned.
    pub fn open(&self, env: &Env) -> u32 {
        let mut state = self.state();
        if state.in_flight == 0 {
            // Failure only means the environment is going away. (`refer` is
            // deprecated in favour of `clone`, which counts threads and does
            // not keep the event loop alive: this needs the loop reference.)
            #[allow(deprecated)]
            let _ = state.on_ready.refer(env);
        }
        state.in_flight = state.in_flight.saturating_add(1);
        let id = state.next_id;
        state.next_id = state.next_id.wrapping_add(1);
        id
    }

    /// Queues a result; from any thread. Signals JS only if it is not
    /// already going to look.
    pub fn deliver(&self, id: u32, envelope: String) {
        self.push(Completion {
            id,
            envelope: Some(envelope),
        });
    }

    /// A call that is over without a delivery (a driven call's envelope
    /// goes straight back to JS); on the JS thread.
    pub fn close(&self, env: &Env) {
        let mut state = self.state();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            #[allow(deprecated)]
            let _ = state.on_ready.unref(env);
        }
    }

    fn push(&self, completion: Completion) {
        let mut state = self.state();
        state.ready.push_back(completion);
        if !state.signalled {
            state.signalled = true;
            // Closing (the environment is being torn down) is not an error
            // anyone could act on: the results have nobody left to read them.
            let _ = state
                .on_ready
                .call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }

    fn take(&self, env: &Env, max: usize) -> Vec<Completion> {
        let mut state = self.state();
        let n = max.min(state.ready.len());
        let taken: Vec<Completion> = state.ready.drain(..n).collect();
        if state.ready.is_empty() {
            state.signalled = false;
        }
        let ended = taken.iter().filter(|c| c.envelope.is_some()).count();
        let n = u32::try_from(ended).unwrap_or(u32::MAX);
        state.in_flight = state.in_flight.saturating_sub(n);
        if n > 0 && state.in_flight == 0 {
            #[allow(deprecated)]
            let _ = state.on_ready.unref(env);
        }
        taken
    }
}

/// The outbox of one JS environment (the wrapper makes one, lazily).
#[napi]
pub struct NativeOutbox {
    pub(crate) inner: Arc<Outbox>,
}

#[napi]
impl NativeOutbox {
    /// `on_ready()` is called on the JS thread when results are waiting;
    /// it should `take` them, and call `take` again later (after a
    /// `setImmediate`) while a take comes back full.
    #[napi(constructor)]
    pub fn new(#[napi(ts_arg_type = "() => void")] on_ready: ReadyFn) -> Self {
        Self {
            inner: Arc::new(Outbox {
                state: Mutex::new(State {
                    ready: VecDeque::new(),
                    signalled: false,
                    in_flight: 0,
                    next_id: 0,
                    on_ready,
                }),
            }),
        }
    }

    /// Up to `max` finished calls, oldest first.
    #[napi]
    pub fn take(&self, env: &Env, max: u32) -> Vec<Completion> {
        self.inner.take(env, max.max(1) as usize)
    }
}

impl super::driven::Announce for Outbox {
    fn woken(&self, id: u32) {
        self.push(Completion { id, envelope: None });
    }
}
