//! Standard Webhooks signing, retry schedule and the addresses a webhook may never reach.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Event types an endpoint can subscribe to.
pub const EVENT_TYPES: [&str; 7] = [
    "application.submitted",
    "application.status_changed",
    "application.withdrawn",
    "application.note_added",
    "application.document_added",
    "permit.issued",
    "permit.revoked",
];

/// A new endpoint secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// The `webhook-signature` value: `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, keyed by
/// the secret's decoded bytes. `None` if the secret is not a `whsec_` base64 string.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

/// Whether a webhook may never reach `ip` (unless an operator allows it): anything that is not a global
/// unicast address. IPv4 special-purpose ranges (RFC 6890 and its updates: this network, private,
/// shared, loopback, link-local, IETF protocol assignments, documentation, 6to4 relay, benchmarking,
/// multicast, reserved, broadcast) are refused; IPv6 is allowed only inside 2000::/3, minus Teredo,
/// ORCHID, benchmarking and documentation prefixes, and its IPv4-mapped, NAT64 and 6to4 forms are
/// judged by the IPv4 address they actually reach. IPv4-compatible (::a.b.c.d) and site-local
/// (fec0::/10) forms fall outside 2000::/3 and are refused.
pub fn is_forbidden(ip: IpAddr) -> bool {
    !is_global(ip)
}

fn in_v4(ip: u32, net: [u8; 4], bits: u32) -> bool {
    let net = u32::from_be_bytes(net);
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
    ip & mask == net & mask
}

fn is_global_v4(v4: std::net::Ipv4Addr) -> bool {
    const SPECIAL: [([u8; 4], u32); 16] = [
        ([0, 0, 0, 0], 8),
        ([10, 0, 0, 0], 8),
        ([100, 64, 0, 0], 10),
        ([127, 0, 0, 0], 8),
        ([169, 254, 0, 0], 16),
        ([172, 16, 0, 0], 12),
        ([192, 0, 0, 0], 24),
        ([192, 0, 2, 0], 24),
        ([192, 31, 196, 0], 24),
        ([192, 52, 193, 0], 24),
        ([192, 88, 99, 0], 24),
        ([192, 168, 0, 0], 16),
        ([198, 18, 0, 0], 15),
        ([198, 51, 100, 0], 24),
        ([203, 0, 113, 0], 24),
        ([224, 0, 0, 0], 3),
    ];
    let ip = u32::from(v4);
    !SPECIAL.iter().any(|(net, bits)| in_v4(ip, *net, *bits))
}

fn is_global_v6(v6: std::net::Ipv6Addr) -> bool {
    let embedded =
        |hi: u16, lo: u16| std::net::Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(v4) = v6.to_ipv4_mapped() {
        return is_global_v4(v4);
    }
    let s = v6.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address it carries.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_global_v4(embedded(s[6], s[7]));
    }
    if s[0] & 0xe000 != 0x2000 {
        return false;
    }
    // 6to4 (2002::/16) reaches the IPv4 address it carries.
    if s[0] == 0x2002 {
        return is_global_v4(embedded(s[1], s[2]));
    }
    let teredo = s[0] == 0x2001 && s[1] == 0;
    let benchmarking = s[0] == 0x2001 && s[1] == 2 && s[2] == 0;
    let orchid = s[0] == 0x2001 && matches!(s[1] & 0xfff0, 0x0010 | 0x0020);
    let documentation = (s[0] == 0x2001 && s[1] == 0x0db8) || (s[0] == 0x3fff && s[1] & 0xf000 == 0);
    !(teredo || benchmarking || orchid || documentation)
}

fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => is_global_v6(v6),
    }
}

/// Delay before retry number `attempt` (1-based): `base` doubling each time, at most six hours, with up to
/// 20% random jitter so that many failed deliveries do not return at once.
pub fn backoff(attempt: u32, base: Duration) -> Duration {
    use rand::Rng;
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let capped = exp.min(Duration::from_secs(6 * 3600));
    let jitter = rand::rngs::OsRng.gen_range(0.0..0.2);
    capped.mul_f64(1.0 + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_over_id_timestamp_and_body() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let sig =
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, r#"{"test": 2432232314}"#).unwrap();
        // Recomputed independently with the key bytes.
        let key = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(br#"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}"#);
        assert_eq!(sig, format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())));
        assert_ne!(sign(secret, "other", 1614265330, "{}"), Some(sig));
        assert_eq!(sign("not-a-secret", "id", 1, "{}"), None);
        assert!(new_secret().starts_with("whsec_"));
        assert!(sign(&new_secret(), "id", 1, "{}").is_some());
    }

    #[test]
    fn internal_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "fd00::1",
            "fe80::1",
            "::",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
            // Special-purpose ranges that are not private but are no public host either.
            "192.0.0.8",
            "192.0.2.10",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "240.0.0.1",
            "255.255.255.255",
            "2001:db8::1",
            "3fff::1",
            "2001::1",
            "2001:2::1",
            "2001:20::1",
            "::10.0.0.1",
            "::8.8.8.8",
            "fec0::1",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "100.128.0.1",
            "8.8.8.8",
            "198.20.0.1",
            "64:ff9b::808:808",
            "2606:4700::1111",
            "2002:808:808::1",
            "2001:4860::8888",
        ] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn retries_back_off_exponentially_with_bounded_jitter() {
        let base = Duration::from_secs(10);
        for attempt in 1..=5u32 {
            let d = backoff(attempt, base);
            let nominal = base * 2u32.pow(attempt - 1);
            assert!(d >= nominal && d <= nominal.mul_f64(1.2), "{attempt}: {d:?}");
        }
        assert!(backoff(30, base) <= Duration::from_secs(6 * 3600).mul_f64(1.2));
    }
}
