//! The credential's failure modes, each from a lesson of earlier offline-verified certificates.

use coset::iana;
use coset::{CoseSign1Builder, HeaderBuilder, TaggedCborSerializable};
use ed25519_dalek::{Signer as _, SigningKey};

use super::claims::*;
use super::status_list::{LIST_SIZE, MAX_LIST_BYTES, StatusList, StatusListToken};
use super::trust::TrustList;
use super::*;

const NOW: i64 = 1_800_000_000;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn trusted(signer: &Signer) -> TrustedKey {
    TrustedKey {
        kid: signer.kid.clone(),
        public: signer.public(),
        signs_from: NOW - 1000,
        signs_until: NOW + 1000,
    }
}

fn claims() -> PermitClaims {
    PermitClaims {
        issuer: "QAT".into(),
        issued_at: NOW,
        not_before: NOW,
        expires_at: NOW + 86_400,
        token_id: vec![7; TOKEN_ID_BYTES],
        status: StatusRef { idx: 4242, uri: "http://127.0.0.1:8080/v1/sl/1".into() },
        permit: PermitBody {
            kind: "vehicle".into(),
            number: "HQ-2026-000123".into(),
            department: "hq-entry-exit".into(),
            surname: "CHAN".into(),
            initials: "TM".into(),
            travel_permit_tail: Some("5678".into()),
            fields: vec![("plate_number".into(), "MV-12-34".into())],
        },
    }
}

fn issue(signer: &Signer, c: &PermitClaims) -> String {
    encode_qr(&signer.sign(c.to_cbor(), None))
}

fn verdict_at(qr: &str, keys: &[TrustedKey], now: i64) -> Checked {
    check(qr, keys, now, |_| Some(false))
}

#[test]
fn a_signed_permit_verifies_with_its_claims() {
    let s = Signer::new(key(1));
    let qr = issue(&s, &claims());
    assert!(qr.starts_with("QAT1:"));
    let got = verdict_at(&qr, &[trusted(&s)], NOW);
    assert_eq!((got.verdict, got.claims), (Verdict::Valid, Some(claims())));
}

#[test]
fn any_flipped_byte_fails() {
    let s = Signer::new(key(1));
    let cose = s.sign(claims().to_cbor(), None);
    for i in 0..cose.len() {
        let mut bad = cose.clone();
        bad[i] ^= 0x01;
        let got = verdict_at(&encode_qr(&bad), &[trusted(&s)], NOW);
        assert!(matches!(got.verdict, Verdict::Invalid | Verdict::UnknownKey), "byte {i}: {got:?}");
        assert!(got.claims.is_none(), "byte {i}");
    }
}

fn signed_with(
    protected: coset::Header,
    unprotected: coset::Header,
    k: &SigningKey,
    payload: Vec<u8>,
) -> String {
    let sign1 = CoseSign1Builder::new()
        .protected(protected)
        .unprotected(unprotected)
        .payload(payload)
        .create_signature(&[], |tbs| k.sign(tbs).to_bytes().to_vec())
        .build();
    encode_qr(&sign1.to_tagged_vec().unwrap())
}

#[test]
fn another_algorithm_or_a_key_id_outside_the_protected_header_fails() {
    let s = Signer::new(key(1));
    let keys = [trusted(&s)];
    let payload = claims().to_cbor();
    let eddsa = HeaderBuilder::new().algorithm(iana::Algorithm::EdDSA).key_id(s.kid.clone()).build();
    let got = verdict_at(&signed_with(eddsa, Default::default(), &key(1), payload.clone()), &keys, NOW);
    assert_eq!((got.verdict, got.reason), (Verdict::Invalid, "unexpected algorithm"));

    let alg_only = HeaderBuilder::new().algorithm(iana::Algorithm::Ed25519).build();
    let kid_outside = HeaderBuilder::new().key_id(s.kid.clone()).build();
    let got = verdict_at(&signed_with(alg_only.clone(), kid_outside, &key(1), payload.clone()), &keys, NOW);
    assert_eq!(got.verdict, Verdict::Invalid);

    let alg_outside = HeaderBuilder::new().algorithm(iana::Algorithm::Ed25519).build();
    let kid_only = HeaderBuilder::new().key_id(s.kid.clone()).build();
    let got = verdict_at(&signed_with(kid_only, alg_outside, &key(1), payload.clone()), &keys, NOW);
    assert_eq!(got.verdict, Verdict::Invalid);

    let both = HeaderBuilder::new().algorithm(iana::Algorithm::Ed25519).key_id(s.kid.clone()).build();
    let got = verdict_at(&signed_with(both, Default::default(), &key(1), payload), &keys, NOW);
    assert_eq!(got.verdict, Verdict::Valid, "the same payload, correctly enveloped");
}

