//! Documents attached to applications over HTTP: the multipart body streamed to a staged file while
//! hashed and measured, and files served back as downloads. Rules live in `app::documents`.

use actix_multipart::{Multipart, MultipartError};
use actix_web::body::SizedStream;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::app::caller::Resident;
use crate::app::document_content::Content;
use crate::app::documents::{self, StagedFile, Upload};
use crate::app::precondition::etag;
use crate::db::types::utc;
use crate::domain::FieldError;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::idempotency::{self, Create, Created};
use crate::state::AppState;
use crate::store::applications::Document;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DocumentInfo {
    pub id: String,
    /// One of the service's document kinds.
    pub kind: String,
    pub original_name: String,
    /// Judged from the file's bytes: `application/pdf`, `image/jpeg`, `image/png` or `image/heic`.
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

impl From<Document> for DocumentInfo {
    fn from(d: Document) -> Self {
        Self {
            id: d.id,
            kind: d.kind,
            original_name: d.original_name,
            content_type: d.content_type,
            size_bytes: d.size_bytes,
            sha256: d.sha256,
            created_at: utc(d.created_at),
        }
    }
}

/// The multipart body of an upload (for the OpenAPI document).
#[derive(Debug, Deserialize, ToSchema)]
pub struct UploadForm {
    /// The document kind.
    pub kind: String,
    /// PDF, JPEG, PNG or HEIC; 10 MiB by default.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// A document's bytes as downloaded, in its own media type.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(pub Vec<u8>);

/// What a multipart body held, before the required parts are checked.
struct Parts {
    kind: Option<String>,
    file: Option<Received>,
}

/// The `file` part, staged and judged.
struct Received {
    file: StagedFile,
    name: String,
    size: i64,
    sha256: String,
    content_type: &'static str,
}

fn multipart_error(e: MultipartError) -> ApiError {
    match e {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => {
            ApiError::unsupported_media_type("the body must be multipart/form-data")
        }
        other => ApiError::malformed(format!("the multipart body is malformed: {other}")),
    }
}

fn clean_name(raw: Option<&str>) -> String {
    let base = raw.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if name.trim().is_empty() { "document".into() } else { name.trim().to_owned() }
}

/// Reads the multipart body: `kind` and one `file`, streamed to a staged file while hashed and measured,
/// bounded in size and typed by its first bytes. Any other part is refused.
async fn receive(state: &AppState, mut parts: Multipart) -> ApiResult<Parts> {
    let limit = state.config.max_upload_bytes;
    let max_parts = state.config.max_upload_parts;
    let mut upload = Parts { kind: None, file: None };
    let mut seen = 0usize;
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(multipart_error)?;
        seen += 1;
        if seen > max_parts {
            return Err(ApiError::new(
                ErrorCode::TooManyParts,
                format!("an upload has at most {max_parts} parts: `kind` and `file`"),
            ));
        }
        match part.name().unwrap_or("") {
            "kind" => {
                let bytes = match part.bytes(256).await {
                    Ok(Ok(b)) => b,
                    Ok(Err(e)) => return Err(multipart_error(e)),
                    Err(_) => return Err(ApiError::field("kind", "too_long", "kind is too long")),
                };
                upload.kind = Some(String::from_utf8_lossy(&bytes).trim().to_owned());
            }
            "file" if upload.file.is_none() => {
                let name = clean_name(part.content_disposition().and_then(|cd| cd.get_filename()));
                let declared = part.content_type().map(|m| m.essence_str().to_owned());
                let (staged, mut out) = StagedFile::create(&state.config).await?;
                let mut hasher = Sha256::new();
                let mut size = 0usize;
                let mut head = Vec::with_capacity(16);
                while let Some(chunk) = part.next().await {
                    let chunk = chunk.map_err(multipart_error)?;
                    size += chunk.len();
                    if size > limit {
                        return Err(ApiError::payload_too_large(format!(
                            "the file is larger than {limit} bytes"
                        )));
                    }
                    if head.len() < 16 {
                        head.extend_from_slice(&chunk[..chunk.len().min(16 - head.len())]);
                    }
                    hasher.update(&chunk);
                    out.write(&chunk).await?;
                }
                out.finish().await?;
                if size == 0 {
                    return Err(ApiError::field("file", "required", "the file is empty"));
                }
                let content_type = documents::judge(&head, declared.as_deref(), &name)?;
                let sha256 = hex::encode(hasher.finalize());
                upload.file = Some(Received { file: staged, name, size: size as i64, sha256, content_type });
            }
            other => {
                return Err(ApiError::field(
                    other,
                    "unknown_field",
                    "only the parts `kind` and `file` are accepted",
                ));
            }
        }
    }
    Ok(upload)
}

/// Both parts are required; every missing one is reported.
fn required(parts: Parts) -> ApiResult<Upload> {
    match parts {
        Parts { kind: Some(kind), file: Some(f) } if !kind.is_empty() => Ok(Upload {
            kind,
            file: f.file,
            original_name: f.name,
            size_bytes: f.size,
            sha256: f.sha256,
            content_type: f.content_type,
        }),
        Parts { kind, file } => {
            let mut errors = Vec::new();
            if kind.as_deref().is_none_or(str::is_empty) {
                errors.push(FieldError::new("kind", "required", "the part `kind` is required"));
            }
            if file.is_none() {
                errors.push(FieldError::new("file", "required", "the part `file` is required"));
            }
            Err(ApiError::validation(errors))
        }
    }
}

/// Upload a document for one of the caller's applications
///
/// `multipart/form-data` with parts `kind` and `file`. Only drafts and applications awaiting
/// information take documents.
#[utoipa::path(
    tag = "applications",
    operation_id = "uploadDocument",
    security(("bearer" = [])),
    params(("application_id" = String, Path, description = "Application id")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The document was stored.", body = DocumentInfo,
            headers(("Location" = String, description = "URL of the document"), ("ETag" = String, description = "New version of the application"))),
        (status = 404, description = "No such application of the caller.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The application takes no more documents, or the resident's storage quota would be exceeded (`storage_quota_exceeded`).", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is too large (`payload_too_large`) or the body has more parts than `kind` and `file` (`too_many_parts`).", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a PDF, JPEG, PNG or HEIC file, a part Content-Type or file name extension that disagrees with the content, or not multipart.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing part or unknown kind.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/applications/{application_id}/documents")]
