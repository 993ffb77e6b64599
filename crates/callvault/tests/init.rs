//! `callvault init` as an operator runs it: a passphrase key file, and a root key inside a real
//! SoftHSM2 token. Every run's output is scanned for the passphrase and the PIN.

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

fn init_file(path: &Path, passphrase: &str) -> Output {
    callvault()
        .args([
            "init",
            "--kdf-memory-mib",
            "8",
            "--kdf-passes",
            "1",
            "--key-file",
        ])
        .arg(path)
        .env("CALLVAULT_PASSPHRASE", passphrase)
        .output()
        .unwrap()
}

#[test]
fn init_creates_a_key_file_and_never_overwrites_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conf/root.key");
    let out = init_file(&path, PASSPHRASE);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("created root key file"));
    let original = std::fs::read(&path).unwrap();
    PassphraseKeyFile::open(&path, &SecretString::from(PASSPHRASE.to_owned())).unwrap();

    let again = init_file(&path, "another long passphrase");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again).contains("refusing to overwrite"),
        "{}",
        text(&again)
    );
    assert_eq!(std::fs::read(&path).unwrap(), original);

    for out in [&out, &again] {
        assert!(!text(out).contains(PASSPHRASE));
    }
}

#[test]
fn init_refuses_weak_or_missing_passphrases_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("root.key");
    let weak = init_file(&path, "short");
    assert_eq!(weak.status.code(), Some(1));
    assert!(
        text(&weak).contains("passphrase rejected"),
        "{}",
        text(&weak)
    );
    assert!(!text(&weak).contains("short\n"));
    assert!(!path.exists());

    // No passphrase anywhere and no terminal: a clear message, not a hang.
    let none = callvault()
        .args(["init", "--key-file"])
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
    let run = |pin: &str| {
        callvault()
            .args(["init", "--pkcs11-token", "cli-token"])
            .env("SOFTHSM2_CONF", &conf)
            .env("CALLVAULT_PKCS11_PIN", pin)
            .output()
            .unwrap()
    };
    let first = run(pin);
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains("non-extractable: true"),
        "{}",
        text(&first)
    );
    let second = run(pin);
    assert_eq!(second.status.code(), Some(1));
    assert!(
        text(&second).contains("already holds a key"),
        "{}",
        text(&second)
    );
    let wrong = run("00000000");
    assert_eq!(wrong.status.code(), Some(1));
    assert!(text(&wrong).contains("refused login"), "{}", text(&wrong));
    let missing = callvault()
        .args(["init", "--pkcs11-token", "no-such-token"])
        .env("SOFTHSM2_CONF", &conf)
        .env("CALLVAULT_PKCS11_PIN", pin)
        .output()
        .unwrap();
    assert!(
        text(&missing).contains("no PKCS#11 token labelled"),
        "{}",
        text(&missing)
    );
    for out in [&first, &second, &wrong, &missing] {
        assert!(!text(out).contains(pin));
    }
}