#[test]
fn an_unknown_key_or_a_borrowed_key_id_fails() {
    let s = Signer::new(key(1));
    let stranger = Signer::new(key(2));
    let got = verdict_at(&issue(&stranger, &claims()), &[trusted(&s)], NOW);
    assert_eq!(got.verdict, Verdict::UnknownKey);
    // Another key claiming the trusted key's id: the signature decides.
    let header = HeaderBuilder::new().algorithm(iana::Algorithm::Ed25519).key_id(s.kid.clone()).build();
    let forged = signed_with(header, Default::default(), &key(2), claims().to_cbor());
    let got = verdict_at(&forged, &[trusted(&s)], NOW);
    assert_eq!((got.verdict, got.reason), (Verdict::Invalid, "the signature does not verify"));
}

#[test]
fn validity_times_forgive_the_tolerance_and_not_a_second_more() {
    let s = Signer::new(key(1));
    let keys = [trusted(&s)];
    let c = claims();
    let qr = issue(&s, &c);
    let at = |now| verdict_at(&qr, &keys, now).verdict;
    assert_eq!(at(c.expires_at + CLOCK_TOLERANCE_SECS), Verdict::Valid);
    assert_eq!(at(c.expires_at + CLOCK_TOLERANCE_SECS + 1), Verdict::Expired);
    assert_eq!(at(c.not_before - CLOCK_TOLERANCE_SECS), Verdict::Valid);
    assert_eq!(at(c.not_before - CLOCK_TOLERANCE_SECS - 1), Verdict::NotYetValid);
}

#[test]
fn a_permit_signed_outside_its_keys_window_fails() {
    let s = Signer::new(key(1));
    let mut window = trusted(&s);
    window.signs_until = NOW - 1;
    let got = verdict_at(&issue(&s, &claims()), &[window], NOW);
    assert_eq!((got.verdict, got.reason), (Verdict::Invalid, "signed outside the key's signing window"));
}

#[test]
fn revoked_and_unknown_status_are_told_apart() {
    let s = Signer::new(key(1));
    let qr = issue(&s, &claims());
    assert_eq!(check(&qr, &[trusted(&s)], NOW, |st| Some(st.idx == 4242)).verdict, Verdict::Revoked);
    assert_eq!(check(&qr, &[trusted(&s)], NOW, |_| None).verdict, Verdict::StatusUnknown);
}

#[test]
fn malformed_text_cbor_trailing_bytes_and_oversized_input_fail() {
    let s = Signer::new(key(1));
    let keys = [trusted(&s)];
    let good = issue(&s, &claims());
    let mut trailing = s.sign(claims().to_cbor(), None);
    trailing.push(0);
    let mut inner_trailing = claims().to_cbor();
    inner_trailing.push(0);
    let cases = [
        ("HC1:".to_owned() + &good[5..], "not a QAT1 payload"),
        (good.to_lowercase().replacen("qat1:", "QAT1:", 1), "not Base45"),
        (format!("{good}~"), "not Base45"),
        (format!("{PREFIX}GGW"), "not Base45"),
        (encode_qr(b"\xff\x00garbage"), "not a tagged COSE_Sign1"),
        (encode_qr(&trailing), "bytes after the signed structure"),
        (issue_raw(&s, inner_trailing), "bytes after the claims"),
        (format!("{good}{}", "0".repeat(MAX_PAYLOAD_CHARS)), "payload too long"),
        (String::new(), "not a QAT1 payload"),
    ];
    for (qr, reason) in cases {
        let got = verdict_at(&qr, &keys, NOW);
        assert_eq!((got.verdict, got.reason), (Verdict::Invalid, reason), "{qr:.40}");
    }
}

