//! The workforce context's rules, without I/O.

use ledger_proto::v1::{
    event_envelope::Payload, CentreClosed, CentreOpened, ClosePost, HireProfessional, LegalEntity,
    OpenPost, Profession, RecordDeparture,
};

use super::{WorkforceBook, WorkforceCommand};
use crate::{Decider, ErrorCode};

fn employer() -> Option<LegalEntity> {
    Some(LegalEntity {
        siret: "23450002300028".into(),
        name: "GIP Ma santé, Ma Région".into(),
        finess: String::new(),
    })
}

fn book() -> WorkforceBook {
    let mut book = WorkforceBook::default();
    book.observe(&Payload::CentreOpened(CentreOpened {
        centre_id: "scv".into(),
        ..Default::default()
    }));
    book
}

fn run(book: &mut WorkforceBook, command: WorkforceCommand) -> Result<(), ErrorCode> {
    let decision = book.decide(&command).map_err(|e| e.code)?;
    book.apply(&decision.payload).expect("applies");
    Ok(())
}

fn hire(person: &str, post: &str, centre: &str) -> WorkforceCommand {
    WorkforceCommand::HireProfessional(HireProfessional {
        person_id: person.into(),
        employment_id: "e1".into(),
        post_id: post.into(),
        centre_id: centre.into(),
        employer: employer(),
        profession: Profession::GeneralPractitioner as i32,
        fte_milli: 1000,
        start_date: "2022-03-01".into(),
        occurred_at: None,
    })
}

fn leave(person: &str) -> WorkforceCommand {
    WorkforceCommand::RecordDeparture(RecordDeparture {
        person_id: person.into(),
        employment_id: "e1".into(),
        left_on: "2023-03-01".into(),
        reason: String::new(),
        occurred_at: None,
    })
}

#[test]
fn a_post_is_filled_once_and_closed_only_when_vacant() {
    let mut book = book();
    run(&mut book, open_post("post-1")).unwrap();
    run(&mut book, hire("p-1", "post-1", "scv")).unwrap();
    assert_eq!(
        run(&mut book, hire("p-2", "post-1", "scv")),
        Err(ErrorCode::InvalidState)
    );
    let close = WorkforceCommand::ClosePost(ClosePost {
        post_id: "post-1".into(),
        closed_on: "2024-01-01".into(),
        ..Default::default()
    });
    assert_eq!(run(&mut book, close.clone()), Err(ErrorCode::InvalidState));
    run(&mut book, leave("p-1")).unwrap();
    run(&mut book, close).unwrap();
}

#[test]
fn headcount_never_goes_negative() {
    let mut book = book();
    run(&mut book, hire("p-1", "", "scv")).unwrap();
    assert_eq!(book.headcount["scv"], 1);
    run(&mut book, leave("p-1")).unwrap();
    assert_eq!(book.headcount["scv"], 0);
    assert_eq!(run(&mut book, leave("p-1")), Err(ErrorCode::NotFound));
    assert_eq!(book.headcount["scv"], 0);
}

#[test]
fn no_hire_at_a_closed_or_unknown_centre() {
    let mut book = book();
    assert_eq!(
        run(&mut book, hire("p-1", "", "elsewhere")),
        Err(ErrorCode::NotFound)
    );
    book.observe(&Payload::CentreClosed(CentreClosed {
        centre_id: "scv".into(),
        ..Default::default()
    }));
    assert_eq!(
        run(&mut book, hire("p-1", "", "scv")),
        Err(ErrorCode::InvalidState)
    );
}

fn open_post(post: &str) -> WorkforceCommand {
    WorkforceCommand::OpenPost(OpenPost {
        post_id: post.into(),
        centre_id: "scv".into(),
        employer: employer(),
        profession: Profession::GeneralPractitioner as i32,
        fte_milli: 1000,
        opened_on: "2022-02-01".into(),
        ..Default::default()
    })
}

/// Every order a replay may fold the events in: a post's events and its
/// holders' are keyed by post and by person, so on different partitions,
/// and only each one's own order is kept.
#[test]
fn a_rebuilt_book_is_the_same_whatever_the_order_of_partitions() {
    let mut live = book();
    // Partitions: the post's, p-1's, p-2's.
    let mut partitions: [Vec<Payload>; 3] = Default::default();
    for (p, command) in [
        (0, open_post("post-1")),
        (1, hire("p-1", "post-1", "scv")),
        (1, leave("p-1")),
        (2, hire("p-2", "post-1", "scv")),
    ] {
        let decision = live.decide(&command).expect("accepted live");
        live.apply(&decision.payload).expect("applies");
        partitions[p].push(decision.payload);
    }
    for order in [
        [0, 1, 2],
        [1, 2, 0],
        [2, 1, 0],
        [2, 0, 1],
        [1, 0, 2],
        [0, 2, 1],
    ] {
        let mut rebuilt = book();
        for p in order {
            for event in &partitions[p] {
                rebuilt
                    .apply(event)
                    .unwrap_or_else(|e| panic!("{order:?}: {e}"));
            }
        }
        assert_eq!(rebuilt.headcount["scv"], 1, "{order:?}");
        // p-2 holds the post: no third hire, and it cannot close.
        assert_eq!(
            run(&mut rebuilt.clone(), hire("p-3", "post-1", "scv")),
            Err(ErrorCode::InvalidState),
            "{order:?}"
        );
        let close = WorkforceCommand::ClosePost(ClosePost {
            post_id: "post-1".into(),
            closed_on: "2024-01-01".into(),
            ..Default::default()
        });
        assert_eq!(
            run(&mut rebuilt.clone(), close.clone()),
            Err(ErrorCode::InvalidState),
            "{order:?}"
        );
        run(&mut rebuilt, leave("p-2")).unwrap();
        run(&mut rebuilt, close).unwrap();
    }
}
