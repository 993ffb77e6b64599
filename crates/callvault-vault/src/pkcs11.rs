//! The root key inside an HSM, through PKCS#11 (`cryptoki`), tested against SoftHSM2.
//!
//! The root key is an AES-256 key generated inside the token as sensitive and non-extractable:
//! its bytes never reach this process. Wrapping and unwrapping tenant keys is AES-GCM performed
//! by the token (`C_Encrypt`/`C_Decrypt` with the associated data). The token is found by its
//! label (slot numbers are not stable), the user PIN comes from the operator, and one PKCS#11
//! context is shared per module per process, since a module may be initialized only once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::keystore::RootKeyStore;
use crate::secret::{KeyMaterial, KEY_LEN};
use crate::VaultError;

/// Debian's SoftHSM2 module.
pub const SOFTHSM2_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// The label of callvault's root key object inside the token.
pub const DEFAULT_KEY_LABEL: &str = "callvault-root";

const WRAP_V1: u8 = 1;
const IV_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// How to reach the token.
pub struct Pkcs11Config {
    pub module: PathBuf,
    pub token_label: String,
    pub pin: SecretString,
    pub key_label: String,
}

impl std::fmt::Debug for Pkcs11Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Config")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("pin", &"<redacted>")
            .field("key_label", &self.key_label)
            .finish()
    }
}

/// A root key held by a PKCS#11 token.
pub struct Pkcs11KeyStore {
    token_label: String,
    session: Mutex<Session>,
    key: ObjectHandle,
}

impl Pkcs11KeyStore {
    /// Generates the root key inside the token. Refuses if a key with that label exists.
    pub fn create(config: &Pkcs11Config) -> Result<Pkcs11KeyStore, VaultError> {
        // Creating token objects is rare and SoftHSM2's file store fails (CKR_GENERAL_ERROR)
        // under concurrent creation, so creation is serialized within the process; the lookup
        // and the generation then also cannot race each other here.
        static CREATING: Mutex<()> = Mutex::new(());
        let _creating = CREATING.lock().map_err(|_| VaultError::Pkcs11 {
            operation: "generate root key",
            detail: "creation lock poisoned".into(),
        })?;
        let session = login(config)?;
        if find_key(&session, &config.key_label)?.is_some() {
            return Err(VaultError::TokenKeyExists {
                label: config.token_label.clone(),
                key_label: config.key_label.clone(),
            });
        }
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::ValueLen((KEY_LEN as u64).into()),
            Attribute::Label(config.key_label.as_bytes().to_vec()),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
        ];
        let key = session
            .generate_key(&Mechanism::AesKeyGen, &template)
            .map_err(|e| ck("generate root key", e))?;
        tracing::info!(token = %config.token_label, "root key generated in PKCS#11 token");
        Ok(Pkcs11KeyStore {
            token_label: config.token_label.clone(),
            session: Mutex::new(session),
            key,
        })
    }

    /// Opens the token and finds the root key.
    pub fn open(config: &Pkcs11Config) -> Result<Pkcs11KeyStore, VaultError> {
        let session = login(config)?;
        let key =
            find_key(&session, &config.key_label)?.ok_or_else(|| VaultError::TokenKeyMissing {
                label: config.token_label.clone(),
                key_label: config.key_label.clone(),
            })?;
        Ok(Pkcs11KeyStore {
            token_label: config.token_label.clone(),
            session: Mutex::new(session),
            key,
        })
    }

    /// Whether the token reports the root key as sensitive and never extractable.
    pub fn key_is_protected(&self) -> Result<bool, VaultError> {
        let session = self.lock()?;
        let attrs = session
            .get_attributes(
                self.key,
                &[
                    cryptoki::object::AttributeType::Sensitive,
                    cryptoki::object::AttributeType::Extractable,
                    cryptoki::object::AttributeType::NeverExtractable,
                ],
            )
            .map_err(|e| ck("read key attributes", e))?;
        let mut protected = attrs.len() == 3;
        for attr in attrs {
            protected &= match attr {
                Attribute::Sensitive(v) | Attribute::NeverExtractable(v) => v,
                Attribute::Extractable(v) => !v,
                _ => false,
            };
        }
        Ok(protected)
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Session>, VaultError> {
        self.session.lock().map_err(|_| VaultError::Pkcs11 {
            operation: "session",
            detail: "session lock poisoned".into(),
        })
    }
}

