//! Pages of the registers whose query answers the whole filtered list in a
//! stable order (loans, guarantees, centres, posts, indicators): `limit` rows after the
//! row named by `after`, and the `next` cursor while more follow.

use ledger_http::ApiError;
use serde::Deserialize;

use crate::params;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Cursor: `next` of the previous page.
    pub after: Option<String>,
    /// Rows per page (default 100, at most 1000).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

/// The page of `rows` (in their order) after the row whose `key` is
/// `after`, and the cursor of the next one. A cursor naming no row of the
/// list is `404`: the list asked is not the one the cursor came from.
pub fn page<T>(
    rows: Vec<T>,
    p: &PageParams,
    key: impl Fn(&T) -> &str,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let limit = usize::try_from(params::limit(&p.limit)?).unwrap_or(usize::MAX);
    let start = match p.after.as_deref() {
        None => 0,
        Some(cursor) => {
            rows.iter()
                .position(|row| key(row) == cursor)
                .ok_or_else(|| {
                    let mut err = ApiError::not_found(format!(
                        "no row {cursor:?} in this list: `after` takes the `next` of a page of the same query"
                    ));
                    err.field = Some("after".into());
                    err
                })?
                + 1
        }
    };
    let mut page: Vec<T> = rows.into_iter().skip(start).collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let next = if more {
        page.last().map(|row| key(row).to_owned())
    } else {
        None
    };
    Ok((page, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(after: Option<&str>, limit: &str) -> PageParams {
        PageParams {
            after: after.map(str::to_owned),
            limit: Some(limit.to_owned()),
        }
    }

    #[test]
    fn pages_follow_each_other_without_gap_or_repeat() {
        let rows = || vec!["a", "b", "c", "d", "e"];
        let (first, next) = page(rows(), &ask(None, "2"), |r| r).unwrap();
        assert_eq!((first, next.as_deref()), (vec!["a", "b"], Some("b")));
        let (second, next) = page(rows(), &ask(Some("b"), "2"), |r| r).unwrap();
        assert_eq!((second, next.as_deref()), (vec!["c", "d"], Some("d")));
        let (last, next) = page(rows(), &ask(Some("d"), "2"), |r| r).unwrap();
        assert_eq!((last, next), (vec!["e"], None));
        let (exact, next) = page(rows(), &ask(None, "5"), |r| r).unwrap();
        assert_eq!(
            (exact.len(), next),
            (5, None),
            "no next when nothing follows"
        );
        let err = page(rows(), &ask(Some("zz"), "2"), |r| r).unwrap_err();
        assert_eq!(
            (err.status.as_u16(), err.field.as_deref()),
            (404, Some("after"))
        );
        assert!(page(rows(), &ask(None, "0"), |r| r).is_err());
    }
}
