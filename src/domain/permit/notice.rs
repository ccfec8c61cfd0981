//! What a resident is told when a permit is issued or revoked, in their language.

use crate::domain::locale::Locale;

/// Title and body for a newly issued permit; `until` is its last day (YYYY-MM-DD, Macao time).
pub fn issued(locale: Locale, number: &str, until: &str) -> (String, String) {
    let (title, body) = match locale {
        Locale::ZhHant => (
            "電子許可證已簽發",
            format!("許可證 {number} 已簽發，有效期至 {until}。可在「我的許可證」出示二維碼。"),
        ),
        Locale::ZhHans => (
            "电子许可证已签发",
            format!("许可证 {number} 已签发，有效期至 {until}。可在“我的许可证”出示二维码。"),
        ),
        Locale::Pt => (
            "Licença digital emitida",
            format!(
                "A licença {number} foi emitida e é válida até {until}. Mostre o código QR em «As minhas licenças»."
            ),
        ),
        Locale::En => (
            "Digital permit issued",
            format!(
                "Permit {number} was issued and is valid until {until}. Show its QR code from My permits."
            ),
        ),
    };
    (title.to_owned(), body)
}

/// Title and body for a revoked permit, with the reason the organisation gave.
pub fn revoked(locale: Locale, number: &str, reason: &str) -> (String, String) {
    let (title, body) = match locale {
        Locale::ZhHant => ("許可證已被撤銷", format!("許可證 {number} 已被撤銷，不能再使用。原因：{reason}")),
        Locale::ZhHans => ("许可证已被撤销", format!("许可证 {number} 已被撤销，不能再使用。原因：{reason}")),
        Locale::Pt => (
            "Licença revogada",
            format!("A licença {number} foi revogada e deixou de ser válida. Motivo: {reason}"),
        ),
        Locale::En => (
            "Permit revoked",
            format!("Permit {number} was revoked and is no longer valid. Reason: {reason}"),
        ),
    };
    (title.to_owned(), body)
}

/// Title and body of the message (push, email, SMS) about a revoked permit. The reason is free text
/// from the organisation, so it stays in the app, behind the login, like an officer's comment.
pub fn revoked_message(locale: Locale, number: &str) -> (String, String) {
    let (title, body) = match locale {
        Locale::ZhHant => {
            ("許可證已被撤銷", format!("許可證 {number} 已被撤銷，不能再使用。原因請在應用程式內查看。"))
        }
        Locale::ZhHans => {
            ("许可证已被撤销", format!("许可证 {number} 已被撤销，不能再使用。原因请在应用程序内查看。"))
        }
        Locale::Pt => (
            "Licença revogada",
            format!("A licença {number} foi revogada e deixou de ser válida. Veja o motivo na aplicação."),
        ),
        Locale::En => (
            "Permit revoked",
            format!("Permit {number} was revoked and is no longer valid. See why in the app."),
        ),
    };
    (title.to_owned(), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_names_the_permit() {
        for locale in Locale::ALL {
            assert!(issued(locale, "HQ-2026-000123", "2027-12-01").1.contains("HQ-2026-000123"));
            let (title, body) = revoked(locale, "HQ-2026-000123", "vehicle sold");
            assert!(!title.is_empty() && body.ends_with("vehicle sold"), "{locale:?}");
        }
    }
}
