//! People: enrolment (password, TOTP, recovery codes), login, sessions, logout, break-glass.
//!
//! Passwords are checked against NIST SP 800-63B length rules (8 to 128 characters, no
//! composition rules, a short list of the most common ones refused) and kept as Argon2id PHC
//! strings with OWASP's parameters (19 MiB, 2 passes, 1 lane). The second factor is mandatory:
//! TOTP (RFC 6238, SHA-1, 6 digits, 30 s, one step of clock skew), each time step accepted once,
//! its secret wrapped by the root key; ten single-use recovery codes of 80 bits stand in for it,
//! stored as salted SHA-256 (80 random bits need no slow hash). A login is rate-limited per
//! source address and per account *before* any hashing, at most two hashes run at a time, an
//! unknown username costs the same hash as a known one, and 20 failures in a row lock the
//! account for 15 minutes (an alert). A session is an opaque token (`cvs_` + 256 random bits)
//! stored as SHA-256, with an idle and an absolute timeout, bound to the address it logged in
//! from, revocable. Every step is an audit entry. This module does not decide what a person may
//! do once logged in (`access`).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use callvault_audit::{Action, AuditRecord, Outcome};
use callvault_store::{AlertRow, PersonRow, Principal, PrincipalKind, SessionRow};
use callvault_vault::KeyMaterial;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::access::{self, Permission};
use crate::app::{blocking, now_ms, Core};
use crate::auth::token_hash;
use crate::CoreError;

/// Prefix of session tokens.
pub const SESSION_PREFIX: &str = "cvs_";

/// Login limits and session lifetimes.
#[derive(Clone, Debug)]
pub struct LoginConfig {
    /// Login attempts per account per minute (before any hashing).
    pub per_account_per_minute: u32,
    /// Login attempts per source address per minute (before any hashing).
    pub per_source_per_minute: u32,
    /// Consecutive failures that lock an account.
    pub lock_after: u32,
    pub lock_for: Duration,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    /// Password hashes computed at once (the rest wait).
    pub concurrent_hashes: usize,
    /// Argon2id memory in KiB, passes, lanes.
    pub argon2: (u32, u32, u32),
}

impl Default for LoginConfig {
    fn default() -> LoginConfig {
        LoginConfig {
            per_account_per_minute: 5,
            per_source_per_minute: 10,
            lock_after: 20,
            lock_for: Duration::from_secs(15 * 60),
            session_idle: Duration::from_secs(15 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            concurrent_hashes: 2,
            argon2: (19 * 1024, 2, 1),
        }
    }
}

/// What a new person receives, once.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Enrolment {
    pub tenant: String,
    pub username: String,
    pub role: String,
    pub password: String,
    pub otpauth_uri: String,
    /// The same URI as a QR code (SVG), for an authenticator app.
    pub qr_svg: String,
    pub recovery_codes: Vec<String>,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment")
            .field("username", &self.username)
            .field("secrets", &"<redacted>")
            .finish()
    }
}

/// The login state shared by requests.
pub struct People {
    accounts: DefaultKeyedRateLimiter<(String, String)>,
    sources: DefaultKeyedRateLimiter<String>,
    hashing: Arc<tokio::sync::Semaphore>,
    hasher: Argon2<'static>,
    /// Verified against when the username is unknown, so timing does not tell.
    dummy_hash: String,
    pub(crate) config: LoginConfig,
    /// Password hashes computed for logins (the flood benchmark reads it).
    verified: std::sync::atomic::AtomicU64,
}

