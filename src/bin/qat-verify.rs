//! `qat-verify`: a checkpoint's offline permit verifier.
//!
//! `qat-verify sync BASE_URL --cache DIR [--root KEY]` fetches the trust list (verified against the pinned
//! root key) and every status list (verified against the trusted keys) into DIR, refusing any list older
//! than the one cached. `qat-verify check [PAYLOAD|-] --cache DIR [--now UNIX]` checks a scanned payload
//! with no network at all and prints one JSON line.
//!
//! Exit codes: 0 valid; 1 not valid (invalid, expired, not yet valid, revoked, unknown key); 2 usage or
//! unreadable cache; 3 stale cache (a list expired, is missing, or a sync offered an older one); 4 the
//! device clock is earlier than the cached lists were issued, so the verdict cannot be trusted.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::VerifyingKey;
use qinaotong::domain::permit::status_list::{MAX_LIST_BYTES, StatusListToken};
use qinaotong::domain::permit::trust::TrustList;
use qinaotong::domain::permit::{CLOCK_TOLERANCE_SECS, MAX_PAYLOAD_CHARS, Verdict, check};

const INVALID: u8 = 1;
const USAGE: u8 = 2;
const STALE: u8 = 3;
const CLOCK: u8 = 4;
/// Largest download accepted for one list, before any decoding.
const MAX_DOWNLOAD: usize = 2 * MAX_LIST_BYTES;
/// Status lists fetched at most, so a hostile server cannot keep a sync going forever.
const MAX_LISTS: i32 = 1000;

struct Failure(u8, String);

fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure(code, message.into())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let positional: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || !args[i - 1].starts_with("--")))
        .map(|(_, a)| a)
        .collect();
    let Some(cache) = flag("--cache").map(PathBuf::from) else {
        eprintln!("usage: qat-verify sync BASE_URL --cache DIR [--root KEY] | check [PAYLOAD|-] --cache DIR");
        return ExitCode::from(USAGE);
    };
    let result = match positional.first().map(|s| s.as_str()) {
        Some("sync") => match positional.get(1) {
            Some(base) => sync(base, &cache, flag("--root")),
            None => Err(fail(USAGE, "sync needs the server's base URL")),
        },
        Some("check") => {
            let now =
                flag("--now").and_then(|n| n.parse().ok()).unwrap_or_else(|| chrono::Utc::now().timestamp());
            read_payload(positional.get(1).map(|s| s.as_str())).and_then(|p| run_check(&p, &cache, now))
        }
        _ => Err(fail(USAGE, "the command is sync or check")),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Failure(code, message)) => {
            eprintln!("qat-verify: {message}");
            ExitCode::from(code)
        }
    }
}

fn read_payload(arg: Option<&str>) -> Result<String, Failure> {
    let raw = match arg {
        Some(p) if p != "-" => p.to_owned(),
        _ => {
            let mut buf = Vec::new();
            std::io::stdin()
                .take(MAX_PAYLOAD_CHARS as u64 + 1)
                .read_to_end(&mut buf)
                .map_err(|e| fail(USAGE, format!("stdin: {e}")))?;
            String::from_utf8_lossy(&buf).into_owned()
        }
    };
    Ok(raw.trim().to_owned())
}

fn root_key(cache: &Path, given: Option<String>) -> Result<VerifyingKey, Failure> {
    let pinned = std::fs::read_to_string(cache.join("root.key")).ok().map(|s| s.trim().to_owned());
    let text = match (pinned, given) {
        (Some(p), Some(g)) if p != g => return Err(fail(USAGE, "--root differs from the pinned root key")),
        (Some(p), _) => p,
        (None, Some(g)) => g,
        (None, None) => return Err(fail(USAGE, "no root key pinned: give --root on the first sync")),
    };
    let bytes: [u8; 32] = URL_SAFE_NO_PAD
        .decode(&text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| fail(USAGE, "the root key is not 32 bytes of base64url"))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| fail(USAGE, "the root key is not an Ed25519 key"))
}

fn cached_trust(cache: &Path, root: &VerifyingKey) -> Option<TrustList> {
    TrustList::verify(&std::fs::read(cache.join("trust.cose")).ok()?, root).ok()
}

fn save(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| fail(USAGE, format!("{}: {e}", path.display())))
}

