//! Texts of the notifications a resident receives when an application changes, in their language.

use super::locale::Locale;
use super::status::ApplicationStatus;

/// Title and body for an application that reached `status`. `service` is the service name in the same
/// language; `comment` is the officer's message where one was given.
pub fn application_changed(
    locale: Locale,
    status: ApplicationStatus,
    reference: &str,
    service: &str,
    comment: Option<&str>,
) -> (String, String) {
    use ApplicationStatus::*;
    let (title, body) = match (locale, status) {
        (Locale::ZhHant, Submitted) => {
            ("申請已提交", format!("您的「{service}」申請（{reference}）已提交，正等待處理。"))
        }
        (Locale::ZhHant, InReview) => ("申請審理中", format!("您的申請（{reference}）正在審理。")),
        (Locale::ZhHant, NeedsInfo) => {
            ("需要補充資料", format!("您的申請（{reference}）需要補充資料，請查看並重新提交。"))
        }
        (Locale::ZhHant, Approved) => {
            ("申請已批准", format!("您的「{service}」申請（{reference}）已獲批准。"))
        }
        (Locale::ZhHant, Rejected) => {
            ("申請不獲批准", format!("您的「{service}」申請（{reference}）不獲批准。"))
        }
        (Locale::ZhHant, Withdrawn) => ("申請已撤回", format!("您的申請（{reference}）已撤回。")),
        (Locale::ZhHant, Draft) => ("申請草稿", format!("您的申請（{reference}）已儲存為草稿。")),
        (Locale::ZhHans, Submitted) => {
            ("申请已提交", format!("您的“{service}”申请（{reference}）已提交，正等待处理。"))
        }
        (Locale::ZhHans, InReview) => ("申请审理中", format!("您的申请（{reference}）正在审理。")),
        (Locale::ZhHans, NeedsInfo) => {
            ("需要补充资料", format!("您的申请（{reference}）需要补充资料，请查看并重新提交。"))
        }
        (Locale::ZhHans, Approved) => ("申请已批准", format!("您的“{service}”申请（{reference}）已获批准。")),
        (Locale::ZhHans, Rejected) => {
            ("申请未获批准", format!("您的“{service}”申请（{reference}）未获批准。"))
        }
        (Locale::ZhHans, Withdrawn) => ("申请已撤回", format!("您的申请（{reference}）已撤回。")),
        (Locale::ZhHans, Draft) => ("申请草稿", format!("您的申请（{reference}）已保存为草稿。")),
        (Locale::Pt, Submitted) => (
            "Pedido submetido",
            format!("O seu pedido de «{service}» ({reference}) foi submetido e aguarda tratamento."),
        ),
        (Locale::Pt, InReview) => {
            ("Pedido em análise", format!("O seu pedido ({reference}) está a ser analisado."))
        }
        (Locale::Pt, NeedsInfo) => (
            "Informação em falta",
            format!("O seu pedido ({reference}) precisa de mais informação; reveja-o e volte a submetê-lo."),
        ),
        (Locale::Pt, Approved) => {
            ("Pedido aprovado", format!("O seu pedido de «{service}» ({reference}) foi aprovado."))
        }
        (Locale::Pt, Rejected) => {
            ("Pedido indeferido", format!("O seu pedido de «{service}» ({reference}) foi indeferido."))
        }
        (Locale::Pt, Withdrawn) => ("Pedido retirado", format!("O seu pedido ({reference}) foi retirado.")),
        (Locale::Pt, Draft) => {
            ("Rascunho do pedido", format!("O seu pedido ({reference}) foi guardado como rascunho."))
        }
        (Locale::En, Submitted) => (
            "Application submitted",
            format!("Your application for {service} ({reference}) was submitted and awaits processing."),
        ),
        (Locale::En, InReview) => {
            ("Application in review", format!("Your application ({reference}) is being reviewed."))
        }
        (Locale::En, NeedsInfo) => (
            "More information needed",
            format!(
                "Your application ({reference}) needs more information; please review it and submit it again."
            ),
        ),
        (Locale::En, Approved) => {
            ("Application approved", format!("Your application for {service} ({reference}) was approved."))
        }
        (Locale::En, Rejected) => {
            ("Application rejected", format!("Your application for {service} ({reference}) was rejected."))
        }
        (Locale::En, Withdrawn) => {
            ("Application withdrawn", format!("Your application ({reference}) was withdrawn."))
        }
        (Locale::En, Draft) => {
            ("Application draft", format!("Your application ({reference}) was saved as a draft."))
        }
    };
    let body = match comment.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => format!("{body}\n{c}"),
        None => body,
    };
    (title.to_owned(), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_names_the_reference_and_carries_the_officers_comment() {
        for locale in Locale::ALL {
            for status in ApplicationStatus::ALL {
                let (title, body) = application_changed(
                    locale,
                    status,
                    "HQ-2026-000123",
                    "Svc",
                    Some("Upload a clearer photo"),
                );
                assert!(!title.is_empty());
                assert!(body.contains("HQ-2026-000123"), "{locale:?} {status:?}");
                assert!(body.ends_with("Upload a clearer photo"));
            }
        }
        let (title, _) = application_changed(Locale::ZhHant, ApplicationStatus::Approved, "R", "S", None);
        assert_eq!(title, "申請已批准");
    }
}
