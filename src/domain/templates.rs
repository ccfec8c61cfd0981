//! Texts of the messages that leave the server, in the resident's language. Messages name the service
//! and the application's reference, never an identity number or what a form contains.

use super::locale::Locale;

/// The service's name as residents know it.
pub fn service_name(locale: Locale) -> &'static str {
    match locale {
        Locale::ZhHant | Locale::ZhHans => "琴澳通",
        Locale::Pt | Locale::En => "Qin Ao Tong",
    }
}

/// Subject of a message whose language the sender chose (one-time codes): both names.
pub const NEUTRAL_SUBJECT: &str = "琴澳通 Qin Ao Tong";

/// Events on an account that are always announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityEvent {
    PasswordChanged,
    /// A login from a client (user agent) the account never used before.
    NewLogin,
}

impl SecurityEvent {
    pub fn kind(self) -> &'static str {
        match self {
            SecurityEvent::PasswordChanged => "security.password_changed",
            SecurityEvent::NewLogin => "security.new_login",
        }
    }
}

/// Title and body of a security alert.
pub fn security_alert(locale: Locale, event: SecurityEvent) -> (String, String) {
    let (title, body) = match (event, locale) {
        (SecurityEvent::PasswordChanged, Locale::ZhHant) => {
            ("密碼已更改", "您的琴澳通帳戶密碼剛剛更改，所有裝置已登出。如非本人操作，請立即重設密碼。")
        }
        (SecurityEvent::PasswordChanged, Locale::ZhHans) => {
            ("密码已更改", "您的琴澳通账户密码刚刚更改，所有设备已登出。如非本人操作，请立即重设密码。")
        }
        (SecurityEvent::PasswordChanged, Locale::Pt) => (
            "Palavra-passe alterada",
            "A palavra-passe da sua conta Qin Ao Tong foi alterada e todas as sessões terminaram. \
             Se não foi você, redefina-a já.",
        ),
        (SecurityEvent::PasswordChanged, Locale::En) => (
            "Password changed",
            "The password of your Qin Ao Tong account was just changed and every session ended. \
             If this was not you, reset it now.",
        ),
        (SecurityEvent::NewLogin, Locale::ZhHant) => {
            ("新裝置登入", "您的琴澳通帳戶剛在一部新裝置上登入。如非本人操作，請立即更改密碼。")
        }
        (SecurityEvent::NewLogin, Locale::ZhHans) => {
            ("新设备登录", "您的琴澳通账户刚在一台新设备上登录。如非本人操作，请立即更改密码。")
        }
        (SecurityEvent::NewLogin, Locale::Pt) => (
            "Nova sessão iniciada",
            "Foi iniciada uma sessão na sua conta Qin Ao Tong num dispositivo novo. \
             Se não foi você, altere a palavra-passe já.",
        ),
        (SecurityEvent::NewLogin, Locale::En) => (
            "New sign-in",
            "Your Qin Ao Tong account was just signed in to on a new device. \
             If this was not you, change your password now.",
        ),
    };
    (title.to_owned(), body.to_owned())
}

/// The subject line of an email: the title, then the service's name unless the title names it.
pub fn email_subject(locale: Locale, title: &str) -> String {
    if title.contains(service_name(locale)) {
        title.to_owned()
    } else {
        format!("{title} - {}", service_name(locale))
    }
}

/// The HTML part of an email carrying `body` (plain text, escaped here).
pub fn email_html(lang: &str, title: &str, body: &str, signature: &str) -> String {
    let paragraphs: String = body.lines().map(|l| format!("<p>{}</p>", escape(l))).collect();
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body><h1>{}</h1>{paragraphs}<p>{}</p></body></html>",
        escape(lang),
        escape(title),
        escape(title),
        escape(signature)
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A recipient as support staff may see it: enough to recognise, not enough to use.
pub fn mask_recipient(channel: &str, recipient: &str) -> String {
    match channel {
        "email" => match recipient.split_once('@') {
            Some((local, domain)) => {
                format!("{}***@{domain}", local.chars().next().map(String::from).unwrap_or_default())
            }
            None => "***".into(),
        },
        "sms" => {
            let n = recipient.chars().count();
            let head: String = recipient.chars().take(4).collect();
            let tail: String = recipient.chars().skip(n.saturating_sub(2)).collect();
            if n > 6 { format!("{head}****{tail}") } else { "***".into() }
        }
        _ => format!("device {}", recipient.chars().take(8).collect::<String>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_exist_in_every_language_and_html_is_escaped() {
        for locale in Locale::ALL {
            for event in [SecurityEvent::PasswordChanged, SecurityEvent::NewLogin] {
                let (title, body) = security_alert(locale, event);
                assert!(!title.is_empty() && body.contains(service_name(locale)));
            }
        }
        let html = email_html("en", "A <b>", "x & y\nz", "Qin Ao Tong");
        assert!(html.contains("A &lt;b&gt;") && html.contains("<p>x &amp; y</p><p>z</p>"));
        assert_eq!(mask_recipient("email", "chan.taiman@example.mo"), "c***@example.mo");
        assert_eq!(mask_recipient("sms", "+85362345678"), "+853****78");
    }
}
