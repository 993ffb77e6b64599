//! The `callvault` command. A thin edge over the libraries: it parses arguments, reads and
//! writes files, and turns errors into messages and exit codes. No detection logic lives here.
//!
//! Exit codes: 0 success; 1 usage, I/O or configuration error; 2 some input lines were rejected
//! (the others were processed); 3 `audit verify` found the log broken.

#![forbid(unsafe_code)]

mod audit;
mod bench;
mod config;
mod eval;
mod init;
mod interchange;
mod principal;
mod redact;
mod serve;
mod tenant;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: the server allocates per request on every worker
/// thread (see the workspace manifest).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "callvault",
    version,
    about = "PII redaction for AI call centers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make a data directory ready to serve: root key (a key file sealed by a passphrase, or a
    /// key inside a PKCS#11 token, kept outside the data directory), database, first tenant with
    /// admin and ingest tokens (printed once as JSON on stdout). Never overwrites a root key.
    ///
    /// The passphrase comes from `CALLVAULT_PASSPHRASE`, from `--passphrase-file`, or from a
    /// prompt on the terminal.
    Init(init::InitArgs),
    /// Serve the API from an initialized data directory (passphrase as for `init`).
    Serve {
        #[arg(long, default_value = "callvault-data")]
        data_dir: PathBuf,
        /// Configuration file [default: DATA_DIR/callvault.toml].
        #[arg(long)]
        config: Option<PathBuf>,
        /// Address to listen on (overrides the configuration and CALLVAULT_LISTEN).
        #[arg(long)]
        listen: Option<String>,
        /// Run `init` with its defaults first if the data directory is not initialized yet
        /// (the tokens are printed once, as `init` prints them).
        #[arg(long)]
        init: bool,
    },
    /// Redact personal data from text (stdin or a file).
    ///
    /// Text mode: every line is a turn of one conversation; PII becomes `[TYPE_n]` labels, the
    /// same value getting the same label. `--jsonl`: interchange format, one JSON object a line.
    Redact {
        /// Input file; standard input when absent or `-`.
        input: Option<PathBuf>,
        /// Read and write the JSONL interchange format.
        #[arg(long)]
        jsonl: bool,
    },
    /// Score a detector against gold spans (JSONL with `text` and `spans`).
    Eval {
        /// Gold file.
        gold: PathBuf,
        /// Predictions to score (our interchange output or any detector's); when absent,
        /// callvault's detector runs on the gold texts.
        #[arg(long)]
        pred: Option<PathBuf>,
        /// Gold labels to score, comma separated (default: the PII labels of the dev sets).
        #[arg(long, value_delimiter = ',')]
        labels: Option<Vec<String>>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Manage principals (people and services) of a tenant, as the operator.
    #[command(subcommand)]
    Principal(principal::PrincipalCommand),
    /// Add tenants to an initialized data directory, as the operator.
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// Check or export the tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Measure detection speed on a JSONL file (single thread, this build).
    Bench {
        input: PathBuf,
        /// Times to run over the file after one warm-up pass.
        #[arg(long, default_value_t = 3)]
        repeat: u32,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify a whole log offline with only its public key (and an exported checkpoint, to
    /// detect a rollback). Exits 0 when the log holds, 3 naming the first bad entry when not.
    Verify(audit::VerifyArgs),
    /// Write every entry, one per line, exactly as hashed (for `verify --log`).
    Export(audit::ExportArgs),
}

/// JSON logs on stderr; `RUST_LOG` filters (default `info`). Libraries only emit events.
fn install_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Requests log one event with plain fields (`callvault_server::log_request`), no span; an
    // event inside a span shows that span once (`span`), not again as a list: the JSON
    // formatter re-reads every listed span's fields per line.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_span_list(false)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Init(args) => init::run(&args),
        Command::Serve {
            data_dir,
            config,
            listen,
            init,
        } => {
            if init && config.is_none() && !data_dir.join(config::CONFIG_FILE).exists() {
                if let Err(e) = init::run(&init::InitArgs::defaults_for(&data_dir)) {
                    eprintln!("callvault: error: {e:#}");
                    return ExitCode::from(1);
                }
            }
            install_logging();
            config::Config::load(&data_dir, config.as_deref()).and_then(|mut config| {
                if let Some(listen) = listen {
                    config.listen = listen;
                }
                serve::run(config)
            })
        }
        Command::Principal(command) => principal::run(command),
        Command::Tenant(command) => tenant::run(command),
        Command::Audit(AuditCommand::Verify(args)) => audit::verify(&args),
        Command::Audit(AuditCommand::Export(args)) => audit::export(&args),
        Command::Redact { input, jsonl } => redact::run(input.as_deref(), jsonl),
        Command::Eval {
            gold,
            pred,
            labels,
            json,
        } => eval::run(&gold, pred.as_deref(), labels, json),
        Command::Bench {
            input,
            repeat,
            json,
        } => bench::run(&input, repeat, json),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("callvault: error: {e:#}");
            ExitCode::from(1)
        }
    }
}
