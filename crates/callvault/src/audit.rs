//! `callvault audit verify` and `callvault audit export`: checking a whole audit log offline.
//!
//! `verify` reads the entries (from the data directory's store, a PostgreSQL URL, or an
//! exported file of leaves), the signed checkpoints stored with them, and optionally an
//! exported checkpoint kept outside the system, and checks them against the public key only
//! (`callvault_core::verify::verify_log`). No root key, passphrase or server is needed.
//! Exit codes: 0 the log holds; 3 it does not (the first bad entry is named); 1 usage or I/O.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use callvault_audit::NoteVerifier;
use callvault_core::verify::{checkpoint_note, verify_log, EntryIn};
use callvault_store::{PostgresStore, SqliteStore, Store};

use crate::config::{Config, StoreUrl};

/// Entries read per store query.
const PAGE: usize = 10_000;

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The data directory whose store holds the log.
    #[arg(long, conflicts_with_all = ["store_url", "log"])]
    pub data_dir: Option<PathBuf>,
    /// A PostgreSQL store URL (instead of a data directory).
    #[arg(long, conflicts_with = "log")]
    pub store_url: Option<String>,
    /// An exported log (`callvault audit export`): one entry per line.
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// The log's public key (vkey), or a file holding it. Default: DATA_DIR/audit.vkey, which
    /// is only as trustworthy as the data directory; pass a copy kept elsewhere.
    #[arg(long)]
    pub public_key: Option<String>,
    /// An exported checkpoint: a signed note, or the export file (its last line is used).
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct ExportArgs {
    #[arg(long, conflicts_with = "store_url")]
    pub data_dir: Option<PathBuf>,
    #[arg(long)]
    pub store_url: Option<String>,
    /// Output file; standard output when absent.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn verify(args: &VerifyArgs) -> Result<ExitCode> {
    let key = verifier(args.public_key.as_deref(), args.data_dir.as_deref())?;
    let exported = match &args.checkpoint {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Some(checkpoint_note(&text).with_context(|| {
                format!("{}: not a signed checkpoint or export file", path.display())
            })?)
        }
        None => None,
    };
    let result = if let Some(log) = &args.log {
        let file =
            std::fs::File::open(log).with_context(|| format!("reading {}", log.display()))?;
        let lines = std::io::BufReader::new(file)
            .split(b'\n')
            .filter_map(|line| match line {
                Ok(l) if l.is_empty() => None,
                Ok(l) => Some(Ok(EntryIn {
                    position: None,
                    leaf: l,
                    recorded_hash: None,
                })),
                Err(e) => Some(Err(e.to_string())),
            });
        verify_log(lines, &[], exported.as_deref(), &key)
    } else {
        let store = open_store(args.data_dir.as_deref(), args.store_url.as_deref())?;
        let checkpoints = all_checkpoints(store.as_ref())?;
        verify_log(
            StoreEntries::new(store.as_ref()),
            &checkpoints,
            exported.as_deref(),
            &key,
        )
    };
    match result {
        Ok(report) => {
            println!("{}", serde_json::to_string(&report)?);
            if report.unsigned_tail > 0 {
                eprintln!(
                    "callvault: note: the last {} entries are not covered by a signed checkpoint yet",
                    report.unsigned_tail
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => {
            let first = failure
                .first_bad_entry()
                .map_or("null".to_owned(), |s| s.to_string());
            println!(
                "{}",
                serde_json::json!({"ok": false, "first_bad_entry": serde_json::from_str::<serde_json::Value>(&first).unwrap_or_default(), "error": failure.to_string()})
            );
            eprintln!("callvault: audit log verification FAILED: {failure}");
            Ok(ExitCode::from(3))
        }
    }
}

pub fn export(args: &ExportArgs) -> Result<ExitCode> {
    let store = open_store(args.data_dir.as_deref(), args.store_url.as_deref())?;
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("writing {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut n = 0u64;
    for entry in StoreEntries::new(store.as_ref()) {
        let entry = entry.map_err(anyhow::Error::msg)?;
        out.write_all(&entry.leaf)?;
        out.write_all(b"\n")?;
        n += 1;
    }
    out.flush()?;
    eprintln!("callvault: exported {n} audit entries");
    Ok(ExitCode::SUCCESS)
}

fn verifier(public_key: Option<&str>, data_dir: Option<&Path>) -> Result<NoteVerifier> {
    let text = match (public_key, data_dir) {
        (Some(k), _) if Path::new(k).is_file() => {
            std::fs::read_to_string(k).with_context(|| format!("reading {k}"))?
        }
        (Some(k), _) => k.to_owned(),
        (None, Some(dir)) => {
            let path = dir.join("audit.vkey");
            eprintln!(
                "callvault: warning: using the public key in {}; pass --public-key with a copy kept elsewhere",
                path.display()
            );
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?
        }
        (None, None) => bail!("--public-key is required"),
    };
    NoteVerifier::from_vkey(text.trim())
        .map_err(|e| anyhow::anyhow!("the public key is not valid: {e}"))
}

fn open_store(data_dir: Option<&Path>, url: Option<&str>) -> Result<Box<dyn Store>> {
    let store = match (data_dir, url) {
        (_, Some(url)) => StoreUrl::Postgres(url.to_owned()),
        (Some(dir), None) => Config::load(dir, None)?.store,
        (None, None) => bail!("give --data-dir, --store-url or --log"),
    };
    Ok(match store {
        StoreUrl::Sqlite(path) => {
            if !path.exists() {
                bail!("{} does not exist", path.display());
            }
            Box::new(SqliteStore::open(&path)?)
        }
        StoreUrl::Postgres(url) => Box::new(PostgresStore::open(&url)?),
    })
}

fn all_checkpoints(store: &dyn Store) -> Result<Vec<(u64, String)>> {
    let mut out = Vec::new();
    loop {
        let after = out.last().map_or(0, |(s, _): &(u64, String)| *s);
        let page = store.checkpoints(after, 1000)?;
        if page.is_empty() {
            return Ok(out);
        }
        out.extend(page);
    }
}

/// Every stored entry in order, a page at a time.
struct StoreEntries<'a> {
    store: &'a dyn Store,
    next: u64,
    page: std::vec::IntoIter<callvault_store::StoredEntry>,
    done: bool,
}

impl<'a> StoreEntries<'a> {
    fn new(store: &'a dyn Store) -> StoreEntries<'a> {
        StoreEntries {
            store,
            next: 0,
            page: Vec::new().into_iter(),
            done: false,
        }
    }
}

impl Iterator for StoreEntries<'_> {
    type Item = Result<EntryIn, String>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.page.next() {
                self.next = e.seq + 1;
                return Some(Ok(EntryIn {
                    position: Some(e.seq),
                    leaf: e.leaf,
                    recorded_hash: Some(e.leaf_hash),
                }));
            }
            if self.done {
                return None;
            }
            match self.store.audit_entries(self.next, PAGE) {
                Ok(page) if page.is_empty() => self.done = true,
                Ok(page) => self.page = page.into_iter(),
                Err(e) => {
                    self.done = true;
                    return Some(Err(e.to_string()));
                }
            }
        }
    }
}
