//! Rows in PostgreSQL's COPY text format, built in memory and sent with one
//! `COPY … FROM STDIN` per table and batch.
//!
//! Fields are separated by tabs, rows end with a newline, `\N` is NULL, and
//! backslash, tab, newline and carriage return are escaped.

use std::fmt::Write as _;

use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// The rows of one table, in COPY text format.
#[derive(Debug, Default, Clone)]
pub(crate) struct CopyBuf {
    bytes: Vec<u8>,
    rows: usize,
    /// Whether the current row has a field yet (a tab goes before the next).
    open: bool,
}

/// One row being written: fields in the order of the COPY column list.
pub(crate) struct RowWriter<'a> {
    buf: &'a mut CopyBuf,
}

impl CopyBuf {
    pub fn row(&mut self) -> RowWriter<'_> {
        self.open = false;
        RowWriter { buf: self }
    }

    /// A row made of an encoded prefix (fields known when the row was
    /// created) followed by more fields.
    pub fn row_with_prefix(&mut self, prefix: &[u8]) -> RowWriter<'_> {
        self.bytes.extend_from_slice(prefix);
        self.open = !prefix.is_empty();
        RowWriter { buf: self }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The fields written so far of an unfinished row, taken out (the prefix
    /// of a row whose last columns are only known later).
    pub fn take_prefix(&mut self) -> Vec<u8> {
        self.open = false;
        std::mem::take(&mut self.bytes)
    }
}

impl RowWriter<'_> {
    fn sep(&mut self) {
        if self.buf.open {
            self.buf.bytes.push(b'\t');
        }
        self.buf.open = true;
    }

    fn raw(mut self, s: &str) -> Self {
        self.sep();
        self.buf.bytes.extend_from_slice(s.as_bytes());
        self
    }

    pub fn null(mut self) -> Self {
        self.sep();
        self.buf.bytes.extend_from_slice(b"\\N");
        self
    }

    pub fn text(mut self, s: &str) -> Self {
        self.sep();
        escape_into(&mut self.buf.bytes, s);
        self
    }

    pub fn opt_text(self, s: Option<&str>) -> Self {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    pub fn int(self, n: i64) -> Self {
        self.raw(&n.to_string())
    }

    pub fn opt_int(self, n: Option<i64>) -> Self {
        match n {
            Some(n) => self.int(n),
            None => self.null(),
        }
    }

    pub fn boolean(self, b: bool) -> Self {
        self.raw(if b { "t" } else { "f" })
    }

    pub fn uuid(self, u: Uuid) -> Self {
        self.raw(u.hyphenated().encode_lower(&mut Uuid::encode_buffer()))
    }

    pub fn date(self, d: Date) -> Self {
        let mut s = String::with_capacity(10);
        let _ = write!(
            s,
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        );
        self.raw(&s)
    }

    pub fn opt_date(self, d: Option<Date>) -> Self {
        match d {
            Some(d) => self.date(d),
            None => self.null(),
        }
    }

    /// An instant in UTC, truncated to the microsecond as PostgreSQL keeps it
    /// (the same truncation as sqlx's binary encoding, so both paths agree).
    pub fn instant(self, t: OffsetDateTime) -> Self {
        let t = t.to_offset(time::UtcOffset::UTC);
        let mut s = String::with_capacity(32);
        let _ = write!(
            s,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.microsecond()
        );
        self.raw(&s)
    }

    pub fn opt_instant(self, t: Option<OffsetDateTime>) -> Self {
        match t {
            Some(t) => self.instant(t),
            None => self.null(),
        }
    }

    /// bytea in hex form; the backslash of `\x` is itself escaped.
    pub fn bytea(self, b: &[u8]) -> Self {
        let mut s = String::with_capacity(3 + 2 * b.len());
        s.push_str("\\\\x");
        s.push_str(&hex::encode(b));
        self.raw(&s)
    }

    /// Ends the row.
    pub fn end(self) {
        self.buf.bytes.push(b'\n');
        self.buf.rows += 1;
        self.buf.open = false;
    }
}

fn escape_into(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// The encoded leading fields of a row whose last columns come later.
pub(crate) fn prefix(write: impl FnOnce(RowWriter<'_>) -> RowWriter<'_>) -> Vec<u8> {
    let mut buf = CopyBuf::default();
    let _ = write(buf.row());
    buf.take_prefix()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_escaped_and_nulls_marked() {
        let mut buf = CopyBuf::default();
        buf.row()
            .text("a\tb\\c\nd")
            .null()
            .int(-42)
            .boolean(true)
            .bytea(&[0xde, 0xad])
            .end();
        assert_eq!(
            std::str::from_utf8(buf.bytes()).unwrap_or_default(),
            "a\\tb\\\\c\\nd\t\\N\t-42\tt\t\\\\xdead\n"
        );
        assert_eq!(buf.rows(), 1);
    }

    #[test]
    fn a_prefix_continues_with_a_tab() {
        let p = prefix(|r| r.text("x").int(1));
        let mut buf = CopyBuf::default();
        buf.row_with_prefix(&p).int(2).end();
        assert_eq!(buf.bytes(), b"x\t1\t2\n");
    }

    #[test]
    fn instants_are_utc_and_truncated_to_microseconds() {
        let t = time::macros::datetime!(2025-12-31 23:59:59.123456789 +01:00);
        let mut buf = CopyBuf::default();
        buf.row().instant(t).date(t.date()).end();
        assert_eq!(buf.bytes(), b"2025-12-31 22:59:59.123456+00\t2025-12-31\n");
    }
}
