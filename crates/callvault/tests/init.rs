//! `callvault init` as an operator runs it: a passphrase key file, and a root key inside a real
//! SoftHSM2 token. Every run's output is scanned for the passphrase and the PIN; stdout is one
//! JSON object with the tenant and the tokens.

use std::path::Path;
use std::process::{Command as StdCommand, Output};

use assert_cmd::Command;
use callvault_vault::PassphraseKeyFile;
use secrecy::SecretString;

const PASSPHRASE: &str = "a long and winding road";

fn callvault() -> Command {
    let mut cmd = Command::cargo_bin("callvault").unwrap();
    cmd.env_remove("CALLVAULT_PASSPHRASE")
        .env_remove("CALLVAULT_PKCS11_PIN")
        .env_remove("CALLVAULT_KEY_FILE");
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn init_file(data: &Path, path: &Path, passphrase: &str) -> Output {
    callvault()
        .args([
            "init",
            "--kdf-memory-mib",
            "8",
            "--kdf-passes",
            "1",
            "--data-dir",
        ])
        .arg(data)
        .arg("--key-file")
        .arg(path)
        .env("CALLVAULT_PASSPHRASE", passphrase)
        .output()
        .unwrap()
}

#[test]
fn init_creates_a_data_dir_and_a_key_file_and_never_overwrites_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conf/root.key");
    let data = dir.path().join("data");
    let out = init_file(&data, &path, PASSPHRASE);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("created root key file"));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["tenant"], "default");
    for token in ["admin_token", "ingest_token"] {
        assert!(json[token].as_str().unwrap().starts_with("cvt_"), "{json}");
    }
    assert!(data.join("callvault.db").exists() && data.join("callvault.toml").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&data).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o700,
            "the data directory is the owner's only"
        );
    }
    let original = std::fs::read(&path).unwrap();
    PassphraseKeyFile::open(&path, &SecretString::from(PASSPHRASE.to_owned())).unwrap();

    // The same data directory again: refused, nothing touched.
    let again = init_file(&data, &path, "another long passphrase");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again).contains("refusing to overwrite"),
        "{}",
        text(&again)
    );
    // Another data directory with the existing key file: refused unless asked to reuse it.
    let other = init_file(&dir.path().join("data2"), &path, PASSPHRASE);
    assert_eq!(other.status.code(), Some(1));
    assert!(
        text(&other).contains("refusing to overwrite"),
        "{}",
        text(&other)
    );
    assert_eq!(std::fs::read(&path).unwrap(), original);
    // The key file may not live inside the data directory.
    let inside = init_file(
        &dir.path().join("data3"),
        &dir.path().join("data3/root.key"),
        PASSPHRASE,
    );
    assert_eq!(inside.status.code(), Some(1));
    assert!(
        text(&inside).contains("outside the data directory"),
        "{}",
        text(&inside)
    );

    for out in [&out, &again, &other, &inside] {
        assert!(!text(out).contains(PASSPHRASE));
    }
}

#[test]
fn init_refuses_weak_or_missing_passphrases_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("root.key");
    let data = dir.path().join("data");
    let weak = init_file(&data, &path, "short");
    assert_eq!(weak.status.code(), Some(1));
    assert!(
        text(&weak).contains("passphrase rejected"),
        "{}",
        text(&weak)
    );
    assert!(!path.exists() && !data.exists());

    // No passphrase anywhere and no terminal: a clear message, not a hang.
    let none = callvault()
        .args(["init", "--data-dir"])
        .arg(&data)
        .arg("--key-file")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(1));
    assert!(
        text(&none).contains("CALLVAULT_PASSPHRASE"),
        "{}",
        text(&none)
    );
    assert!(!path.exists());

    // From a file: the first line is the passphrase.
    let secret = dir.path().join("pass.txt");
    std::fs::write(&secret, format!("{PASSPHRASE}\n")).unwrap();
    let from_file = callvault()
        .args([
            "init",
            "--kdf-memory-mib",
            "8",
            "--kdf-passes",
            "1",
            "--passphrase-file",
        ])
        .arg(&secret)
        .arg("--data-dir")
        .arg(&data)
        .arg("--key-file")
        .arg(&path)
        .output()
        .unwrap();
    assert!(from_file.status.success(), "{}", text(&from_file));
    PassphraseKeyFile::open(&path, &SecretString::from(PASSPHRASE.to_owned())).unwrap();
}

#[test]
fn init_in_a_softhsm2_token() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tokens")).unwrap();
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\n",
            dir.path().join("tokens").display()
        ),
    )
    .unwrap();
    let pin = "95141413";
    let made = StdCommand::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            "cli-token",
            "--so-pin",
            "11223344",
            "--pin",
            pin,
        ])
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .expect("softhsm2-util not found: install Debian's softhsm2 (.ci/run does)");
    assert!(made.status.success());
    let runs = std::cell::Cell::new(0);
    let run = |token: &str, pin: &str, extra: &[&str]| {
        runs.set(runs.get() + 1);
        callvault()
            .args(["init", "--pkcs11-token", token, "--data-dir"])
            .arg(dir.path().join(format!("data-{}", runs.get())))
            .args(extra)
            .env("SOFTHSM2_CONF", &conf)
            .env("CALLVAULT_PKCS11_PIN", pin)
            .output()
            .unwrap()
    };
    let first = run("cli-token", pin, &[]);
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains("non-extractable: true"),
        "{}",
        text(&first)
    );
    let second = run("cli-token", pin, &[]);
    assert_eq!(second.status.code(), Some(1));
    assert!(
        text(&second).contains("already holds a key"),
        "{}",
        text(&second)
    );
    let reuse = run("cli-token", pin, &["--use-existing-key"]);
    assert!(reuse.status.success(), "{}", text(&reuse));
    let wrong = run("cli-token", "00000000", &[]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(text(&wrong).contains("refused login"), "{}", text(&wrong));
    let missing = run("no-such-token", pin, &[]);
    assert!(
        text(&missing).contains("no PKCS#11 token labelled"),
        "{}",
        text(&missing)
    );
    for out in [&first, &second, &reuse, &wrong, &missing] {
        assert!(!text(out).contains(pin));
    }
}
