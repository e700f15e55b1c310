//! Part of the napi boundary: adapter calls driven on the JS thread — over a
//! JS store, and over a RedisStore with a connection on that thread
//! (`store/uv_redis.rs`, whose work must be polled there). A call's future
//! stays here, by call id, and is only ever polled on the JS thread: when it
//! needs a JS store operation, the operation is handed to JS as the call's
//! answer (a [`StoreStep`]); JS runs it through its `lib/kv/` module and
//! gives the result back with `resume`, which polls again — so a store
//! operation costs no thread hop at all. What wakes a call otherwise (a
//! Redis reply read on the JS thread, a Partner API response, a timer such
//! as a store call's deadline, a lock another call let go) queues a "poll it
//! again" item in the outbox, and JS polls it.
//!
//! The bridge the core's `JsStore` calls ([`DrivenBridge`]) finds the call
//! it runs in through [`CURRENT`], set around each poll.

use crate::store::js::{BridgeFuture, JsStoreBridge, StoreCall};
use crate::store::uv_redis::on_js_thread;
use napi::bindgen_prelude::within_runtime_if_available;
use napi_derive::napi;
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

/// A store operation a call waits for, as JS runs it (`lib/kv/`):
/// `[id, seq, op, key, value, px]`: the call's id and the step's number, to
/// hand back to `resume`; the operation, as its index in `storeOps()`; and
/// its arguments, as `src/store/js.rs` says. An array rather than an object:
/// one is made per store operation, and an array costs V8 no property names.
#[napi]
pub type StoreStep = (u32, u32, u32, String, Option<String>, Option<f64>);

/// The answer of a store step: the text, or the JS error's message.
pub type StepAnswer = std::result::Result<Option<String>, String>;

/// The store step of one call: asked for by the bridge, answered by JS.
#[derive(Default)]
struct Slot {
    next_seq: u32,
    /// The step waiting for its answer.
    asked: Option<u32>,
    /// Its operation, until it is handed to JS.
    to_send: Option<StoreCall>,
    answered: Option<(u32, StepAnswer)>,
}

#[derive(Default)]
pub struct StepSlot(Mutex<Slot>);

impl StepSlot {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        // Every critical section is a few field moves: never left torn.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

thread_local! {
    /// The slot of the call being polled on this thread.
    static CURRENT: RefCell<Option<Arc<StepSlot>>> = const { RefCell::new(None) };
}

/// Polls `work` as the call that owns `slot`.
fn poll_as<T>(slot: &Arc<StepSlot>, poll: impl FnOnce() -> T) -> T {
    let previous = CURRENT.with(|c| c.replace(Some(slot.clone())));
    let result = within_runtime_if_available(|| on_js_thread(poll));
    CURRENT.with(|c| *c.borrow_mut() = previous);
    result
}

/// The core's bridge to a JS store whose calls are driven here.
pub struct DrivenBridge;

impl JsStoreBridge for DrivenBridge {
    fn call(&self, call: StoreCall) -> BridgeFuture {
        Box::pin(Step {
            call: Some(call),
            asked: None,
        })
    }
}

/// One store operation of a driven call: asks on its first poll, then
/// waits for the answer that `resume` puts in the slot.
struct Step {
    call: Option<StoreCall>,
    asked: Option<(Arc<StepSlot>, u32)>,
}

impl Future for Step {
    type Output = StepAnswer;

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<StepAnswer> {
        if let Some((slot, seq)) = &self.asked {
            let mut state = slot.lock();
            return match state.answered.take() {
                Some((answered, answer)) if answered == *seq => Poll::Ready(answer),
                other => {
                    state.answered = other;
                    Poll::Pending
                }
            };
        }
        let Some(slot) = CURRENT.with(|c| c.borrow().clone()) else {
            return Poll::Ready(Err(
                "a JS store operation ran outside of its adapter call".to_owned()
            ));
        };
        let Some(call) = self.call.take() else {
            return Poll::Ready(Err("a JS store operation was polled again".to_owned()));
        };
        let seq = {
            let mut state = slot.lock();
            if state.asked.is_some() {
                return Poll::Ready(Err(
                    "two JS store operations at once in one adapter call".to_owned()
                ));
            }
            let seq = state.next_seq;
            state.next_seq = seq.wrapping_add(1);
            state.asked = Some(seq);
            state.to_send = Some(call);
            seq
        };
        self.asked = Some((slot, seq));
        Poll::Pending
    }
}

impl Drop for Step {
    /// Given up (the deadline passed): the step is forgotten, so a late
    /// answer finds nothing to answer.
    fn drop(&mut self) {
        if let Some((slot, seq)) = &self.asked {
            let mut state = slot.lock();
            if state.asked == Some(*seq) {
                state.asked = None;
                state.to_send = None;
            }
            if state.answered.as_ref().is_some_and(|(s, _)| s == seq) {
                state.answered = None;
            }
        }
    }
}

/// Where a woken call is announced: the outbox, which has JS poll it.
pub trait Announce: Send + Sync + 'static {
    fn woken(&self, id: u32);
}