pub async fn upload_document(
    caller: Resident,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    parts: Multipart,
) -> ApiResult<HttpResponse> {
    let application_id = path.into_inner();
    // Refuse a foreign or missing application before reading megabytes of body.
    documents::check_owner(&state.db, &caller, &application_id).await?;
    let upload = required(receive(&state, parts).await?)?;
    // A retry with a new multipart boundary is the same request: the fingerprint is the parts' content.
    let fp = idempotency::fingerprint(&[
        req.path().as_bytes(),
        b"kind",
        upload.kind.as_bytes(),
        b"file",
        upload.sha256.as_bytes(),
    ]);
    let create = Create::begin(&req, &state, &caller.id, "uploadDocument", fp).await?;
    create
        .run(|record| documents::upload(&state, caller, application_id, upload, record, document_created))
        .await
}

fn document_created(doc: &Document, version: i32) -> ApiResult<Created> {
    let location = format!("/v1/applications/{}/documents/{}", doc.application_id, doc.id);
    Created::new(location, Some(etag(version)), &DocumentInfo::from(doc.clone()))
}

/// List the documents of one of the caller's applications
///
/// Metadata only; download each file with `downloadDocument`.
#[utoipa::path(
    tag = "applications",
    operation_id = "listDocuments",
    security(("bearer" = [])),
    params(("application_id" = String, Path, description = "Application id")),
    responses(
        (status = 200, description = "The documents, oldest first.", body = crate::api::pagination::Page<DocumentInfo>),
        (status = 404, description = "No such application of the caller.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/applications/{application_id}/documents")]
pub async fn list_documents(
    caller: Resident,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let docs = documents::list(&state.db, caller, path.into_inner()).await?;
    let items: Vec<DocumentInfo> = docs.into_iter().map(DocumentInfo::from).collect();
    Ok(HttpResponse::Ok().json(crate::api::pagination::Page { items, next_cursor: None }))
}

/// The stored file, checked against its recorded SHA-256, as a download.
pub async fn serve(state: &AppState, doc: Document) -> ApiResult<HttpResponse> {
    let content = documents::content(&state.config, &doc).await?;
    Ok(attachment(doc, content))
}

/// A file as an attachment under its original name, in its judged media type, never sniffed again.
/// The body is streamed with its recorded length, so a download cut for a checksum mismatch is visibly
/// incomplete.
fn attachment(doc: Document, content: Content) -> HttpResponse {
    let ascii: String = doc
        .original_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' })
        .collect();
    let encoded =
        percent_encoding::utf8_percent_encode(&doc.original_name, percent_encoding::NON_ALPHANUMERIC);
    HttpResponse::Ok()
        .content_type(doc.content_type.as_str())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Digest", format!("sha-256={}", doc.sha256)))
        .body(SizedStream::new(content.len, content.chunks))
}

/// Download a document of one of the caller's applications
///
/// Served with the media type judged at upload and a `Content-Disposition` carrying the original name; the content is checked against its SHA-256 first.
#[utoipa::path(
    tag = "applications",
    operation_id = "downloadDocument",
    security(("bearer" = [])),
    params(("application_id" = String, Path, description = "Application id"), ("document_id" = String, Path, description = "Document id")),
    responses(
        (status = 200, description = "The file, with its media type and a Content-Disposition name.",
            content((FileBytes = "application/pdf"), (FileBytes = "image/jpeg"), (FileBytes = "image/png"), (FileBytes = "image/heic"))),
        (status = 404, description = "No such document of the caller.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/applications/{application_id}/documents/{document_id}")]
pub async fn download_document(
    caller: Resident,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (application_id, document_id) = path.into_inner();
    let (doc, content) = documents::download(&state, caller, application_id, document_id).await?;
    Ok(attachment(doc, content))
}
