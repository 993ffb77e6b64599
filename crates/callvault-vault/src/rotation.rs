//! Rotation in the background: a thread that rewraps a tenant's data keys in throttled batches
//! and retires the old wrapping versions when nothing uses them any more.
//!
//! The job holds no state of its own worth saving: the key table records which keys are still
//! under an old version, so a job stopped (or killed) half way is resumed by starting another.
//! Live traffic goes on meanwhile: old versions stay readable until retirement.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::vault::Vault;
use crate::VaultError;

/// How a background rewrap paces itself.
#[derive(Clone, Copy, Debug)]
pub struct RewrapConfig {
    /// Keys per batch (one table page, one transaction per key).
    pub batch: usize,
    /// Pause between batches, to leave the key table to live traffic.
    pub pause: Duration,
}

impl Default for RewrapConfig {
    fn default() -> RewrapConfig {
        RewrapConfig {
            batch: 500,
            pause: Duration::from_millis(50),
        }
    }
}

/// What a finished or stopped job did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RewrapSummary {
    pub rewrapped: usize,
    /// Damaged rows skipped (logged by `Vault::rewrap`); their version is kept.
    pub failed: usize,
    /// Keys still under an old version when the job ended.
    pub remaining: u64,
    /// Versions deleted at the end.
    pub retired: Vec<u32>,
    /// Whether the job was stopped before it finished.
    pub stopped: bool,
}

/// A running background rewrap.
pub struct RewrapJob {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Result<RewrapSummary, VaultError>>,
}

impl RewrapJob {
    /// Starts rewrapping `tenant` on its own thread.
    pub fn spawn(vault: Arc<Vault>, tenant: String, config: RewrapConfig) -> RewrapJob {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || run(&vault, &tenant, config, &flag));
        RewrapJob { stop, handle }
    }

    /// Asks the job to stop after its current batch and waits for it.
    pub fn stop(self) -> Result<RewrapSummary, VaultError> {
        self.stop.store(true, Ordering::Relaxed);
        self.join()
    }

    /// Waits for the job to finish.
    pub fn join(self) -> Result<RewrapSummary, VaultError> {
        self.handle
            .join()
            .map_err(|_| VaultError::Table("the rewrap thread panicked".into()))?
    }
}

fn run(
    vault: &Vault,
    tenant: &str,
    config: RewrapConfig,
    stop: &AtomicBool,
) -> Result<RewrapSummary, VaultError> {
    let mut summary = RewrapSummary::default();
    loop {
        if stop.load(Ordering::Relaxed) {
            summary.stopped = true;
            return Ok(summary);
        }
        let progress = vault.rewrap(tenant, config.batch)?;
        summary.rewrapped += progress.rewrapped;
        summary.failed = summary.failed.max(progress.failed);
        summary.remaining = progress.remaining;
        tracing::debug!(
            tenant,
            rewrapped = summary.rewrapped,
            remaining = progress.remaining,
            "rewrap batch"
        );
        // Done, or only damaged rows are left (they fail every pass).
        if progress.remaining == 0 || progress.rewrapped == 0 {
            break;
        }
        std::thread::sleep(config.pause);
    }
    summary.retired = vault.retire_unused(tenant)?;
    tracing::info!(
        tenant,
        rewrapped = summary.rewrapped,
        failed = summary.failed,
        "rewrap finished"
    );
    Ok(summary)
}
