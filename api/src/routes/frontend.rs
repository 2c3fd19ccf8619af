//! The dashboard at `/`: the built single-page app (`frontend/dist`), read once at start-up.
//! Hashed files under `/assets/` are cached for a year; `index.html` is revalidated every time and
//! answers every client-side route (a path without a file extension). Text files are gzipped once.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::AppError;

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>rmdesk</title>\
<h1>rmdesk</h1><p>The server is running, but the dashboard has not been built. Run \
<code>npm ci &amp;&amp; npm run build</code> in <code>frontend/</code> (or point \
<code>RMDESK_FRONTEND_DIR</code> at a build) and restart. The API is at \
<a href=\"/docs/\">/docs/</a>.</p>";

struct Asset {
    content_type: &'static str,
    body: web::Bytes,
    gzip: Option<web::Bytes>,
    immutable: bool,
}

/// Every file of the build by its URL path.
#[derive(Clone, Default)]
pub struct Dashboard {
    files: Arc<HashMap<String, Asset>>,
}

impl Dashboard {
    /// Reads the build under `dir`; an empty dashboard (a page saying how to build it) when absent.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let mut files = HashMap::new();
        if dir.join("index.html").is_file() {
            read_dir(dir, dir, &mut files)
                .map_err(|e| format!("cannot read the dashboard at {}: {e}", dir.display()))?;
            tracing::info!(dir = %dir.display(), files = files.len(), "dashboard loaded");
        } else {
            tracing::warn!(dir = %dir.display(), "dashboard not built: serving a placeholder at /");
        }
        Ok(Dashboard {
            files: Arc::new(files),
        })
    }
}

fn read_dir(root: &Path, dir: &Path, files: &mut HashMap<String, Asset>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            read_dir(root, &path, files)?;
            continue;
        }
        let Ok(relative) = path.strip_prefix(root) else {
            continue;
        };
        let url = format!("/{}", relative.to_string_lossy().replace('\\', "/"));
        let body = std::fs::read(&path)?;
        let content_type = content_type(&url);
        let gzip = if is_text(content_type) && body.len() > 512 {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            encoder.write_all(&body)?;
            Some(web::Bytes::from(encoder.finish()?))
        } else {
            None
        };
        files.insert(
            url.clone(),
            Asset {
                content_type,
                body: web::Bytes::from(body),
                gzip,
                immutable: url.starts_with("/assets/"),
            },
        );
    }
    Ok(())
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn is_text(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/json")
        || content_type.starts_with("image/svg")
}

async fn serve(
    req: HttpRequest,
    dashboard: web::Data<Dashboard>,
) -> Result<HttpResponse, AppError> {
    let path = req.path();
    if path.starts_with("/api/") {
        return Err(AppError::NotFound("resource"));
    }
    if dashboard.files.is_empty() {
        return if path == "/" || path == "/index.html" {
            Ok(HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-cache"))
                .body(NOT_BUILT))
        } else {
            Err(AppError::NotFound("resource"))
        };
    }
    let last_segment = path.rsplit('/').next().unwrap_or("");
    let asset = match dashboard.files.get(path) {
        Some(asset) if path != "/" => asset,
        // A client-side route: the app decides what to show.
        _ if !last_segment.contains('.') => dashboard
            .files
            .get("/index.html")
            .ok_or(AppError::NotFound("resource"))?,
        _ => return Err(AppError::NotFound("resource")),
    };
    let mut response = HttpResponse::Ok();
    response
        .content_type(asset.content_type)
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((
            header::CACHE_CONTROL,
            if asset.immutable {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            },
        ));
    let accepts_gzip = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    Ok(match (&asset.gzip, accepts_gzip) {
        (Some(gzip), true) => response
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(gzip.clone()),
        _ => response.body(asset.body.clone()),
    })
}

/// Serves the dashboard for every GET the API, the docs and the probes did not answer.
pub fn configure(cfg: &mut web::ServiceConfig, dashboard: Dashboard) {
    cfg.app_data(web::Data::new(dashboard))
        .route("/", web::get().to(serve))
        .route("/{tail:.*}", web::get().to(serve));
}
