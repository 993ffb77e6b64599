//! Group commit: many turns, one transaction, one fsync.
//!
//! Requests hand their rows to one writer thread and wait. The thread takes everything queued
//! (up to a bound) and appends it in a single transaction; every waiter then hears the same
//! outcome. If a batch fails, its turns are retried one by one so one bad row cannot fail its
//! neighbours. A 2xx is sent only after the commit returned, so acknowledged means durable.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use callvault_store::{Store, TurnWrite};
use tokio::sync::oneshot;

use crate::CoreError;

type Job = (TurnWrite, oneshot::Sender<Result<(), CoreError>>);

/// The writer thread and its queue.
pub struct GroupCommit {
    queue: Mutex<Option<SyncSender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl GroupCommit {
    /// Starts the writer. `queue` bounds waiting turns (beyond it, callers get `Unavailable`);
    /// `max_batch` bounds one transaction.
    pub fn start(store: Arc<dyn Store>, queue: usize, max_batch: usize) -> GroupCommit {
        let (tx, rx) = sync_channel(queue);
        let thread = std::thread::Builder::new()
            .name("callvault-writer".into())
            .spawn(move || run(store.as_ref(), &rx, max_batch))
            .ok();
        GroupCommit {
            queue: Mutex::new(Some(tx)),
            thread: Mutex::new(thread),
        }
    }

    /// Queues a turn and waits until it is durable.
    pub async fn append(&self, write: TurnWrite) -> Result<(), CoreError> {
        let (done, wait) = oneshot::channel();
        {
            let queue = self.queue.lock().map_err(|_| CoreError::Internal)?;
            let sender = queue.as_ref().ok_or(CoreError::Unavailable)?;
            match sender.try_send((write, done)) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => return Err(CoreError::Unavailable),
                Err(TrySendError::Disconnected(_)) => return Err(CoreError::Unavailable),
            }
        }
        wait.await.map_err(|_| CoreError::Internal)?
    }

    /// Stops taking turns, lets the thread commit what is queued, and waits for it.
    pub fn shutdown(&self) {
        if let Ok(mut queue) = self.queue.lock() {
            queue.take();
        }
        let thread = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run(store: &dyn Store, rx: &Receiver<Job>, max_batch: usize) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let (writes, waiters): (Vec<TurnWrite>, Vec<_>) = jobs.into_iter().unzip();
        match store.append_turns(&writes) {
            Ok(()) => {
                for waiter in waiters {
                    let _ = waiter.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, n_turns = writes.len(), "group commit failed; retrying turns one by one");
                for (write, waiter) in writes.into_iter().zip(waiters) {
                    let result = store
                        .append_turns(std::slice::from_ref(&write))
                        .map_err(|e| {
                            tracing::error!(error = %e, "turn append failed");
                            CoreError::Internal
                        });
                    let _ = waiter.send(result);
                }
            }
        }
    }
}
