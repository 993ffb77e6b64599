//! Where the root key lives: the [`RootKeyStore`] trait and the passphrase-sealed key file.
//!
//! The root key never wraps customer data directly; it wraps tenant keys (and tenant index
//! secrets), which are few and unwrapped once per process. Two stores implement the trait:
//! [`PassphraseKeyFile`] here, and [`crate::pkcs11::Pkcs11KeyStore`], where the root key never
//! leaves the token. The key file format is documented byte by byte in `docs/format.md`.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::seal::AeadKey;
use crate::secret::{KeyMaterial, KEY_LEN};
use crate::VaultError;

/// A holder of the root key that can wrap and unwrap the keys one level down.
pub trait RootKeyStore: Send + Sync {
    /// Encrypts `key` under the root key, binding `aad`.
    fn wrap(&self, key: &KeyMaterial, aad: &[u8]) -> Result<Vec<u8>, VaultError>;
    /// Reverses [`RootKeyStore::wrap`]; any mismatch is [`VaultError::Open`].
    fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<KeyMaterial, VaultError>;
    /// A description for logs and errors ("key file /etc/...", "PKCS#11 token ..."): no secrets.
    fn describe(&self) -> String;
}

const MAGIC: &[u8; 4] = b"CVRK";
/// The key file format this build writes and reads.
pub const KEY_FILE_V1: u8 = 1;
const KDF_ARGON2ID_13: u8 = 1;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const HEADER_LEN: usize = 4 + 1 + 1 + 12 + SALT_LEN;
/// Total length of a version 1 key file.
pub const KEY_FILE_LEN: usize = HEADER_LEN + 1 + 4 + NONCE_LEN + KEY_LEN + 16;
/// Shortest passphrase `init` accepts.
pub const MIN_PASSPHRASE_LEN: usize = 12;

/// Argon2id costs, recorded in the key file so that opening needs nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl KdfParams {
    /// RFC 9106 section 4, second recommended option: 64 MiB, 3 passes, 4 lanes.
    pub const RECOMMENDED: KdfParams = KdfParams {
        m_cost: 64 * 1024,
        t_cost: 3,
        p_cost: 4,
    };

    /// Refuses costs that are too weak to protect a root key, or so large that a tampered file
    /// could exhaust the machine before authentication fails.
    fn check(self) -> Result<(), &'static str> {
        if self.m_cost < 8 * 1024 || self.t_cost < 1 || self.p_cost < 1 {
            return Err("Argon2id costs below the floor (8 MiB, 1 pass, 1 lane)");
        }
        if self.m_cost > 1024 * 1024 || self.t_cost > 64 || self.p_cost > 64 {
            return Err("Argon2id costs above the ceiling (1 GiB, 64 passes, 64 lanes)");
        }
        Ok(())
    }
}

/// The root key, sealed in a file by a key derived from a passphrase with Argon2id.
pub struct PassphraseKeyFile {
    path: PathBuf,
    root: AeadKey,
}

impl PassphraseKeyFile {
    /// Creates a new root key and writes it to `path`, sealed under `passphrase`. Never
    /// overwrites: an existing file is [`VaultError::KeyFileExists`].
    pub fn create(
        path: &Path,
        passphrase: &SecretString,
        params: KdfParams,
    ) -> Result<PassphraseKeyFile, VaultError> {
        if passphrase.expose_secret().chars().count() < MIN_PASSPHRASE_LEN {
            return Err(VaultError::WeakPassphrase("use at least 12 characters"));
        }
        params.check().map_err(VaultError::WeakPassphrase)?;
        let root = KeyMaterial::generate()?;
        let mut salt = [0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut salt).map_err(|_| VaultError::Crypto("random generator"))?;
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| VaultError::Crypto("random generator"))?;

        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.push(KEY_FILE_V1);
        header.push(KDF_ARGON2ID_13);
        for cost in [params.m_cost, params.t_cost, params.p_cost] {
            header.extend_from_slice(&cost.to_be_bytes());
        }
        header.extend_from_slice(&salt);

        let kek = derive_kek(passphrase, &salt, params)?;
        let sealed = kek.seal(0, &header, root.expose_secret())?;
        let mut file_bytes = header;
        file_bytes.extend_from_slice(&sealed);
        debug_assert_eq!(file_bytes.len(), KEY_FILE_LEN);