impl People {
    pub fn new(config: LoginConfig) -> Result<People, CoreError> {
        let per = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        let (m, t, p) = config.argon2;
        let params = Params::new(m, t, p, None).map_err(|_| CoreError::Internal)?;
        let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy_hash = hash_with(&hasher, b"not a password anyone has")?;
        Ok(People {
            accounts: RateLimiter::keyed(per(config.per_account_per_minute)),
            sources: RateLimiter::keyed(per(config.per_source_per_minute)),
            hashing: Arc::new(tokio::sync::Semaphore::new(config.concurrent_hashes.max(1))),
            hasher,
            dummy_hash,
            config,
            verified: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// An Argon2id PHC string for `password`.
    pub fn hash_password(&self, password: &str) -> Result<String, CoreError> {
        hash_with(&self.hasher, password.as_bytes())
    }

    /// How many login passwords have been hashed so far.
    pub fn hashes_computed(&self) -> u64 {
        self.verified.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn verify(&self, password: &str, phc: &str) -> bool {
        self.verified
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        metrics::counter!("callvault_login_password_hashes_total").increment(1);
        let phc = if phc.is_empty() {
            &self.dummy_hash
        } else {
            phc
        };
        PasswordVerifier::<str>::verify_password(&self.hasher, password.as_bytes(), phc).is_ok()
    }
}

fn hash_with(hasher: &Argon2<'_>, password: &[u8]) -> Result<String, CoreError> {
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| CoreError::Internal)?;
    hasher
        .hash_password_with_salt(password, &salt)
        .map(|h| h.to_string())
        .map_err(|_| CoreError::Internal)
}

/// The most common passwords (NIST SP 800-63B asks for a blocklist; this is its short head).
const COMMON: &[&str] = &[
    "password",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "password1",
    "iloveyou",
    "11111111",
    "00000000",
    "abc12345",
    "qwerty123",
    "passw0rd",
    "letmein1",
    "welcome1",
    "callvault",
    "changeme",
    "administrator",
];

/// NIST SP 800-63B: length only (8 to 128 characters), not a common password, not the username.
pub fn check_password(password: &str, username: &str) -> Result<(), CoreError> {
    let n = password.chars().count();
    if !(8..=128).contains(&n) {
        return Err(CoreError::invalid(
            "weak_password",
            "passwords are 8 to 128 characters",
        ));
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) || lower == username.to_lowercase() {
        return Err(CoreError::invalid(
            "weak_password",
            "that password is too common or is the username",
        ));
    }
    if password.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "weak_password",
            "passwords have no control characters",
        ));
    }
    Ok(())
}

/// Usernames: 1 to 64 letters, digits, `.`, `_`, `-`.
pub fn check_principal_id(id: &str) -> Result<(), CoreError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "invalid_principal",
            "principal ids are 1 to 64 letters, digits, '.', '_' or '-'",
        ))
    }
}

const BASE32: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// `n` random characters from a 32-symbol alphabet (5 bits each).
fn random_text(n: usize) -> Result<Zeroizing<String>, CoreError> {
    let mut raw = Zeroizing::new(vec![0u8; n]);
    aws_lc_rs::rand::fill(&mut raw).map_err(|_| CoreError::Internal)?;
    Ok(Zeroizing::new(
        raw.iter()
            .map(|b| BASE32[usize::from(b & 31)] as char)
            .collect(),
    ))
}

