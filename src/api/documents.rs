//! Documents attached to applications: streamed to disk while hashed and measured, typed by their own
//! bytes, recorded in the same transaction that checks the application, served back with their checksum
//! verified.

use std::io::Write;
use std::path::{Path, PathBuf};

use actix_multipart::{Multipart, MultipartError};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::api::catalogue::parse_form;
use crate::app::precondition::etag;
use crate::app::workflow;
use crate::auth::Principal;
use crate::db::types::{new_id, now, utc};
use crate::domain::FieldError;
use crate::domain::status::ApplicationStatus;
use crate::error::{ApiError, ApiResult, Problem};
use crate::idempotency::{self, Begin, Created};
use crate::state::AppState;
use crate::store::applications::{self as store, Document};
use crate::store::catalogue;

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

/// The media type of a file from its first bytes; `None` for anything we do not accept.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"%PDF-") {
        return Some("application/pdf");
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some("image/png");
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let brand = &head[8..12];
        if [b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"]
            .iter()
            .any(|b| brand == *b)
        {
            return Some("image/heic");
        }
    }
    None
}

fn documents_dir(state: &AppState) -> PathBuf {
    state.config.data_dir.join("documents")
}

/// A file being received: deleted on drop unless it was kept.
struct Incoming {
    path: PathBuf,
    kept: bool,
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

struct Upload {
    kind: Option<String>,
    file: Option<(Incoming, String, i64, String, &'static str)>,
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

async fn receive(state: &AppState, mut parts: Multipart) -> ApiResult<Upload> {
    let limit = state.config.max_upload_bytes;
    let tmp = documents_dir(state).join("tmp");
    std::fs::create_dir_all(&tmp).map_err(ApiError::internal)?;
    let mut upload = Upload { kind: None, file: None };
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(multipart_error)?;
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
                let incoming = Incoming { path: tmp.join(new_id()), kept: false };
                let mut out = std::fs::File::create(&incoming.path).map_err(ApiError::internal)?;
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
                    out.write_all(&chunk).map_err(ApiError::internal)?;
                }
                out.sync_all().map_err(ApiError::internal)?;
                if size == 0 {
                    return Err(ApiError::field("file", "required", "the file is empty"));
                }
                let content_type = sniff(&head).ok_or_else(|| {
                    ApiError::unsupported_media_type("only PDF, JPEG, PNG and HEIC files are accepted")
                })?;
                upload.file =
                    Some((incoming, name, size as i64, hex::encode(hasher.finalize()), content_type));
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

fn move_into_place(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::rename(from, to)
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
        (status = 409, description = "The application takes no more documents.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is too large.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a PDF, JPEG, PNG or HEIC file, or not multipart.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing part or unknown kind.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/applications/{application_id}/documents")]
pub async fn upload_document(
    req: HttpRequest,
    state: web::Data<AppState>,
    p: Principal,
    path: web::Path<String>,
    parts: Multipart,
) -> ApiResult<HttpResponse> {
    let resident = p.resident()?.to_owned();
    let application_id = path.into_inner();
    // Refuse a foreign or missing application before reading megabytes of body.
    let (app_id, owner) = (application_id.clone(), resident.clone());
    state.db.run(move |conn| Ok(store::find_for_resident(conn, &app_id, &owner).map(|_| ())?)).await?;
    let upload = receive(&state, parts).await?;
    let mut errors = Vec::new();
    if upload.kind.as_deref().is_none_or(str::is_empty) {
        errors.push(FieldError::new("kind", "required", "the part `kind` is required"));
    }
    if upload.file.is_none() {
        errors.push(FieldError::new("file", "required", "the part `file` is required"));
    }
    let (Some(kind), Some((mut incoming, name, size, sha, content_type))) = (upload.kind, upload.file) else {
        return Err(ApiError::validation(errors));
    };
    let fp =
        idempotency::fingerprint(&[req.path().as_bytes(), b"kind", kind.as_bytes(), b"file", sha.as_bytes()]);
    let idem = match idempotency::begin(&req, &state, &resident, "uploadDocument", fp).await? {
        Begin::Replay(res) => return Ok(res),
        Begin::Fresh(i) => Some(i),
        Begin::None => None,
    };
    let record = idem.as_ref().map(|i| i.record());
    let dir = documents_dir(&state);
    let cap = state.config.max_documents_per_application as i64;
    let storage_key = new_id();
    let final_path = dir.join(&storage_key);
    let temp_path = incoming.path.clone();
    let moved_to = final_path.clone();
    let result = state
        .db
        .write(move |conn| {
            let app = store::find_for_resident(conn, &application_id, &resident)?;
            let status = app.status;
            if !status.accepts_changes() {
                return Err(ApiError::conflict(
                    crate::error::ErrorCode::ApplicationNotEditable,
                    format!("an application that is {} takes no documents", status.as_str()),
                ));
            }
            let def = parse_form(&catalogue::find_version(conn, &app.service_id, app.service_version)?.form)?;
            if def.document_kind(&kind).is_none() {
                let kinds: Vec<&str> = def.documents.iter().map(|d| d.kind.as_str()).collect();
                return Err(ApiError::field(
                    "kind",
                    "invalid_option",
                    format!("kind must be one of: {}", kinds.join(", ")),
                ));
            }
            if store::count_documents(conn, &app.id)? >= cap {
                return Err(ApiError::conflict(
                    crate::error::ErrorCode::DocumentLimitReached,
                    format!("an application holds at most {cap} documents"),
                ));
            }
            let t = now();
            let doc = Document {
                id: new_id(),
                application_id: app.id.clone(),
                kind,
                original_name: name,
                content_type: content_type.into(),
                size_bytes: size,
                sha256: sha,
                storage_key,
                uploaded_by: resident,
                created_at: t,
            };
            store::insert_document(conn, &doc)?;
            let mut next = app.clone();
            next.version += 1;
            next.updated_at = t;
            if !store::save_if_version(conn, &next, app.version)? {
                return Err(ApiError::precondition_failed());
            }
            if status == ApplicationStatus::NeedsInfo {
                workflow::queue_webhook(
                    conn,
                    &next,
                    "application.document_added",
                    serde_json::json!({"document_id": doc.id, "kind": doc.kind}),
                )?;
            }
            let location = format!("/v1/applications/{}/documents/{}", app.id, doc.id);
            let response = Created::new(location, Some(etag(next.version)), &DocumentInfo::from(doc))?;
            response.remember(conn, record.as_ref())?;
            // The file reaches its place before the commit; if the commit then fails it is removed below.
            move_into_place(&temp_path, &moved_to).map_err(ApiError::internal)?;
            Ok(response)
        })
        .await;
    match result {
        Ok(created) => {
            incoming.kept = true;
            Ok(created.respond())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&final_path);
            Err(e)
        }
    }
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
    state: web::Data<AppState>,
    p: Principal,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let resident = p.resident()?.to_owned();
    let id = path.into_inner();
    let docs = state
        .db
        .run(move |conn| {
            store::find_for_resident(conn, &id, &resident)?;
            Ok(store::list_documents(conn, &id)?)
        })
        .await?;
    let items: Vec<DocumentInfo> = docs.into_iter().map(DocumentInfo::from).collect();
    Ok(HttpResponse::Ok().json(crate::api::pagination::Page { items, next_cursor: None }))
}

/// The stored file, checked against its recorded SHA-256, as a download.
pub async fn serve(state: &AppState, doc: Document) -> ApiResult<HttpResponse> {
    let path = documents_dir(state).join(&doc.storage_key);
    let bytes = web::block(move || std::fs::read(path)).await?.map_err(ApiError::internal)?;
    if hex::encode(Sha256::digest(&bytes)) != doc.sha256 {
        return Err(ApiError::internal(format!("document {} does not match its checksum", doc.id)));
    }
    let ascii: String = doc
        .original_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' })
        .collect();
    let encoded =
        percent_encoding::utf8_percent_encode(&doc.original_name, percent_encoding::NON_ALPHANUMERIC);
    Ok(HttpResponse::Ok()
        .content_type(doc.content_type.as_str())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Digest", format!("sha-256={}", doc.sha256)))
        .body(bytes))
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
            content((Vec<u8> = "application/pdf"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/heic"))),
        (status = 404, description = "No such document of the caller.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/applications/{application_id}/documents/{document_id}")]
pub async fn download_document(
    state: web::Data<AppState>,
    p: Principal,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let resident = p.resident()?.to_owned();
    let (app_id, doc_id) = path.into_inner();
    let doc = state
        .db
        .run(move |conn| {
            store::find_for_resident(conn, &app_id, &resident)?;
            Ok(store::find_document(conn, &app_id, &doc_id)?)
        })
        .await?;
    serve(&state, doc).await
}