impl RootKeyStore for Pkcs11KeyStore {
    fn wrap(&self, key: &KeyMaterial, aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        let mut iv = [0u8; IV_LEN];
        aws_lc_rs::rand::fill(&mut iv).map_err(|_| VaultError::Crypto("random generator"))?;
        let session = self.lock()?;
        let params = GcmParams::new(&mut iv, aad, ((TAG_LEN * 8) as u64).into())
            .map_err(|e| ck("GCM parameters", e))?;
        let sealed = session
            .encrypt(&Mechanism::AesGcm(params), self.key, key.expose_secret())
            .map_err(|e| ck("wrap", e))?;
        let mut out = Vec::with_capacity(1 + IV_LEN + sealed.len());
        out.push(WRAP_V1);
        out.extend_from_slice(&iv);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<KeyMaterial, VaultError> {
        if wrapped.len() != 1 + IV_LEN + KEY_LEN + TAG_LEN || wrapped[0] != WRAP_V1 {
            return Err(VaultError::Open);
        }
        let mut iv = [0u8; IV_LEN];
        iv.copy_from_slice(&wrapped[1..1 + IV_LEN]);
        let session = self.lock()?;
        let params = GcmParams::new(&mut iv, aad, ((TAG_LEN * 8) as u64).into())
            .map_err(|_| VaultError::Open)?;
        let plain = Zeroizing::new(
            session
                .decrypt(&Mechanism::AesGcm(params), self.key, &wrapped[1 + IV_LEN..])
                .map_err(|e| match e {
                    // The tag did not verify: the uniform failure to open. SoftHSM2 reports a
                    // failed GCM tag as CKR_GENERAL_ERROR, other modules as
                    // CKR_ENCRYPTED_DATA_INVALID or CKR_FUNCTION_FAILED.
                    CkError::Pkcs11(
                        RvError::EncryptedDataInvalid
                        | RvError::EncryptedDataLenRange
                        | RvError::GeneralError
                        | RvError::FunctionFailed,
                        _,
                    ) => VaultError::Open,
                    // Anything else is the token's trouble (removed, logged out, session
                    // closed...): the operator must hear which.
                    other => ck("unwrap", other),
                })?,
        );
        KeyMaterial::from_slice(&plain).map_err(|_| VaultError::Open)
    }

    fn describe(&self) -> String {
        format!("PKCS#11 token {:?}", self.token_label)
    }
}

impl std::fmt::Debug for Pkcs11KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11KeyStore")
            .field("token_label", &self.token_label)
            .finish_non_exhaustive()
    }
}

/// Loads (once per process) and initializes the module, finds the token, logs in.
///
/// PKCS#11 login state belongs to the whole process: once one session is logged in, a second
/// `C_Login` answers "already logged in" whatever PIN it carries. So the first successful PIN
/// for a token is remembered as a salted digest, and a later login in the same process must
/// match it (in constant time) to succeed.
fn login(config: &Pkcs11Config) -> Result<Session, VaultError> {
    let context = context(&config.module)?;
    let slot = find_token(&context, config)?;
    let session = context
        .open_rw_session(slot)
        .map_err(|e| ck("open session", e))?;
    let pin = AuthPin::new(config.pin.expose_secret().into());
    let refused = |reason| VaultError::TokenLogin {
        label: config.token_label.clone(),
        reason,
    };
    let digest = pin_digest(
        &config.module,
        &config.token_label,
        config.pin.expose_secret(),
    );
    match session.login(UserType::User, Some(&pin)) {
        Ok(()) => {
            remember_pin(&config.module, &config.token_label, digest)?;
            Ok(session)
        }
        Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {
            if known_pin(&config.module, &config.token_label, &digest)? {
                Ok(session)
            } else {
                Err(refused("the PIN is incorrect"))
            }
        }
        Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => Err(refused("the PIN is incorrect")),
        Err(CkError::Pkcs11(RvError::PinLocked, _)) => Err(refused("the user PIN is locked")),
        Err(CkError::Pkcs11(RvError::UserPinNotInitialized, _)) => {
            Err(refused("the token has no user PIN set"))
        }
        Err(e) => Err(ck("login", e)),
    }
}