/// Wakes a driven call: one "poll again" item per wake-up that JS has not
/// yet acted on.
struct CallWaker<A: Announce> {
    announce: Arc<A>,
    id: u32,
    woken: AtomicBool,
}

impl<A: Announce> Wake for CallWaker<A> {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.woken.swap(true, Ordering::AcqRel) {
            self.announce.woken(self.id);
        }
    }
}

type Work = Pin<Box<dyn Future<Output = String> + Send>>;

struct Call<A: Announce> {
    work: Work,
    slot: Arc<StepSlot>,
    waker: Arc<CallWaker<A>>,
}

/// What a turn of a driven call comes to.
pub enum Turn {
    /// The envelope: the call is over.
    Done(String),
    /// A store operation for JS to run, then `resume`.
    Step(StoreStep),
    /// Waiting for something else: the outbox will say when to poll.
    Waiting(u32),
}

/// The driven calls of one adapter. Only touched on the JS thread.
pub struct Driver<A: Announce> {
    announce: Arc<A>,
    calls: Mutex<HashMap<u32, Call<A>>>,
}

impl<A: Announce> Driver<A> {
    pub fn new(announce: Arc<A>) -> Self {
        Self {
            announce,
            calls: Mutex::new(HashMap::new()),
        }
    }

    fn calls(&self) -> MutexGuard<'_, HashMap<u32, Call<A>>> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts call `id` (a fresh outbox id) with its work.
    pub fn start(&self, id: u32, work: impl Future<Output = String> + Send + 'static) -> Turn {
        let call = Call {
            work: Box::pin(work),
            slot: Arc::new(StepSlot::default()),
            waker: Arc::new(CallWaker {
                announce: self.announce.clone(),
                id,
                woken: AtomicBool::new(false),
            }),
        };
        self.turn(id, call)
    }

    /// Gives call `id` the answer of its step `seq`, and polls it. A late
    /// answer (the step was given up) is dropped and the call polled anyway.
    pub fn resume(&self, id: u32, seq: u32, answer: StepAnswer) -> Option<Turn> {
        let call = self.calls().remove(&id)?;
        {
            let mut state = call.slot.lock();
            if state.asked == Some(seq) {
                state.asked = None;
                state.answered = Some((seq, answer));
            }
        }
        Some(self.turn(id, call))
    }

    /// Polls call `id` again (the outbox said it was woken).
    pub fn poll(&self, id: u32) -> Option<Turn> {
        let call = self.calls().remove(&id)?;
        Some(self.turn(id, call))
    }

    /// Calls in progress (for tests and leak checks).
    pub fn in_progress(&self) -> usize {
        self.calls().len()
    }

