//! CSV exports: one writer, one error, one response shape for every route
//! that offers `format=csv`.

use axum::{
    http::header,
    response::{IntoResponse, Response},
};
use ledger_http::ApiError;

/// A CSV document written in memory (small exports: the état des AP/AE).
pub struct Csv(csv::Writer<Vec<u8>>);

/// A row that could not be written: the export fails as a whole rather than
/// answering with a truncated file.
pub fn failed(e: csv::Error) -> ApiError {
    tracing::error!(error = %e, "csv export failed");
    ApiError::unavailable("export_failed", "the export could not be written")
}

/// Rows as CSV, with the header line if `header` (their field names).
pub fn rows<T: serde::Serialize>(rows: &[T], header: bool) -> Result<Vec<u8>, std::io::Error> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(header)
        .from_writer(Vec::new());
    for row in rows {
        writer.serialize(row).map_err(std::io::Error::other)?;
    }
    writer.into_inner().map_err(|e| e.into_error())
}

/// A CSV download named `filename`.
pub fn download(filename: &str, body: impl IntoResponse) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

impl Csv {
    pub fn new() -> Self {
        Self(csv::Writer::from_writer(Vec::new()))
    }

    /// A row of fields.
    pub fn record<I, F>(&mut self, fields: I) -> Result<(), ApiError>
    where
        I: IntoIterator<Item = F>,
        F: AsRef<[u8]>,
    {
        self.0.write_record(fields).map_err(failed)
    }

    /// The document as a download named `filename`.
    pub fn into_response(self, filename: &str) -> Result<Response, ApiError> {
        let bytes = self
            .0
            .into_inner()
            .map_err(|e| failed(csv::Error::from(e.into_error())))?;
        Ok(download(filename, bytes))
    }
}
