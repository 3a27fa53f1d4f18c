//! The dashboard (docs/dashboard.md): a page and its scripts, embedded in
//! the binary and served without a token. It holds no figure of its own:
//! the browser asks `/v1` with the token the user typed in, so every figure
//! it shows is one the API answered, under the caller's roles.

use axum::{
    extract::Path,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Router,
};

/// Every file of the dashboard: path under `/ui/`, media type, content.
/// uPlot (MIT, its licence beside it) is vendored from npm by
/// tests/browser/vendor.sh at the version tests/browser/package.json pins.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "",
        "text/html; charset=utf-8",
        include_bytes!("../ui/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../ui/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../ui/app.css"),
    ),
    (
        "vendor/uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../ui/vendor/uPlot.iife.min.js"),
    ),
    (
        "vendor/uPlot.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../ui/vendor/uPlot.min.css"),
    ),
    (
        "vendor/uPlot.LICENSE",
        "text/plain; charset=utf-8",
        include_bytes!("../ui/vendor/uPlot.LICENSE"),
    ),
];

/// Nothing but the project's own files and the API: no outside script,
/// style, font or connection, and the page cannot be framed.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn asset(path: &str) -> Response {
    let Some((_, media_type, body)) = ASSETS.iter().find(|(p, _, _)| *p == path) else {
        return (StatusCode::NOT_FOUND, "no such file in the dashboard").into_response();
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(media_type)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            // Served from the binary: a new release is a new file, so the
            // browser asks again rather than keep an old script.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        *body,
    )
        .into_response()
}

/// `/` sends to the dashboard; `/ui/` is its page, `/ui/<file>` its files.
pub fn router() -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui/") }))
        .route("/ui", get(|| async { Redirect::to("/ui/") }))
        .route("/ui/", get(|| async { asset("") }))
        .route(
            "/ui/{*file}",
            get(|Path(file): Path<String>| async move { asset(&file) }),
        )
}
