//! Logins with password (Argon2id, OWASP parameters) and TOTP, release build, SQLite:
//!
//! 1. the latency of valid logins (distinct people, each from its own address, `CONCURRENT` at
//!    a time), alone;
//! 2. the same while one address floods the server with `FLOOD_RATE` wrong passwords per
//!    second (spread over the same accounts), and how many passwords the server hashed for
//!    the flood (the per-address limit should stop it before hashing).
//!
//! `cargo bench -p callvault-core --bench login` (env: `PEOPLE` default 200, `CONCURRENT` 4,
//! `FLOOD_RATE` 1000). Through `Core::login`, the same call the HTTP route makes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use callvault_core::people::SecondFactor;
use callvault_core::{AuditConfig, Core, CoreConfig};
use callvault_store::{Principal, PrincipalKind, SqliteStore, Store};
use callvault_vault::{KdfParams, KeyTable, PassphraseKeyFile, RootKeyStore, Vault, VaultConfig};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn operator() -> Principal {
    Principal {
        tenant: "acme".into(),
        id: "operator".into(),
        name: "operator".into(),
        role: "admin".into(),
        expires_at: None,
        session: "bench".into(),
        source: None,
        scopes: None,
        elevated_until: None,
        kind: PrincipalKind::Service,
        credential: [0; 32],
    }
}

struct Person {
    username: String,
    password: String,
    totp: totp_rs::Totp,
}

fn main() {
    let people_n = env("PEOPLE", 200) as usize;
    let concurrent = env("CONCURRENT", 4) as usize;
    let flood_rate = env("FLOOD_RATE", 1000);
    let dir = tempfile::tempdir().unwrap();
    let pass = secrecy::SecretString::from("login benchmark passphrase".to_owned());
    let fast = KdfParams {
        m_cost: 8192,
        t_cost: 1,
        p_cost: 1,
    };
    let root: Arc<dyn RootKeyStore> =
        Arc::new(PassphraseKeyFile::create(&dir.path().join("root.key"), &pass, fast).unwrap());
    let store = Arc::new(SqliteStore::open(&dir.path().join("db")).unwrap());
    let table: Arc<dyn KeyTable> = store.clone();
    let vault = Arc::new(Vault::new(root, table, VaultConfig::default()));
    Core::provision_tenant(store.as_ref(), &vault, "acme", "Acme").unwrap();
    let dyn_store: Arc<dyn Store> = store.clone();
    let core = Arc::new(
        Core::new(
            dyn_store,
            vault,
            CoreConfig::default(),
            AuditConfig::default(),
        )
        .unwrap(),
    );
    let started = Instant::now();
    let people: Vec<Person> = (0..people_n * 2)
        .map(|i| {
            let username = format!("person-{i}");
            let password = format!("a long passphrase number {i}");
            let e = core
                .add_person(&operator(), &username, "agent", Some(&password))
                .unwrap();
            Person {
                username,
                password,
                totp: totp_rs::Totp::from_url(&e.otpauth_uri).unwrap(),
            }
        })
        .collect();
    println!(
        "enrolled {} people in {:.1} s ({:.1} ms each: Argon2id m=19456 KiB, t=2, p=1)",
        people.len(),
        started.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64() * 1e3 / people.len() as f64
    );
    let people = Arc::new(people);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();

    let alone = runtime.block_on(valid_logins(&core, &people, 0, people_n, concurrent));
    report("valid logins, alone", &alone);

    let hashes_before = core.people().hashes_computed();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let (flooded, flood_secs) = runtime.block_on(async {
        let flood = {
            let (core, people, stop, sent, refused) = (
                Arc::clone(&core),
                Arc::clone(&people),
                Arc::clone(&stop),
                Arc::clone(&sent),
                Arc::clone(&refused),
            );
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / flood_rate));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                let mut i = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    tick.tick().await;
                    let (core, people, refused) =
                        (Arc::clone(&core), Arc::clone(&people), Arc::clone(&refused));
                    let target = &people[i % people.len()].username;
                    let target = target.clone();
                    tokio::spawn(async move {
                        let r = core
                            .login(
                                "acme",
                                &target,
                                "wrong password guess",
                                SecondFactor::Totp("123456".into()),
                                Some("203.0.113.66".into()),
                            )
                            .await;
                        if matches!(r, Err(callvault_core::CoreError::RateLimited(_))) {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                    });
                    sent.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            })
        };
        // Let the flood reach its rate, then measure.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let t = Instant::now();
        let lat = valid_logins(&core, &people, people_n, people_n, concurrent).await;
        let secs = t.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        let _ = flood.await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        (lat, secs)
    });
    report("valid logins, during the flood", &flooded);
    let hashes = core.people().hashes_computed() - hashes_before - people_n as u64;
    let sent = sent.load(Ordering::Relaxed);
    println!(
        "flood: {sent} wrong passwords sent from one address over {:.1} s ({:.0}/s); {} refused before hashing; passwords hashed for the flood: {hashes} (the per-address limit is {} a minute)",
        flood_secs + 0.7,
        sent as f64 / (flood_secs + 0.7),
        refused.load(Ordering::Relaxed),
        CoreConfig::default().login.per_source_per_minute,
    );
    core.shutdown();
}

async fn valid_logins(
    core: &Arc<Core>,
    people: &Arc<Vec<Person>>,
    from: usize,
    n: usize,
    concurrent: usize,
) -> Vec<Duration> {
    let next = Arc::new(AtomicU64::new(from as u64));
    let end = (from + n) as u64;
    let workers: Vec<_> = (0..concurrent)
        .map(|_| {
            let (core, people, next) = (Arc::clone(core), Arc::clone(people), Arc::clone(&next));
            tokio::spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= end {
                        return lat;
                    }
                    let p = &people[i as usize];
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_secs();
                    let code = p.totp.generate(now).to_string();
                    let t = Instant::now();
                    core.login(
                        "acme",
                        &p.username,
                        &p.password,
                        SecondFactor::Totp(code),
                        // One address per person: the per-address limit is for floods.
                        Some(format!("198.51.{}.{}", i / 256, i % 256)),
                    )
                    .await
                    .unwrap();
                    lat.push(t.elapsed());
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    all
}

fn report(what: &str, lat: &[Duration]) {
    let mut lat = lat.to_vec();
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    println!(
        "{what}: {} logins, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lat.len(),
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        lat.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    );
}
