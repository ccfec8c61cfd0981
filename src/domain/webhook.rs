//! Standard Webhooks signing, retry schedule and the addresses a webhook may never reach.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Event types an endpoint can subscribe to.
pub const EVENT_TYPES: [&str; 5] = [
    "application.submitted",
    "application.status_changed",
    "application.withdrawn",
    "application.note_added",
    "application.document_added",
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

/// Loopback, private, link-local, shared (100.64.0.0/10), unspecified, multicast and documentation-only
/// addresses, and IPv4-mapped or unique-local IPv6 forms of them: never reached unless an operator allows it.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden(IpAddr::V4(v4));
            }
            let s = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                IpAddr::V4(std::net::Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8))
            };
            // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry the IPv4 address that actually gets reached.
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] && is_forbidden(embedded(s[6], s[7]))
            {
                return true;
            }
            if s[0] == 0x2002 && is_forbidden(embedded(s[1], s[2])) {
                return true;
            }
            let first = s[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
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
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "100.128.0.1", "2001:db8::1", "8.8.8.8", "64:ff9b::808:808"] {
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
