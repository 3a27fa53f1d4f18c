//! PostgreSQL takes password logins over TLS only, and each service's role
//! can do what its service needs and no more: the read API's role reads the
//! read model and cannot change a row of it.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use ledger_tests::{database_url, with_database, with_role, TestLedger};
use sqlx::{Connection, PgConnection};

/// The SQLSTATE of a refused statement or login.
async fn refusal(url: &str, sql: &str) -> String {
    let mut conn = match PgConnection::connect(url).await {
        Ok(conn) => conn,
        Err(err) => {
            return err
                .as_database_error()
                .and_then(|e| e.code())
                .map_or(format!("connect: {err}"), |c| c.into_owned())
        }
    };
    match sqlx::query(sql).execute(&mut conn).await {
        Ok(done) => panic!("{sql} was allowed ({} rows)", done.rows_affected()),
        Err(err) => err
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.into_owned())
            .unwrap_or_else(|| format!("{err}")),
    }
}

#[tokio::test]
async fn the_read_apis_role_reads_and_cannot_write() {
    let ledger = TestLedger::with_envelope(1_000_000).await.unwrap();
    let reader = &ledger.reader_database_url;
    let mut conn = PgConnection::connect(reader).await.unwrap();
    let (envelopes,): (i64,) = sqlx::query_as("SELECT count(*) FROM envelopes")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(envelopes <= 1, "reads work");
    for sql in [
        "INSERT INTO projection_offsets (projection, topic, partition, next_offset) VALUES ('x', 'x', 0, 0)",
        "UPDATE envelopes SET label = label || '!'",
        "DELETE FROM events",
        "TRUNCATE postings",
        "CREATE TABLE forged (id int)",
        "DROP TABLE grants",
    ] {
        // 42501: insufficient_privilege (CREATE in a schema it does not own
        // and DROP of a table it does not own say the same).
        assert_eq!(refusal(reader, sql).await, "42501", "{sql}");
    }
    ledger.shutdown().await;
}

#[tokio::test]
async fn no_login_without_tls_or_with_a_wrong_password() {
    let admin = database_url();
    // Without TLS, pg_hba.conf has no line for the connection at all.
    let plain = admin.replace("sslmode=verify-full", "sslmode=disable");
    assert_ne!(plain, admin, "the stack's URL asks for verify-full");
    assert_eq!(
        refusal(&plain, "SELECT 1").await,
        "28000",
        "invalid_authorization_specification"
    );
    // A wrong password: 28P01 invalid_password.
    let (scheme, rest) = admin.split_once("://").unwrap();
    let (_, host) = rest.rsplit_once('@').unwrap();
    let wrong = format!("{scheme}://ledger:not-the-password@{host}");
    assert_eq!(refusal(&wrong, "SELECT 1").await, "28P01");
    // The read API's role may not even connect to the personal-data store.
    let persons = with_role(&with_database(&admin, "ledger_persons"), "ledger_api");
    assert_eq!(
        refusal(&persons, "SELECT 1").await,
        "42501",
        "CONNECT revoked"
    );
    // The keys are apart from the details: the role that holds the sealed
    // details cannot reach the key database, nor the API's.
    for role in ["ledger_persons", "ledger_api"] {
        let keys = with_role(&with_database(&admin, "ledger_person_keys"), role);
        assert_eq!(
            refusal(&keys, "SELECT 1").await,
            "42501",
            "{role} on the key database"
        );
    }
}