        write_new(path, &file_bytes)?;
        Ok(PassphraseKeyFile {
            path: path.to_owned(),
            root: AeadKey::new(&root)?,
        })
    }

    /// Opens the key file at `path` with `passphrase`.
    pub fn open(path: &Path, passphrase: &SecretString) -> Result<PassphraseKeyFile, VaultError> {
        let corrupt = |reason| VaultError::KeyFileCorrupt {
            path: path.to_owned(),
            reason,
        };
        let bytes = fs::read(path).map_err(|source| VaultError::KeyFileIo {
            path: path.to_owned(),
            source,
        })?;
        if bytes.len() < 5 || &bytes[..4] != MAGIC {
            return Err(corrupt(
                "it does not start with the callvault key file magic",
            ));
        }
        if bytes[4] != KEY_FILE_V1 {
            return Err(VaultError::KeyFileVersion {
                path: path.to_owned(),
                version: bytes[4],
            });
        }
        if bytes.len() != KEY_FILE_LEN {
            return Err(corrupt("it has the wrong length (truncated or extended)"));
        }
        if bytes[5] != KDF_ARGON2ID_13 {
            return Err(corrupt("it names an unknown key derivation function"));
        }
        let cost =
            |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let params = KdfParams {
            m_cost: cost(6),
            t_cost: cost(10),
            p_cost: cost(14),
        };
        params.check().map_err(corrupt)?;
        let (header, sealed) = bytes.split_at(HEADER_LEN);
        let salt = &header[HEADER_LEN - SALT_LEN..];
        let kek = derive_kek(passphrase, salt, params)?;
        // A wrong passphrase and a modified file are indistinguishable here: both fail the tag.
        let root =
            Zeroizing::new(
                kek.open(header, sealed)
                    .map_err(|_| VaultError::WrongPassphrase {
                        path: path.to_owned(),
                    })?,
            );
        let root = KeyMaterial::from_slice(&root)?;
        Ok(PassphraseKeyFile {
            path: path.to_owned(),
            root: AeadKey::new(&root)?,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl RootKeyStore for PassphraseKeyFile {
    fn wrap(&self, key: &KeyMaterial, aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        self.root.seal(0, aad, key.expose_secret())
    }

    fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<KeyMaterial, VaultError> {
        let bytes = Zeroizing::new(self.root.open(aad, wrapped)?);
        KeyMaterial::from_slice(&bytes).map_err(|_| VaultError::Open)
    }

    fn describe(&self) -> String {
        format!("passphrase key file {}", self.path.display())
    }
}

impl std::fmt::Debug for PassphraseKeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassphraseKeyFile")
            .field("path", &self.path)
            .field("root", &"<redacted>")
            .finish()
    }
}

fn derive_kek(
    passphrase: &SecretString,
    salt: &[u8],
    params: KdfParams,
) -> Result<AeadKey, VaultError> {
    let params = Params::new(params.m_cost, params.t_cost, params.p_cost, Some(KEY_LEN))
        .map_err(|_| VaultError::Invalid("Argon2id parameters"))?;
    let mut kek = Zeroizing::new([0u8; KEY_LEN]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.expose_secret().as_bytes(), salt, &mut kek[..])
        .map_err(|_| VaultError::Crypto("Argon2id"))?;
    AeadKey::new(&KeyMaterial::from_slice(&kek[..])?)
}

/// Writes a new file readable by its owner only; refuses to replace anything. On a failed write
/// the partial file is removed, so a later attempt starts clean.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let io = |source| VaultError::KeyFileIo {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir).map_err(io)?;
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            VaultError::KeyFileExists {
                path: path.to_owned(),
            }
        } else {
            io(source)
        }
    })?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(source) = written {
        drop(file);
        let _ = fs::remove_file(path);
        return Err(io(source));
    }
    // The new directory entry must be durable too, or a crash could lose the root key after
    // tenant keys wrapped by it were stored.
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The floor, so tests stay fast; production files use [`KdfParams::RECOMMENDED`].
    pub(crate) const FAST: KdfParams = KdfParams {
        m_cost: 8 * 1024,
        t_cost: 1,
        p_cost: 1,
    };

    fn pass(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn create_then_open_wraps_the_same_root() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/root.key");
        let created =
            PassphraseKeyFile::create(&path, &pass("correct horse battery"), FAST).unwrap();
        let key = KeyMaterial::generate().unwrap();
        let wrapped = created.wrap(&key, b"tenant").unwrap();
        let opened = PassphraseKeyFile::open(&path, &pass("correct horse battery")).unwrap();
        assert_eq!(opened.unwrap(&wrapped, b"tenant").unwrap(), key);
        assert!(matches!(
            opened.unwrap(&wrapped, b"other"),
            Err(VaultError::Open)
        ));
        assert_eq!(fs::read(&path).unwrap().len(), KEY_FILE_LEN);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn bad_inputs_get_specific_errors_and_nothing_is_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        PassphraseKeyFile::create(&path, &pass("correct horse battery"), FAST).unwrap();
        let original = fs::read(&path).unwrap();

        let again = PassphraseKeyFile::create(&path, &pass("another passphrase"), FAST);
        assert!(matches!(again, Err(VaultError::KeyFileExists { .. })));
        assert_eq!(fs::read(&path).unwrap(), original);

        let wrong = PassphraseKeyFile::open(&path, &pass("wrong horse battery"));
        assert!(matches!(wrong, Err(VaultError::WrongPassphrase { .. })));

        let weak = PassphraseKeyFile::create(&dir.path().join("weak.key"), &pass("short"), FAST);
        assert!(matches!(weak, Err(VaultError::WeakPassphrase(_))));
        assert!(!dir.path().join("weak.key").exists());

        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("truncated", original[..original.len() - 1].to_vec()),
            ("empty", Vec::new()),
            ("not ours", b"-----BEGIN PRIVATE KEY-----".to_vec()),
            ("future", {
                let mut b = original.clone();
                b[4] = 2;
                b
            }),
            ("huge costs", {
                let mut b = original.clone();
                b[6..10].copy_from_slice(&u32::MAX.to_be_bytes());
                b
            }),
            ("flipped salt", {
                let mut b = original.clone();
                b[20] ^= 1;
                b
            }),
        ];
        for (name, bytes) in cases {
            let p = dir.path().join(name);
            fs::write(&p, &bytes).unwrap();
            let err = PassphraseKeyFile::open(&p, &pass("correct horse battery")).unwrap_err();
            match name {
                "future" => assert!(matches!(err, VaultError::KeyFileVersion { version: 2, .. })),
                "flipped salt" => assert!(matches!(err, VaultError::WrongPassphrase { .. })),
                _ => assert!(
                    matches!(err, VaultError::KeyFileCorrupt { .. }),
                    "{name}: {err}"
                ),
            }
            assert_eq!(fs::read(&p).unwrap(), bytes, "{name} was modified");
        }
        let missing = PassphraseKeyFile::open(&dir.path().join("nope"), &pass("x"));
        assert!(matches!(missing, Err(VaultError::KeyFileIo { .. })));
    }
}
