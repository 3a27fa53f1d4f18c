//! docs/api.md lists every route of the read API with its parameters
//! (`GET /v1/path?a&b`, in its tables): they must be the served document's.

use std::collections::{BTreeMap, BTreeSet};

/// Parameters every read takes, which the doc states once.
const EVERY_READ: [&str; 4] = ["as_of", "known_at", "wait_for", "wait_ms"];

fn documented() -> BTreeMap<String, BTreeSet<String>> {
    let doc = include_str!("../../../docs/api.md");
    let mut routes = BTreeMap::new();
    for line in doc.lines().filter(|l| l.starts_with("| `GET /v1/")) {
        let route = &line["| `GET ".len()..];
        let route = &route[..route.find('`').expect("a closing backtick")];
        let (path, query) = route.split_once('?').unwrap_or((route, ""));
        let params = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        assert!(
            routes.insert(path.to_owned(), params).is_none(),
            "{path} is listed twice in docs/api.md"
        );
    }
    routes
}

fn served() -> BTreeMap<String, BTreeSet<String>> {
    let doc = serde_json::to_value(ledger_api::openapi()).expect("the document serialises");
    doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .filter(|(path, _)| path.starts_with("/v1/"))
        .map(|(path, item)| {
            let params = item["get"]["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str())
                .filter(|name| !EVERY_READ.contains(name))
                .map(str::to_owned)
                .collect();
            (path.clone(), params)
        })
        .collect()
}

#[test]
fn the_routes_and_parameters_in_docs_api_md_are_the_served_documents() {
    let (documented, served) = (documented(), served());
    let missing: Vec<_> = served
        .keys()
        .filter(|p| !documented.contains_key(*p))
        .collect();
    let stale: Vec<_> = documented
        .keys()
        .filter(|p| !served.contains_key(*p))
        .collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "served but not in docs/api.md: {missing:?}; in docs/api.md but not served: {stale:?}"
    );
    for (path, params) in &served {
        assert_eq!(
            &documented[path], params,
            "{path}: the parameters docs/api.md lists, and the served ones"
        );
    }
}
