//! `callvault tenant add`: another tenant in an initialized data directory, as the operator:
//! its keys, an admin token and an ingest token, printed once as one JSON object on standard
//! output (as `init` does for the first tenant).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use callvault_core::Core;
use zeroize::Zeroizing;

use crate::config::Config;

#[derive(clap::Subcommand)]
pub enum TenantCommand {
    /// Add a tenant: its keys, an admin token and an ingest token (printed once, JSON).
    Add {
        #[arg(long, default_value = "callvault-data")]
        data_dir: PathBuf,
        /// The tenant's id: 1 to 64 letters, digits, '-' or '_'.
        #[arg(long)]
        tenant: String,
        /// A display name (default: the id).
        #[arg(long)]
        name: Option<String>,
    },
}

pub fn run(command: TenantCommand) -> Result<ExitCode> {
    let TenantCommand::Add {
        data_dir,
        tenant,
        name,
    } = command;
    crate::init::check_tenant(&tenant)?;
    let config = Config::load(&data_dir, None)?;
    let (store, vault) = crate::serve::open_parts(&config)?;
    let name = name.unwrap_or_else(|| tenant.clone());
    let tokens = Core::provision_tenant(store.as_ref(), &vault, &tenant, &name)
        .map_err(|e| anyhow::anyhow!("creating tenant {tenant:?}: {e}"))?;
    let out = Zeroizing::new(
        serde_json::json!({
            "tenant": tenant,
            "admin_token": tokens.admin_token.as_str(),
            "ingest_token": tokens.ingest_token.as_str(),
        })
        .to_string(),
    );
    println!("{}", out.as_str());
    eprintln!("tenant {tenant:?} created; its tokens are printed once, above");
    Ok(ExitCode::SUCCESS)
}