fn sync(base: &str, cache: &Path, root_arg: Option<String>) -> Result<u8, Failure> {
    std::fs::create_dir_all(cache).map_err(|e| fail(USAGE, format!("{}: {e}", cache.display())))?;
    let root = root_key(cache, root_arg)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(USAGE, e.to_string()))?;
    let base = base.trim_end_matches('/');
    let client = reqwest::Client::new();
    let get = |url: String| {
        let client = client.clone();
        async move {
            let res = client.get(&url).send().await.map_err(|e| fail(STALE, format!("{url}: {e}")))?;
            let status = res.status().as_u16();
            let bytes = res.bytes().await.map_err(|e| fail(STALE, format!("{url}: {e}")))?;
            if bytes.len() > MAX_DOWNLOAD {
                return Err(fail(INVALID, format!("{url}: larger than {MAX_DOWNLOAD} bytes")));
            }
            Ok((status, bytes.to_vec()))
        }
    };
    rt.block_on(async {
        let (_, body) = get(format!("{base}/v1/permits/trust-list")).await?;
        let doc: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| fail(INVALID, "trust list is not JSON"))?;
        let signed = doc["signed"]
            .as_str()
            .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
            .ok_or_else(|| fail(INVALID, "trust list has no signed form"))?;
        let trust = TrustList::verify(&signed, &root).map_err(|e| fail(INVALID, e.0))?;
        if cached_trust(cache, &root).is_some_and(|old| trust.issued_at < old.issued_at) {
            return Err(fail(STALE, "refused a trust list older than the cached one"));
        }
        let mut lists = Vec::new();
        for n in 1..=MAX_LISTS {
            let (status, bytes) = get(format!("{base}/v1/sl/{n}")).await?;
            if status == 404 {
                break;
            }
            let list = StatusListToken::verify(&bytes, &trust.keys, MAX_LIST_BYTES)
                .map_err(|e| fail(INVALID, e.0))?;
            let path = cache.join(format!("sl-{n}.cose"));
            let old = std::fs::read(&path)
                .ok()
                .and_then(|b| StatusListToken::verify(&b, &trust.keys, MAX_LIST_BYTES).ok());
            if old.is_some_and(|o| list.issued_at < o.issued_at) {
                return Err(fail(STALE, format!("refused status list {n}: older than the cached one")));
            }
            lists.push((path, bytes));
        }
        save(&cache.join("root.key"), URL_SAFE_NO_PAD.encode(root.as_bytes()).as_bytes())?;
        save(&cache.join("trust.cose"), &signed)?;
        for (path, bytes) in &lists {
            save(path, bytes)?;
        }
        println!("{{\"trust_list_expires_at\":{},\"status_lists\":{}}}", trust.expires_at, lists.len());
        Ok(0)
    })
}

fn run_check(payload: &str, cache: &Path, now: i64) -> Result<u8, Failure> {
    let root = root_key(cache, None)?;
    let trust =
        cached_trust(cache, &root).ok_or_else(|| fail(USAGE, "no verified trust list cached: sync first"))?;
    let mut lists = HashMap::new();
    let entries = std::fs::read_dir(cache).map_err(|e| fail(USAGE, e.to_string()))?;
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with("sl-") {
            let bytes = std::fs::read(entry.path()).map_err(|e| fail(USAGE, e.to_string()))?;
            let list = StatusListToken::verify(&bytes, &trust.keys, MAX_LIST_BYTES)
                .map_err(|e| fail(USAGE, format!("{}: {}", entry.path().display(), e.0)))?;
            lists.insert(list.uri.clone(), list);
        }
    }
    let newest = lists.values().map(|l| l.issued_at).chain([trust.issued_at]).max().unwrap_or(0);
    if now + CLOCK_TOLERANCE_SECS < newest {
        return Err(fail(
            CLOCK,
            "the device clock is earlier than the cached lists were issued: set the clock",
        ));
    }
    if now > trust.expires_at {
        return Err(fail(STALE, "the cached trust list has expired: sync"));
    }
    let checked = check(payload, &trust.keys, now, |s| {
        lists.get(&s.uri).filter(|l| now <= l.expires_at).and_then(|l| l.list.is_revoked(s.idx))
    });
    let line = serde_json::json!({"result": checked.verdict.as_str(), "reason": checked.reason, "claims": checked.claims});
    println!("{line}");
    Ok(match checked.verdict {
        Verdict::Valid => 0,
        Verdict::StatusUnknown => {
            eprintln!("qat-verify: no current status list for this permit: sync");
            STALE
        }
        _ => INVALID,
    })
}
