//! Access by role: every kind of route against every kind of caller, with
//! no token and with a forged one; and the OpenAPI document covers every
//! route the read API serves.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use ledger_tests::{award, TestLedger};
use serde_json::Value;

async fn status(
    ledger: &TestLedger,
    method: &str,
    url: String,
    token: Option<&str>,
    source: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    // A client without the harness's default token.
    let client = reqwest::Client::new();
    let mut request = match method {
        "POST" => client.post(url),
        _ => client.get(url),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(source) = source {
        request = request.header("X-Source-System", source);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let code = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    let _ = ledger;
    (code, body)
}

/// Route, method, token, source system, expected status, expected code.
type Case<'a> = (
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    u16,
    Option<&'a str>,
);

#[tokio::test]
async fn every_role_gets_exactly_its_routes_and_refusals_say_why() {
    let ledger = TestLedger::with_envelope(1_000_000).await.unwrap();
    let controller = ledger.token("controller");
    let integrator = ledger.token("integrator");
    let ops = ledger.token("ops");
    let read = ledger.api_url("/v1/balances?envelope_id=cvl-msp");
    let state = ledger.api_url("/v1/status");
    let command = ledger.command_url("award-grant");
    let body = award("g-access", "cvl-msp", 100);

    let cases: Vec<Case> = vec![
        (&read, "GET", None, None, 401, Some("unauthenticated")),
        (
            &read,
            "GET",
            Some("forged-token"),
            None,
            401,
            Some("unauthenticated"),
        ),
        (
            &read,
            "GET",
            Some(&integrator),
            None,
            403,
            Some("forbidden"),
        ),
        (&read, "GET", Some(&ops), None, 403, Some("forbidden")),
        (&read, "GET", Some(&controller), None, 200, None),
        (&state, "GET", None, None, 401, Some("unauthenticated")),
        (
            &state,
            "GET",
            Some(&controller),
            None,
            403,
            Some("forbidden"),
        ),
        (&state, "GET", Some(&ops), None, 200, None),
        (&command, "POST", None, None, 401, Some("unauthenticated")),
        (
            &command,
            "POST",
            Some("forged-token"),
            None,
            401,
            Some("unauthenticated"),
        ),
        (
            &command,
            "POST",
            Some(&controller),
            None,
            403,
            Some("forbidden"),
        ),
        (&command, "POST", Some(&ops), None, 403, Some("forbidden")),
        // An integrator acts for its own source system only.
        (
            &command,
            "POST",
            Some(&integrator),
            Some("finance"),
            403,
            Some("forbidden"),
        ),
        (
            &command,
            "POST",
            Some(&integrator),
            Some("rh-test"),
            201,
            None,
        ),
    ];
    for (url, method, token, source, want, code) in cases {
        let (got, answer) =
            status(&ledger, method, url.to_owned(), token, source, Some(&body)).await;
        let who = token.map_or("no token", |t| t.rsplit('-').nth(1).unwrap_or(t));
        assert_eq!(got, want, "{method} {url} as {who}: {answer}");
        if let Some(code) = code {
            assert_eq!(answer["error"]["code"], code, "{method} {url} as {who}");
        }
    }
    // Refused commands left nothing: exactly one award on the topic, and
    // its source system is the integrator's own.
    let awards: Vec<_> = ledger
        .grants_events()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| {
            e.command_id != "setup-programme"
                && e.command_id != "setup-envelope"
                && !e.command_id.starts_with("setup-credits-")
        })
        .collect();
    assert_eq!(awards.len(), 1);
    assert_eq!(awards[0].source_system, "rh-test");
    // Without a source system header the token's own is used.
    let (got, answer) = status(
        &ledger,
        "POST",
        command.clone(),
        Some(&integrator),
        None,
        Some(&award("g-access-2", "cvl-msp", 100)),
    )
    .await;
    assert_eq!(got, 201, "{answer}");
    let events = ledger.grants_events().await.unwrap();
    let second = events
        .iter()
        .find(|e| e.stream.as_ref().is_some_and(|s| s.id == "g-access-2"))
        .unwrap();
    assert_eq!(second.source_system, "rh-test");
    // Any known caller may ask who it is and what its roles allow (the
    // dashboard shows only those pages); an unknown one may not.
    let me = ledger.api_url("/v1/me");
    for (token, want) in [
        (&controller, serde_json::json!(["controller"])),
        (&ops, serde_json::json!(["ops"])),
        (&integrator, serde_json::json!(["integrator"])),
    ] {
        let (got, answer) = status(&ledger, "GET", me.clone(), Some(token), None, None).await;
        assert_eq!((got, &answer["roles"]), (200, &want), "{answer}");
    }
    let (got, answer) = status(&ledger, "GET", me, Some("forged-token"), None, None).await;
    assert_eq!(
        (got, &answer["error"]["code"]),
        (401, &serde_json::json!("unauthenticated"))
    );
    ledger.shutdown().await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_of_the_read_api() {
    let ledger = TestLedger::start().await.unwrap();
    let (code, doc) = ledger.get("/openapi.json").await.unwrap();
    assert_eq!(code, 200);
    let paths: Vec<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    // The document comes from the routes; each of its paths answers (not
    // with the 404 of an unknown route), and no route is missing from it.
    let served = [
        "/v1/balances",
        "/v1/envelopes/{envelope_id}/balance",
        "/v1/journal",
        "/v1/credits",
        "/v1/etat-ap-ae",
        "/v1/events/{event_id}",
        "/v1/grants",
        "/v1/grants/{grant_id}",
        "/v1/grants/{grant_id}/recoveries",
        "/v1/loans",
        "/v1/loans/{loan_id}",
        "/v1/guarantees",
        "/v1/guarantees/{guarantee_id}/recoveries",
        "/v1/obligations",
        "/v1/centres",
        "/v1/groupings/{grouping_id}/members",
        "/v1/posts",
        "/v1/headcounts",
        "/v1/targets",
        "/v1/indicators",
        "/v1/programmes",
        "/v1/me",
        "/v1/status",
    ];
    let mut sorted = paths.clone();
    sorted.sort();
    let mut expected: Vec<String> = served.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(sorted, expected);
    for path in paths {
        let concrete = path
            .replace("{envelope_id}", "none")
            .replace("{event_id}", "01930000-0000-7000-8000-000000000000")
            .replace("{grant_id}", "none")
            .replace("{loan_id}", "none")
            .replace("{guarantee_id}", "none")
            .replace("{grouping_id}", "none");
        let (code, body) = ledger.get(&concrete).await.unwrap();
        assert!(
            code == 200 || (code == 404 && body["error"]["message"] != "no such route"),
            "{path}: {code} {body}"
        );
    }
    let (code, body) = ledger.get("/v1/nothing-here").await.unwrap();
    assert_eq!(
        (code, body["error"]["message"].as_str()),
        (404, Some("no such route"))
    );
    ledger.shutdown().await;
}

#[tokio::test]
async fn access_fails_closed_and_a_revoked_token_stops_working_without_a_restart() {
    let mut ledger = TestLedger::empty().await.unwrap();
    // No tokens file: the read API refuses to start.
    let open = ledger_api::Api::build(ledger_api::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: ledger.reader_database_url.clone(),
        projection: "ledger".into(),
        kafka: ledger_tests::kafka(),
        tokens_file: None,
        insecure_no_auth: false,
        max_connections: 2,
        max_in_flight_per_caller: 8,
    })
    .await;
    let refusal = open.err().expect("no tokens file, no start").to_string();
    assert!(refusal.contains("LEDGER_TOKENS_FILE"), "{refusal}");

    ledger.start_api().await.unwrap();
    let controller = ledger.token("controller");
    let url = ledger.api_url("/v1/balances");
    let (code, _) = status(&ledger, "GET", url.clone(), Some(&controller), None, None).await;
    assert_eq!(code, 200);
    // Revoke the controller: rewrite the file without its line.
    let path = ledger.tokens_file.clone().unwrap();
    let kept: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.contains(" controller controller"))
        .map(str::to_owned)
        .collect();
    std::fs::write(&path, kept.join("\n")).unwrap();
    let mut refused = false;
    for _ in 0..50 {
        let (code, body) = status(&ledger, "GET", url.clone(), Some(&controller), None, None).await;
        if code == 401 {
            assert_eq!(body["error"]["code"], "unauthenticated");
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(refused, "the revoked token is refused within seconds");
    let (code, _) = status(&ledger, "GET", url, Some(&ledger.token("ops")), None, None).await;
    assert_eq!(
        code, 403,
        "the others are still known (ops lacks the controller role)"
    );
    ledger.shutdown().await;
}

#[tokio::test]
async fn a_caller_past_its_share_of_requests_in_flight_gets_429_and_others_are_served() {
    let ledger = TestLedger::start().await.unwrap();
    let api = ledger_api::Api::build(ledger_api::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: ledger.reader_database_url.clone(),
        projection: "ledger".into(),
        kafka: ledger_tests::kafka(),
        tokens_file: ledger.tokens_file.clone(),
        insecure_no_auth: false,
        max_connections: 4,
        max_in_flight_per_caller: 2,
    })
    .await
    .unwrap();
    let base = format!("http://{}", api.local_addr());
    let stop = tokio_util::sync::CancellationToken::new();
    let serving = tokio::spawn(api.run(stop.clone()));
    // Six reads of one caller that each hold on for a while: waiting on a
    // position of a followed partition that no command has reached.
    let far = format!("{}:0:999999999", ledger.topics.grants);
    let slow = format!("{base}/v1/balances?wait_for={far}&wait_ms=1500");
    let controller = ledger_tests::client_with_token(&ledger.token("controller")).unwrap();
    let answers = futures::future::join_all((0..6).map(|_| {
        let (client, url) = (controller.clone(), slow.clone());
        async move {
            let response = client.get(url).send().await.unwrap();
            let retry = response.headers().get("retry-after").cloned();
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap();
            (status, retry, body)
        }
    }));
    // Meanwhile another caller is served as usual.
    let ops = ledger_tests::client_with_token(&ledger.token("ops")).unwrap();
    let other = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        ops.get(format!("{base}/v1/status"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let (answers, other) = tokio::join!(answers, other);
    assert_eq!(other, 200, "another caller is not held back");
    let admitted = answers.iter().filter(|(s, _, _)| *s == 503).count();
    let refused: Vec<_> = answers.iter().filter(|(s, _, _)| *s == 429).collect();
    assert_eq!((admitted, refused.len()), (2, 4), "{answers:?}");
    for (_, retry, body) in refused {
        assert_eq!(retry.as_ref().map(|v| v.to_str().unwrap()), Some("1"));
        assert_eq!(body["error"]["code"], "too_many_requests");
    }
    // Once they are done, the caller is served again.
    let again = controller
        .get(format!("{base}/v1/balances"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 200);
    stop.cancel();
    serving.await.unwrap().unwrap();
    ledger.shutdown().await;
}