/// A recovery code's stored form: SHA-256 over a domain tag, the tenant, the username and the
/// code without separators.
pub fn recovery_hash(tenant: &str, username: &str, code: &str) -> [u8; 32] {
    let normalized: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(b"callvault/recovery-code/v1\0");
    ctx.update(tenant.as_bytes());
    ctx.update(b"\0");
    ctx.update(username.as_bytes());
    ctx.update(b"\0");
    ctx.update(normalized.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

fn totp_aad(tenant: &str, username: &str) -> Vec<u8> {
    let mut aad = b"callvault/totp-secret/v1\0".to_vec();
    aad.extend_from_slice(tenant.as_bytes());
    aad.push(0);
    aad.extend_from_slice(username.as_bytes());
    aad
}

/// The TOTP generator for a secret (RFC 6238: SHA-1, 6 digits, 30 s steps, one step of skew).
pub fn totp(secret: &[u8], tenant: &str, username: &str) -> Result<totp_rs::Totp, CoreError> {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret.to_vec())
        .with_issuer(Some(format!("callvault {tenant}")))
        .with_account_name(username.to_owned())
        .build()
        .map_err(|_| CoreError::invalid("invalid_principal", "cannot make a TOTP for that name"))
}

impl Core {
    /// Enrols a person (blocking: hashing). `actor` is the admin (or the operator at the CLI).
    pub fn add_person(
        &self,
        actor: &Principal,
        username: &str,
        role: &str,
        password: Option<&str>,
    ) -> Result<Enrolment, CoreError> {
        access::require(actor, Permission::ManagePrincipals, now_ms())?;
        check_principal_id(username)?;
        access::role_permissions(role).ok_or(CoreError::invalid("unknown_role", "unknown role"))?;
        let password = match password {
            Some(p) => Zeroizing::new(p.to_owned()),
            None => random_text(20)?,
        };
        check_password(&password, username)?;
        let tenant = actor.tenant.clone();
        let secret = KeyMaterial::generate()?;
        let generator = totp(secret.expose_secret(), &tenant, username)?;
        let otpauth_uri = generator.to_url().map_err(|_| CoreError::Internal)?;
        let qr_svg = qrcode::QrCode::new(otpauth_uri.as_bytes())
            .map_err(|_| CoreError::Internal)?
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build();
        let mut codes = Vec::with_capacity(10);
        let mut hashes = Vec::with_capacity(10);
        for _ in 0..10 {
            let raw = random_text(16)?;
            let code = format!(
                "{}-{}-{}-{}",
                &raw[0..4],
                &raw[4..8],
                &raw[8..12],
                &raw[12..16]
            );
            hashes.push(recovery_hash(&tenant, username, &code));
            codes.push(code);
        }
        let row = PersonRow {
            tenant: tenant.clone(),
            id: username.to_owned(),
            name: username.to_owned(),
            role: role.to_owned(),
            password_hash: self.people().hash_password(&password)?,
            totp_sealed: self
                .vault()
                .wrap_with_root(&secret, &totp_aad(&tenant, username))?,
            totp_last_step: 0,
            failed_logins: 0,
            locked_until: None,
            disabled: false,
        };
        let mut record = self.record(actor, Action::PersonEnrol);
        record.resources.principals.push(username.to_owned());
        record.detail = Some(format!("role={role}"));
        if !self.store().create_person(&row, &hashes, &record)? {
            return Err(CoreError::invalid(
                "principal_exists",
                "a principal with that id exists",
            ));
        }
        Ok(Enrolment {
            tenant,
            username: username.to_owned(),
            role: role.to_owned(),
            password: password.to_string(),
            otpauth_uri,
            qr_svg,
            recovery_codes: codes,
        })
    }

    /// A login with password and TOTP code (or a recovery code): a session token, shown once.
    pub async fn login(
        &self,
        tenant: &str,
        username: &str,
        password: &str,
        second_factor: SecondFactor,
        source: Option<String>,
    ) -> Result<Zeroizing<String>, CoreError> {
        // What a caller typed is recorded bounded: the log is permanent.
        let bounded = |s: &str| s.chars().take(64).collect::<String>();
        let mut record = AuditRecord::new(&bounded(tenant), &bounded(username), Action::Login);
        record.source = source.clone();
        record.resources.principals.push(bounded(username));
        let people = self.people();
        // Limits first: a flood costs a counter, not a hash.
        let source_key = source.clone().unwrap_or_else(|| "unknown".into());
        let limited = if people.sources.check_key(&source_key).is_err() {
            Some("rate limited (source)")
        } else if people
            .accounts
            .check_key(&(tenant.to_owned(), username.to_owned()))
            .is_err()
        {
            Some("rate limited (account)")
        } else if password.len() > 1024 || username.len() > 64 || tenant.len() > 64 {
            Some("malformed")
        } else {
            None
        };
        if let Some(why) = limited {
            record.outcome = Outcome::Denied;
            record.detail = Some(why.into());
            self.append_audit(record).await?;
            return Err(if why == "malformed" {
                CoreError::Unauthenticated
            } else {
                CoreError::RateLimited(60)
            });
        }
        let permit = Arc::clone(&people.hashing)
            .acquire_owned()
            .await
            .map_err(|_| CoreError::Unavailable)?;
        let (store, vault) = (Arc::clone(self.store()), Arc::clone(self.vault()));
        let (tenant_s, user_s) = (tenant.to_owned(), username.to_owned());
        let password = Zeroizing::new(password.to_owned());
        let people_ref = self.people_arc();
        let checked = blocking(move || -> Result<Checked, CoreError> {
            let _permit = permit;
            let person = store.person(&tenant_s, &user_s)?;
            let hash = person.as_ref().map_or("", |p| p.password_hash.as_str());
            let password_ok = people_ref.verify(&password, hash);
            let Some(person) = person.filter(|_| password_ok) else {
                return Ok(Checked::Failed("wrong username or password"));
            };
            let now = now_ms();
            if person.disabled {
                return Ok(Checked::Failed("disabled"));
            }
            if person.locked_until.is_some_and(|t| t > now) {
                return Ok(Checked::Failed("locked"));
            }
            match second_factor {
                SecondFactor::Totp(code) => {
                    let secret = vault
                        .unwrap_with_root(&person.totp_sealed, &totp_aad(&tenant_s, &user_s))?;
                    let generator = totp(secret.expose_secret(), &tenant_s, &user_s)?;
                    match generator.check(code.trim(), (now / 1000) as u64) {
                        Some(step) => Ok(Checked::Totp(step as i64)),
                        None => Ok(Checked::Failed("wrong TOTP code")),
                    }
                }
                SecondFactor::Recovery(code) => {
                    Ok(Checked::Recovery(recovery_hash(&tenant_s, &user_s, &code)))
                }
            }
        })
        .await??;
        let now = now_ms();
        let (step, recovery) = match checked {
            Checked::Failed(why) => return self.login_failure(record, why).await,
            Checked::Totp(step) => (Some(step), None),
            Checked::Recovery(hash) => (None, Some(hash)),
        };
        let (token, hash) = new_session_token()?;
        let config = &self.people().config;
        let session = SessionRow {
            token_hash: hash,
            tenant: tenant.to_owned(),
            principal: username.to_owned(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + config.session_absolute.as_millis() as i64,
            idle_ms: config.session_idle.as_millis() as i64,
            source,
            elevated_until: None,
        };
        record.session = Some(callvault_store::model::session_public_id(&hash));
        record.detail = Some(if recovery.is_some() {
            "recovery code".into()
        } else {
            "password+totp".into()
        });
        let store = Arc::clone(self.store());
        let ok_record = record.clone();
        let accepted =
            blocking(move || store.login_succeeded(&session, step, recovery.as_ref(), &ok_record))
                .await??;
        if !accepted {
            let why = if recovery.is_some() {
                "recovery code unknown or used"
            } else {
                "TOTP code already used"
            };
            return self.login_failure(record, why).await;
        }
        Ok(token)
    }

    async fn login_failure<T>(&self, mut record: AuditRecord, why: &str) -> Result<T, CoreError> {
        record.outcome = Outcome::Denied;
        record.detail = Some(why.into());
        let config = &self.people().config;
        let (lock_after, lock_until) = (
            config.lock_after,
            now_ms() + config.lock_for.as_millis() as i64,
        );
        let (store, tenant, user) = (
            Arc::clone(self.store()),
            record.tenant.clone(),
            record.principal.clone(),
        );
        let failed_record = record.clone();
        let count = blocking(move || {
            store.login_failed(&tenant, &user, lock_after, lock_until, &failed_record)
        })
        .await??;
        if count == lock_after {
            let mut lock = record.clone();
            lock.action = Action::Lockout;
            lock.detail = Some(format!("{count} failed logins in a row"));
            let alert = AlertRow {
                tenant: record.tenant.clone(),
                id: 0,
                kind: "lockout".into(),
                principal: record.principal.clone(),
                detail: format!("locked after {count} failed logins"),
                created_at: now_ms(),
            };
            let store = Arc::clone(self.store());
            blocking(move || store.create_alert(&alert, &lock)).await??;
        }
        Err(CoreError::Unauthenticated)
    }

    /// Ends the caller's session.
    pub async fn logout(&self, p: &Principal) -> Result<(), CoreError> {
        if p.kind != PrincipalKind::Person {
            return Err(CoreError::invalid(
                "not_a_session",
                "service tokens are revoked, not logged out",
            ));
        }
        let record = self.record(p, Action::Logout);
        let (store, hash) = (Arc::clone(self.store()), p.credential);
        blocking(move || store.revoke_session(&hash, now_ms(), &record)).await??;
        Ok(())
    }

    /// Break-glass: for `minutes` (1 to 60), the caller's session may reveal every kept type.
    /// Only people whose role may reveal at all; the reason is recorded (redacted) and an alert
    /// is raised for security officers.
    pub async fn break_glass(
        &self,
        p: &Principal,
        reason: &str,
        minutes: u32,
    ) -> Result<i64, CoreError> {
        let allowed = p.kind == PrincipalKind::Person
            && access::role_permissions(&p.role)
                .is_some_and(|set| set.contains(&Permission::RevealContact));
        if !allowed {
            let mut r = self.record(p, Action::BreakGlass);
            r.outcome = Outcome::Denied;
            self.append_audit(r).await?;
            return Err(CoreError::Forbidden(
                "break-glass is for people whose role may reveal",
            ));
        }
        if !(1..=60).contains(&minutes) {
            return Err(CoreError::invalid(
                "invalid_minutes",
                "minutes must be 1 to 60",
            ));
        }
        let n = reason.chars().count();
        if !(10..=500).contains(&n) || reason.chars().any(char::is_control) {
            return Err(CoreError::invalid(
                "invalid_reason",
                "the reason must be 10 to 500 characters without control characters",
            ));
        }
        let until = now_ms() + i64::from(minutes) * 60_000;
        let mut record = self.record(p, Action::BreakGlass);
        record.reason = Some(crate::reveal::redact_reason(reason));
        record.detail = Some(format!("minutes={minutes}"));
        let alert = AlertRow {
            tenant: p.tenant.clone(),
            id: 0,
            kind: "break_glass".into(),
            principal: p.id.clone(),
            detail: format!("break-glass for {minutes} minutes"),
            created_at: now_ms(),
        };
        let mut announced = record.clone();
        announced.action = Action::AlertRaised;
        let (store, hash) = (Arc::clone(self.store()), p.credential);
        blocking(move || -> Result<(), CoreError> {
            if !store.elevate_session(&hash, until, &record)? {
                return Err(CoreError::Unauthenticated);
            }
            store.create_alert(&alert, &announced)?;
            Ok(())
        })
        .await??;
        Ok(until)
    }
}

/// The second factor of a login.
pub enum SecondFactor {
    Totp(String),
    Recovery(String),
}

enum Checked {
    Failed(&'static str),
    Totp(i64),
    Recovery([u8; 32]),
}

/// A new session token and its hash.
fn new_session_token() -> Result<(Zeroizing<String>, [u8; 32]), CoreError> {
    let mut raw = Zeroizing::new([0u8; 32]);
    aws_lc_rs::rand::fill(&mut raw[..]).map_err(|_| CoreError::Internal)?;
    let mut token = Zeroizing::new(String::with_capacity(SESSION_PREFIX.len() + 64));
    token.push_str(SESSION_PREFIX);
    for b in raw.iter() {
        token.push_str(&format!("{b:02x}"));
    }
    let hash = token_hash(&token);
    Ok((token, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rules_are_length_not_composition() {
        assert!(check_password("short", "u").is_err());
        assert!(check_password("password", "u").is_err());
        assert!(check_password("ana.lopez", "ana.lopez").is_err());
        assert!(check_password("correct horse battery", "u").is_ok());
        assert!(
            check_password("alllowercaseletters", "u").is_ok(),
            "no composition rule"
        );
        assert!(check_password(&"x".repeat(129), "u").is_err());
        assert!(check_password("ünïcödé-pässwörd", "u").is_ok());
    }

    #[test]
    fn argon2id_hashes_verify_and_carry_owasp_parameters() {
        let people = People::new(LoginConfig::default()).unwrap();
        let h = people.hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(people.verify("correct horse battery", &h));
        assert!(!people.verify("correct horse batterY", &h));
        assert!(
            !people.verify("anything", ""),
            "unknown users verify against the dummy"
        );
    }

    #[test]
    fn recovery_codes_are_normalized_and_bound_to_their_owner() {
        let a = recovery_hash("t", "ana", "ABCD-EFGH-JKLM-NPQR");
        assert_eq!(a, recovery_hash("t", "ana", "abcd efgh jklm npqr"));
        assert_ne!(a, recovery_hash("t", "bob", "ABCD-EFGH-JKLM-NPQR"));
        assert_ne!(a, recovery_hash("u", "ana", "ABCD-EFGH-JKLM-NPQR"));
    }
}