    fn turn(&self, id: u32, mut call: Call<A>) -> Turn {
        call.waker.woken.store(false, Ordering::Release);
        let waker = Waker::from(call.waker.clone());
        let mut cx = Context::from_waker(&waker);
        let slot = call.slot.clone();
        match poll_as(&slot, || call.work.as_mut().poll(&mut cx)) {
            Poll::Ready(envelope) => Turn::Done(envelope),
            Poll::Pending => {
                let step = {
                    let mut state = slot.lock();
                    let seq = state.asked;
                    seq.zip(state.to_send.take()).map(|(seq, c)| {
                        (
                            id,
                            seq,
                            c.op.code(),
                            c.key,
                            c.value,
                            c.px.map(|ms| ms as f64),
                        )
                    })
                };
                self.calls().insert(id, call);
                match step {
                    Some(step) => Turn::Step(step),
                    None => Turn::Waiting(id),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::js::{JsStore, StoreOp};
    use std::time::Duration;

    #[derive(Default)]
    struct Woken(Mutex<Vec<u32>>);

    impl Announce for Woken {
        fn woken(&self, id: u32) {
            self.0.lock().map(|mut w| w.push(id)).ok();
        }
    }

    /// Store steps have a deadline: a tokio timer, which needs a runtime.
    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn store(timeout_ms: u64) -> Arc<JsStore> {
        Arc::new(JsStore::new(
            Box::new(DrivenBridge),
            Duration::from_millis(timeout_ms),
        ))
    }

    fn step(turn: Turn) -> StoreStep {
        match turn {
            Turn::Step(step) => step,
            Turn::Done(e) => panic!("done: {e}"),
            Turn::Waiting(id) => panic!("waiting: {id}"),
        }
    }

    #[test]
    fn a_call_runs_its_store_operations_through_js_one_at_a_time() {
        let runtime = runtime();
        let _entered = runtime.enter();
        let driver = Driver::new(Arc::new(Woken::default()));
        let s = store(5_000);
        let turn = driver.start(7, async move {
            let a = s.get("a").await.unwrap_or_default().unwrap_or_default();
            s.set("b", &a, Some(10)).await.ok();
            format!("got {a}")
        });
        let (id, seq, op, key, ..) = step(turn);
        assert_eq!((id, op, key.as_str()), (7, StoreOp::Get.code(), "a"));
        let (_, seq, op, _, value, px) = step(driver.resume(7, seq, Ok(Some("1".into()))).unwrap());
        assert_eq!(
            (op, value.as_deref(), px),
            (StoreOp::Set.code(), Some("1"), Some(10.0))
        );
        match driver.resume(7, seq, Ok(None)) {
            Some(Turn::Done(envelope)) => assert_eq!(envelope, "got 1"),
            _ => panic!("not done"),
        }
        assert_eq!(driver.in_progress(), 0, "no call state left");
    }

    #[test]
    fn a_js_error_is_the_operations_error() {
        let runtime = runtime();
        let _entered = runtime.enter();
        let driver = Driver::new(Arc::new(Woken::default()));
        let s = store(5_000);
        let (_, seq, ..) = step(driver.start(1, async move { format!("{:?}", s.get("k").await) }));
        match driver.resume(1, seq, Err("boom".into())) {
            Some(Turn::Done(envelope)) => {
                assert!(envelope.contains("get() failed: boom"), "{envelope}")
            }
            _ => panic!("not done"),
        }
    }

    #[test]
    fn a_step_that_never_answers_ends_at_the_deadline_and_a_late_answer_is_dropped() {
        let runtime = runtime();
        let _entered = runtime.enter();
        let woken = Arc::new(Woken::default());
        let driver = Driver::new(woken.clone());
        let s = store(30);
        let (_, seq, ..) = step(driver.start(3, async move { format!("{:?}", s.get("k").await) }));
        // The deadline's timer wakes the call: the outbox is told to have it polled.
        let started = std::time::Instant::now();
        while woken.0.lock().map(|w| w.is_empty()).unwrap_or(false) {
            assert!(started.elapsed() < Duration::from_secs(5), "never woken");
            std::thread::sleep(Duration::from_millis(5));
        }
        match driver.poll(3) {
            Some(Turn::Done(envelope)) => {
                assert!(envelope.contains("did not settle"), "{envelope}")
            }
            _ => panic!("not done"),
        }
        assert!(
            driver.resume(3, seq, Ok(None)).is_none(),
            "the call is gone"
        );
        assert_eq!(driver.in_progress(), 0);
    }

    #[test]
    fn outside_a_driven_call_a_step_fails_instead_of_hanging() {
        let runtime = runtime();
        let _entered = runtime.enter();
        let s = store(5_000);
        let mut work = Box::pin(async move { s.get("k").await });
        let waker = Waker::noop();
        match work.as_mut().poll(&mut Context::from_waker(waker)) {
            Poll::Ready(Err(e)) => assert!(e.to_string().contains("outside of its adapter call")),
            other => panic!("{other:?}"),
        }
    }
}