/// The process-wide PKCS#11 state: one initialized context per module, and the digest of the
/// PIN that logged each token in.
#[derive(Default)]
struct Registry {
    contexts: HashMap<PathBuf, Pkcs11>,
    pins: HashMap<(PathBuf, String), [u8; 32]>,
}

fn registry() -> Result<std::sync::MutexGuard<'static, Registry>, VaultError> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| Mutex::new(Registry::default()))
        .lock()
        .map_err(|_| VaultError::Pkcs11 {
            operation: "load module",
            detail: "PKCS#11 registry poisoned".into(),
        })
}

/// SHA-256 over a per-process random salt, the module, the token and the PIN.
fn pin_digest(module: &Path, token: &str, pin: &str) -> [u8; 32] {
    static SALT: OnceLock<[u8; 32]> = OnceLock::new();
    let salt = SALT.get_or_init(|| {
        let mut salt = [0u8; 32];
        // A failed generator leaves zeros: the digest is then unsalted, and still never stored.
        let _ = aws_lc_rs::rand::fill(&mut salt);
        salt
    });
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(salt);
    ctx.update(module.as_os_str().as_encoded_bytes());
    ctx.update(&[0]);
    ctx.update(token.as_bytes());
    ctx.update(&[0]);
    ctx.update(pin.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

fn remember_pin(module: &Path, token: &str, digest: [u8; 32]) -> Result<(), VaultError> {
    registry()?
        .pins
        .insert((module.to_owned(), token.to_owned()), digest);
    Ok(())
}

fn known_pin(module: &Path, token: &str, digest: &[u8; 32]) -> Result<bool, VaultError> {
    Ok(registry()?
        .pins
        .get(&(module.to_owned(), token.to_owned()))
        .is_some_and(|known| bool::from(subtle::ConstantTimeEq::ct_eq(&known[..], &digest[..]))))
}

fn context(module: &Path) -> Result<Pkcs11, VaultError> {
    let mut registry = registry()?;
    if let Some(context) = registry.contexts.get(module) {
        return Ok(context.clone());
    }
    let context = Pkcs11::new(module).map_err(|e| VaultError::Pkcs11 {
        operation: "load module",
        detail: format!("{}: {e}", module.display()),
    })?;
    match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(ck("initialize module", e)),
    }
    registry.contexts.insert(module.to_owned(), context.clone());
    Ok(context)
}

fn find_token(context: &Pkcs11, config: &Pkcs11Config) -> Result<Slot, VaultError> {
    for slot in context
        .get_slots_with_token()
        .map_err(|e| ck("list slots", e))?
    {
        let info = context
            .get_token_info(slot)
            .map_err(|e| ck("token info", e))?;
        if info.label().trim_end() == config.token_label {
            if info.user_pin_locked() {
                return Err(VaultError::TokenLogin {
                    label: config.token_label.clone(),
                    reason: "the user PIN is locked",
                });
            }
            return Ok(slot);
        }
    }
    Err(VaultError::TokenNotFound {
        label: config.token_label.clone(),
        module: config.module.clone(),
    })
}

fn find_key(session: &Session, key_label: &str) -> Result<Option<ObjectHandle>, VaultError> {
    let found = session
        .find_objects(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::Label(key_label.as_bytes().to_vec()),
        ])
        .map_err(|e| ck("find root key", e))?;
    match found.as_slice() {
        [] => Ok(None),
        [key] => Ok(Some(*key)),
        _ => Err(VaultError::Pkcs11 {
            operation: "find root key",
            detail: format!("{} keys share the label {key_label:?}", found.len()),
        }),
    }
}

/// PKCS#11 errors carry return codes and function names, never data.
fn ck(operation: &'static str, error: CkError) -> VaultError {
    VaultError::Pkcs11 {
        operation,
        detail: error.to_string(),
    }
}
