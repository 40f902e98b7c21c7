//! The blocking driver: runs one of the service's futures to completion on the calling
//! thread, with no runtime.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Wakes the thread that waits for the future.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread until it is ready, parking the thread while it waits.
///
/// The blocking service gives it futures over a blocking store ([`Immediate`]), which are
/// ready at their first poll: the loop runs once and never parks. It needs no runtime, so it
/// works inside a tokio worker as well as outside any (it then blocks that worker, as any
/// blocking call does).
///
/// [`Immediate`]: crate::store::asynchronous::Immediate
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut context = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::block_on;

    #[test]
    fn a_ready_future_completes_at_once() {
        assert_eq!(block_on(async { 6 * 7 }), 42);
    }

    #[test]
    fn a_future_woken_from_another_thread_completes() {
        let (tx, rx) = std::sync::mpsc::channel::<u32>();
        let handle = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            tx.send(7).ok();
        });
        // A future that is pending until the other thread has sent, waking itself by polling
        // again (a spurious-wakeup-safe loop).
        let value = block_on(std::future::poll_fn(|cx| match rx.try_recv() {
            Ok(v) => std::task::Poll::Ready(v),
            Err(_) => {
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        }));
        assert_eq!(value, 7);
        handle.join().ok();
    }
}