fn issue_raw(s: &Signer, payload: Vec<u8>) -> String {
    encode_qr(&s.sign(payload, None))
}

#[test]
fn the_largest_permit_fits_a_version_12_qr_at_level_m() {
    let s = Signer::new(key(1));
    let big = "永".repeat(40);
    let c = PermitClaims {
        issuer: "X".repeat(40),
        issued_at: i64::from(u32::MAX),
        not_before: i64::from(u32::MAX),
        expires_at: i64::from(u32::MAX),
        token_id: vec![0xff; TOKEN_ID_BYTES],
        status: StatusRef { idx: u32::MAX, uri: format!("https://{big}") },
        permit: PermitBody {
            kind: big.clone(),
            number: big.clone(),
            department: big.clone(),
            surname: big.clone(),
            initials: big.clone(),
            travel_permit_tail: Some(big.clone()),
            fields: vec![(big.clone(), big.clone()), (big.clone() + "x", big.clone()), ("c".into(), big)],
        },
    };
    let qr = issue(&s, &c);
    eprintln!("largest permit: {} characters", qr.len());
    assert!(qr.len() <= 419, "{} characters", qr.len());
    let code = qrcode::QrCode::with_version(qr.as_bytes(), qrcode::Version::Normal(12), qrcode::EcLevel::M);
    assert!(code.is_ok(), "does not fit version 12-M");
    let forever = TrustedKey { signs_from: 0, signs_until: i64::MAX, ..trusted(&s) };
    assert_eq!(verdict_at(&qr, &[forever], i64::from(u32::MAX)).verdict, Verdict::Valid);
}

#[test]
fn holder_names_show_surname_and_initials_only() {
    assert_eq!(holder_name("Chan Tai Man"), ("CHAN".into(), "TM".into()));
    assert_eq!(holder_name("陳大文"), ("陳".into(), String::new()));
    assert_eq!(holder_name("  "), (String::new(), String::new()));
    assert_eq!(travel_permit_tail("H12345678"), "5678");
    assert_eq!(fit("永永", 4), "永");
}

#[test]
fn status_lists_round_trip_and_refuse_bombs() {
    let s = Signer::new(key(1));
    let mut list = StatusList::new(LIST_SIZE);
    list.revoke(3);
    list.revoke(LIST_SIZE - 1);
    assert_eq!((list.is_revoked(3), list.is_revoked(4)), (Some(true), Some(false)));
    assert_eq!(list.is_revoked(LIST_SIZE), None);
    let token = StatusListToken { uri: "u".into(), issued_at: NOW, expires_at: NOW + 600, ttl: 300, list };
    let signed = token.sign(&s);
    assert!(signed.len() < 200, "a sparse list compresses: {} bytes", signed.len());
    assert_eq!(StatusListToken::verify(&signed, &[trusted(&s)], MAX_LIST_BYTES).as_ref(), Ok(&token));
    assert!(StatusListToken::verify(&signed, &[trusted(&Signer::new(key(2)))], MAX_LIST_BYTES).is_err());
    let bomb = StatusList::new(8 * 64 * 1024 * 1024).compress();
    assert!(bomb.len() < 100_000);
    assert_eq!(
        StatusList::decompress(&bomb, MAX_LIST_BYTES).unwrap_err().0,
        "the status list expands beyond the allowed size"
    );
    // A permit is never mistaken for a status list, nor the other way round.
    assert!(StatusListToken::verify(&s.sign(claims().to_cbor(), None), &[trusted(&s)], 100).is_err());
}

#[test]
fn trust_lists_verify_only_under_the_root() {
    let root = Signer::new(key(9));
    let s = Signer::new(key(1));
    let list =
        TrustList { issuer: "QAT".into(), issued_at: NOW, expires_at: NOW + 86_400, keys: vec![trusted(&s)] };
    let signed = list.sign(&root);
    assert_eq!(TrustList::verify(&signed, &root.public()).as_ref(), Ok(&list));
    assert!(TrustList::verify(&signed, &s.public()).is_err());
    let mut bytes = signed.clone();
    let n = bytes.len();
    bytes[n - 70] ^= 1;
    assert!(TrustList::verify(&bytes, &root.public()).is_err());
}
