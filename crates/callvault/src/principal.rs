//! `callvault principal add|list|disable|token`: managing principals from the command line, as
//! the operator (an admin of the named tenant). The same acts as the admin API, with the same
//! audit entries (principal `operator`). Secrets (passwords, TOTP enrolment, recovery codes,
//! tokens) are printed once, as one JSON object on standard output.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use callvault_core::{AuditConfig, Core, CoreConfig};
use callvault_store::{Principal, PrincipalKind};
use zeroize::Zeroizing;

use crate::config::Config;

#[derive(clap::Subcommand)]
pub enum PrincipalCommand {
    /// Add a person (password, TOTP enrolment and ten recovery codes are printed once) or a
    /// service (its token is printed once).
    Add {
        #[command(flatten)]
        at: Target,
        /// A person: logs in with a password and TOTP.
        #[arg(long, conflicts_with = "service")]
        person: bool,
        /// A service: uses tokens.
        #[arg(long)]
        service: bool,
        /// The username (people) or id (services; default: `ROLE-` and six random hex digits).
        #[arg(long, alias = "id")]
        username: Option<String>,
        /// ingest, agent, supervisor, auditor, security_officer or admin.
        #[arg(long)]
        role: String,
        /// A file holding the password (people; generated when absent).
        #[arg(long)]
        password_file: Option<PathBuf>,
        /// Scopes narrowing a service's role, comma separated.
        #[arg(long, value_delimiter = ',')]
        scopes: Option<Vec<String>>,
        /// A service token's lifetime in days.
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List the tenant's principals (JSON).
    List {
        #[command(flatten)]
        at: Target,
    },
    /// Disable a principal: its tokens and sessions stop working.
    Disable {
        #[command(flatten)]
        at: Target,
        #[arg(long)]
        id: String,
    },
    /// Issue another token for a service (printed once); `--rotate-grace-seconds` also makes the
    /// service's other tokens expire after that long (rotation without downtime).
    Token {
        #[command(flatten)]
        at: Target,
        #[arg(long)]
        id: String,
        #[arg(long)]
        rotate_grace_seconds: Option<u32>,
    },
}

#[derive(clap::Args)]
pub struct Target {
    #[arg(long, default_value = "callvault-data")]
    data_dir: PathBuf,
    #[arg(long, default_value = "default")]
    tenant: String,
}

pub fn run(command: PrincipalCommand) -> Result<ExitCode> {
    let at = match &command {
        PrincipalCommand::Add { at, .. }
        | PrincipalCommand::List { at }
        | PrincipalCommand::Disable { at, .. }
        | PrincipalCommand::Token { at, .. } => at,
    };
    let config = Config::load(&at.data_dir, None)?;
    let (store, vault) = crate::serve::open_parts(&config)?;
    if store.principals(&at.tenant)?.is_empty() {
        bail!(
            "no tenant {:?} in {} (`callvault tenant add` makes one)",
            at.tenant,
            at.data_dir.display()
        );
    }
    let core = Arc::new(
        Core::new(store, vault, CoreConfig::default(), AuditConfig::default())
            .context("opening the audit log")?,
    );
    let operator = Principal {
        tenant: at.tenant.clone(),
        id: "operator".into(),
        name: "operator".into(),
        role: "admin".into(),
        expires_at: None,
        session: "cli".into(),
        source: Some("cli".into()),
        scopes: None,
        elevated_until: None,
        kind: PrincipalKind::Service,
        credential: [0; 32],
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let out: serde_json::Value = match command {
        PrincipalCommand::Add {
            person,
            service,
            username,
            role,
            password_file,
            scopes,
            expires_in_days,
            ..
        } => {
            if person == service {
                bail!("give exactly one of --person and --service");
            }
            if person {
                let username = username.context("--username is required for a person")?;
                let password = match password_file {
                    Some(path) => Some(Zeroizing::new(
                        std::fs::read_to_string(&path)
                            .with_context(|| format!("reading {}", path.display()))?
                            .trim_end_matches(['\r', '\n'])
                            .to_owned(),
                    )),
                    None => None,
                };
                let enrolment = core
                    .add_person(
                        &operator,
                        &username,
                        &role,
                        password.as_deref().map(|p| p.as_str()),
                    )
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                serde_json::to_value(&enrolment)?
            } else {
                let id = match username {
                    Some(id) => id,
                    None => format!("{role}-{}", &random_suffix()?),
                };
                let expires_at = expires_in_days
                    .map(|d| callvault_core::app::now_ms() + i64::from(d) * 86_400_000);
                let issued = core
                    .issue_token(&operator, &id, &role, scopes, expires_at)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                serde_json::to_value(&issued)?
            }
        }
        PrincipalCommand::List { .. } => {
            let list = runtime
                .block_on(core.list_principals(&operator))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            serde_json::to_value(&list)?
        }
        PrincipalCommand::Disable { id, .. } => {
            runtime
                .block_on(core.disable_principal(&operator, &id))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            serde_json::json!({"id": id, "disabled": true})
        }
        PrincipalCommand::Token {
            id,
            rotate_grace_seconds,
            ..
        } => {
            let issued = match rotate_grace_seconds {
                Some(grace) => runtime.block_on(core.rotate_token(&operator, &id, grace)),
                None => runtime.block_on(async {
                    let role = core
                        .list_principals(&operator)
                        .await?
                        .into_iter()
                        .find(|p| p.id == id && p.kind == "service")
                        .map(|p| p.role)
                        .ok_or(callvault_core::CoreError::NotFound("service principal"))?;
                    core.create_token(&operator, &id, &role, None, None).await
                }),
            }
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            serde_json::to_value(&issued)?
        }
    };
    drop(runtime);
    core.shutdown();
    let text = Zeroizing::new(out.to_string());
    println!("{}", text.as_str());
    Ok(ExitCode::SUCCESS)
}

fn random_suffix() -> Result<String> {
    let mut raw = [0u8; 3];
    aws_lc_rs::rand::fill(&mut raw).map_err(|_| anyhow::anyhow!("no randomness"))?;
    Ok(raw.iter().map(|b| format!("{b:02x}")).collect())
}
