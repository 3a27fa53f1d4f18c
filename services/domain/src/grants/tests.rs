//! The grants context's rules, without I/O.

use ledger_proto::v1::{
    beneficiary::Party, event_envelope::Payload, AmendGrant, AuthorisationKind, AwardGrant,
    Beneficiary, BudgetSection, CancelGrant, CloseEnvelope, CloseGrant, CreditVote,
    DeclareProgramme, Funder, FunderKind, GrantKind, GrantOutcome, Imputation, Instalment,
    LegalEntity, MakePayment, ObligationTerms, OpenEnvelope, OrderRecovery, ReceiveRecovery,
    RecoveryAdjustment, RecoveryReason, RecoveryRule, RepayLoan, ReviseEnvelope, Territory,
    VoteCredits, WriteOffLoan,
};
use proptest::prelude::*;

use super::{GrantsBook, GrantsCommand};
use crate::{Decider, DomainError, ErrorCode};

fn programme() -> DeclareProgramme {
    DeclareProgramme {
        programme_id: "prog".into(),
        funder: Some(Funder {
            kind: FunderKind::Region as i32,
            code: "24".into(),
            name: "Région".into(),
        }),
        name: "Plan".into(),
        period_start: "2018-01-01".into(),
        period_end: "2028-12-31".into(),
        ..Default::default()
    }
}

fn envelope(amount_cents: i64) -> OpenEnvelope {
    OpenEnvelope {
        envelope_id: "env".into(),
        programme_id: "prog".into(),
        kind: AuthorisationKind::Ap as i32,
        amount_cents,
        period_start: "2018-01-01".into(),
        period_end: "2025-12-31".into(),
        vote_reference: "CR-1".into(),
        effective_date: "2018-03-01".into(),
        imputation: Some(Imputation {
            section: BudgetSection::Investissement as i32,
            chapitre: "204".into(),
            nature: "204142".into(),
            fonction: "41".into(),
        }),
        ..Default::default()
    }
}

/// CP for the test envelope's chapter in one fiscal year.
fn credits(fiscal_year: i32, delta_cents: i64) -> GrantsCommand {
    GrantsCommand::VoteCredits(VoteCredits {
        funder: programme().funder,
        fiscal_year,
        section: BudgetSection::Investissement as i32,
        chapitre: "204".into(),
        delta_cents,
        vote: CreditVote::BudgetPrimitif as i32,
        vote_reference: format!("BP {fiscal_year}"),
        effective_date: "2018-01-01".into(),
        ..Default::default()
    })
}

fn award(id: &str, amount_cents: i64) -> AwardGrant {
    AwardGrant {
        grant_id: id.into(),
        envelope_id: "env".into(),
        beneficiary: Some(Beneficiary {
            party: Some(Party::PersonId("p-1".into())),
        }),
        kind: GrantKind::Bursary as i32,
        amount_cents,
        purpose: "bourse".into(),
        effective_date: "2022-09-01".into(),
        ..Default::default()
    }
}

/// Decides and applies, as the writer does.
fn run(book: &mut GrantsBook, command: GrantsCommand) -> Result<Payload, DomainError> {
    let decision = book.decide(&command)?;
    book.apply(&decision.payload)
        .expect("an accepted event applies");
    Ok(decision.payload)
}

/// A programme, its envelope, and ample CP for 2018–2030.
fn book_with_envelope(amount_cents: i64) -> GrantsBook {
    let mut book = GrantsBook::default();
    run(&mut book, GrantsCommand::DeclareProgramme(programme())).unwrap();
    run(
        &mut book,
        GrantsCommand::OpenEnvelope(envelope(amount_cents)),
    )
    .unwrap();
    for year in 2018..=2030 {
        run(&mut book, credits(year, 1_000_000_000)).unwrap();
    }
    book
}

fn refusal(book: &GrantsBook, command: GrantsCommand) -> (ErrorCode, Option<String>) {
    let err = book.decide(&command).unwrap_err();
    (err.code, err.field)
}

#[test]
fn awards_commit_until_the_envelope_is_exhausted() {
    let mut book = book_with_envelope(1_000);
    run(&mut book, GrantsCommand::AwardGrant(award("a", 600))).unwrap();
    assert_eq!(book.envelopes["env"].available().get(), 400);
    assert_eq!(
        refusal(&book, GrantsCommand::AwardGrant(award("b", 401))),
        (
            ErrorCode::EnvelopeOvercommitted,
            Some("amount_cents".into())
        )
    );
    run(&mut book, GrantsCommand::AwardGrant(award("b", 400))).unwrap();
    assert_eq!(book.envelopes["env"].available().get(), 0);
}

#[test]
fn awards_are_keyed_by_their_envelope() {
    let book = book_with_envelope(1_000);
    let decision = book
        .decide(&GrantsCommand::AwardGrant(award("a", 1)))
        .unwrap();
    assert_eq!(decision.key, "env");
    assert_eq!(
        (decision.stream.r#type.as_str(), decision.stream.id.as_str()),
        ("grant", "a")
    );
}

#[test]
fn references_and_uniqueness() {
    let mut book = book_with_envelope(1_000);
    let mut unknown = award("a", 1);
    unknown.envelope_id = "nope".into();
    assert_eq!(
        refusal(&book, GrantsCommand::AwardGrant(unknown)).0,
        ErrorCode::NotFound
    );
    run(&mut book, GrantsCommand::AwardGrant(award("a", 1))).unwrap();
    assert_eq!(
        refusal(&book, GrantsCommand::AwardGrant(award("a", 1))).0,
        ErrorCode::AlreadyExists
    );
    assert_eq!(
        refusal(&book, GrantsCommand::OpenEnvelope(envelope(5))).0,
        ErrorCode::AlreadyExists
    );
    let mut orphan = envelope(5);
    orphan.envelope_id = "other".into();
    orphan.programme_id = "missing".into();
    assert_eq!(
        refusal(&book, GrantsCommand::OpenEnvelope(orphan)).0,
        ErrorCode::NotFound
    );
}

#[test]
fn fields_are_validated_with_their_path() {
    let book = book_with_envelope(1_000);
    let cases: Vec<(AwardGrant, &str)> = vec![
        (
            AwardGrant {
                amount_cents: 0,
                ..award("a", 0)
            },
            "amount_cents",
        ),
        (
            AwardGrant {
                kind: 0,
                ..award("a", 1)
            },
            "kind",
        ),
        (
            AwardGrant {
                kind: 77,
                ..award("a", 1)
            },
            "kind",
        ),
        (
            AwardGrant {
                purpose: " ".into(),
                ..award("a", 1)
            },
            "purpose",
        ),
        (
            AwardGrant {
                grant_id: "a b".into(),
                ..award("a", 1)
            },
            "grant_id",
        ),
        (
            AwardGrant {
                beneficiary: None,
                ..award("a", 1)
            },
            "beneficiary",
        ),
        (
            AwardGrant {
                effective_date: "2022-13-01".into(),
                ..award("a", 1)
            },
            "effective_date",
        ),
        (
            AwardGrant {
                beneficiary: Some(Beneficiary {
                    party: Some(Party::LegalEntity(LegalEntity {
                        siret: "12345678901234".into(),
                        name: "X".into(),
                        finess: String::new(),
                    })),
                }),
                ..award("a", 1)
            },
            "beneficiary.legal_entity.siret",
        ),
        (
            AwardGrant {
                territory: Some(Territory {
                    region_code: "24".into(),
                    departement_code: "41".into(),
                    commune_code: "37072".into(),
                }),
                ..award("a", 1)
            },
            "territory.commune_code",
        ),
        (
            AwardGrant {
                obligation: Some(ObligationTerms {
                    duration_months: 36,
                    recovery_rule: 0,
                    ..Default::default()
                }),
                ..award("a", 1)
            },
            "obligation.recovery_rule",
        ),
    ];
    for (command, field) in cases {
        let (code, got) = refusal(&book, GrantsCommand::AwardGrant(command));
        assert_eq!(
            (code, got.as_deref()),
            (ErrorCode::InvalidField, Some(field))
        );
    }
}

#[test]
fn commitments_only_within_the_envelope_period() {
    let book = book_with_envelope(1_000);
    let late = AwardGrant {
        effective_date: "2026-01-01".into(),
        ..award("a", 1)
    };
    assert_eq!(
        refusal(&book, GrantsCommand::AwardGrant(late)),
        (ErrorCode::InvalidState, Some("effective_date".into()))
    );
    let mut outside = envelope(5);
    outside.envelope_id = "e2".into();
    outside.period_end = "2029-01-01".into();
    assert_eq!(
        refusal(&book, GrantsCommand::OpenEnvelope(outside)).0,
        ErrorCode::InvalidField
    );
}

#[test]
fn a_bursary_schedule_adds_up_to_its_amount() {
    let book = book_with_envelope(2_000_000);
    // €12,000 bursary: €500 a month over 24 months (seed 002).
    let schedule: Vec<Instalment> = (0..24)
        .map(|m| Instalment {
            due_date: format!("{}-{:02}-05", 2022 + (8 + m) / 12, (8 + m) % 12 + 1),
            amount_cents: 50_000,
        })
        .collect();
    let ok = AwardGrant {
        schedule: schedule.clone(),
        obligation: Some(ObligationTerms {
            duration_months: 36,
            territory: Some(Territory {
                departement_code: "41".into(),
                ..Default::default()
            }),
            recovery_rule: RecoveryRule::Prorata as i32,
            description: "Exercer 3 ans en Loir-et-Cher".into(),
        }),
        ..award("bourse", 1_200_000)
    };
    assert!(book.decide(&GrantsCommand::AwardGrant(ok.clone())).is_ok());
    let short = AwardGrant {
        schedule: schedule[1..].to_vec(),
        ..ok
    };
    assert_eq!(
        refusal(&book, GrantsCommand::AwardGrant(short)),
        (ErrorCode::InvalidField, Some("schedule".into()))
    );
}

fn pay(id: &str, grant: &str, amount_cents: i64, date: &str) -> GrantsCommand {
    GrantsCommand::MakePayment(MakePayment {
        grant_id: grant.into(),
        payment_id: id.into(),
        amount_cents,
        effective_date: date.into(),
        ..Default::default()
    })
}

fn order(id: &str, amount_cents: i64) -> GrantsCommand {
    GrantsCommand::OrderRecovery(OrderRecovery {
        grant_id: "a".into(),
        recovery_id: id.into(),
        amount_cents,
        reason: RecoveryReason::ObligationBreach as i32,
        effective_date: "2024-01-10".into(),
        ..Default::default()
    })
}

#[test]
fn payments_never_exceed_the_grant_and_carry_their_fiscal_year() {
    let mut book = book_with_envelope(10_000);
    run(&mut book, GrantsCommand::AwardGrant(award("a", 1_000))).unwrap();
    let Payload::PaymentMade(p) = run(&mut book, pay("p1", "a", 600, "2022-12-31")).unwrap() else {
        panic!()
    };
    assert_eq!(p.fiscal_year, 2022);
    assert_eq!(
        refusal(&book, pay("p2", "a", 401, "2023-01-02")),
        (ErrorCode::InvalidState, Some("amount_cents".into()))
    );
    assert_eq!(
        refusal(&book, pay("p1", "a", 1, "2023-01-02")).0,
        ErrorCode::AlreadyExists
    );
    run(&mut book, pay("p2", "a", 400, "2023-01-02")).unwrap();
    assert_eq!(book.grants["a"].unpaid().get(), 0);
}

#[test]
fn cancelling_releases_the_unpaid_part_and_stops_payments() {
    let mut book = book_with_envelope(10_000);
    run(&mut book, GrantsCommand::AwardGrant(award("a", 1_000))).unwrap();
    run(&mut book, pay("p1", "a", 250, "2022-10-01")).unwrap();
    let cancel = CancelGrant {
        grant_id: "a".into(),
        reason: "abandon".into(),
        effective_date: "2023-02-01".into(),
        ..Default::default()
    };
    let Payload::GrantCancelled(c) =
        run(&mut book, GrantsCommand::CancelGrant(cancel.clone())).unwrap()
    else {
        panic!()
    };
    assert_eq!(c.released_cents, 750);
    assert_eq!(book.envelopes["env"].committed.get(), 250);
    assert_eq!(
        refusal(&book, pay("p2", "a", 1, "2023-03-01")),
        (ErrorCode::InvalidState, Some("grant_id".into()))
    );
    assert_eq!(
        refusal(&book, GrantsCommand::CancelGrant(cancel)).0,
        ErrorCode::InvalidState
    );
}

#[test]
fn recoveries_never_exceed_what_was_paid() {
    let mut book = book_with_envelope(10_000);
    run(&mut book, GrantsCommand::AwardGrant(award("a", 1_000))).unwrap();
    assert_eq!(
        refusal(&book, order("r0", 1)).0,
        ErrorCode::InvalidState,
        "nothing paid yet"
    );
    run(&mut book, pay("p1", "a", 600, "2022-10-01")).unwrap();
    run(&mut book, order("r1", 400)).unwrap();
    assert_eq!(
        refusal(&book, order("r2", 201)),
        (ErrorCode::InvalidState, Some("amount_cents".into()))
    );
    run(&mut book, order("r2", 200)).unwrap();
    let receive = |amount_cents| {
        GrantsCommand::ReceiveRecovery(ReceiveRecovery {
            grant_id: "a".into(),
            recovery_id: "r1".into(),
            amount_cents,
            effective_date: "2024-03-01".into(),
            ..Default::default()
        })
    };
    assert_eq!(refusal(&book, receive(401)).0, ErrorCode::InvalidState);
    run(&mut book, receive(400)).unwrap();
    assert_eq!(refusal(&book, receive(1)).0, ErrorCode::InvalidState);
}

#[test]
fn revisions_and_amendments_respect_commitments() {
    let mut book = book_with_envelope(1_000);
    run(&mut book, GrantsCommand::AwardGrant(award("a", 800))).unwrap();
    let revise = |delta_cents| {
        GrantsCommand::ReviseEnvelope(ReviseEnvelope {
            envelope_id: "env".into(),
            delta_cents,
            vote_reference: "DM-1".into(),
            effective_date: "2020-06-30".into(),
            ..Default::default()
        })
    };
    assert_eq!(
        refusal(&book, revise(-201)).0,
        ErrorCode::EnvelopeOvercommitted
    );
    assert_eq!(refusal(&book, revise(0)).0, ErrorCode::InvalidField);
    run(&mut book, revise(-200)).unwrap();
    assert_eq!(book.envelopes["env"].voted.get(), 800);
    let amend = |delta| {
        GrantsCommand::AmendGrant(AmendGrant {
            grant_id: "a".into(),
            amount_delta_cents: delta,
            reason: "révision".into(),
            effective_date: "2021-01-01".into(),
            ..Default::default()
        })
    };
    assert_eq!(refusal(&book, amend(1)).0, ErrorCode::EnvelopeOvercommitted);
    run(&mut book, pay("p1", "a", 500, "2021-02-01")).unwrap();
    assert_eq!(
        refusal(&book, amend(-301)).0,
        ErrorCode::InvalidState,
        "below what was paid"
    );
    run(&mut book, amend(-300)).unwrap();
    assert_eq!(book.envelopes["env"].available().get(), 300);
}

proptest! {
    /// Whatever the sequence of award amounts, what is committed never
    /// exceeds what was voted, and every refusal is an over-commitment.
    #[test]
    fn an_envelope_is_never_overcommitted(voted in 1i64..10_000_000, amounts in prop::collection::vec(1i64..3_000_000, 0..40)) {
        let mut book = book_with_envelope(voted);
        let mut committed = 0;
        for (i, amount) in amounts.into_iter().enumerate() {
            match run(&mut book, GrantsCommand::AwardGrant(award(&format!("g{i}"), amount))) {
                Ok(_) => committed += amount,
                Err(err) => prop_assert_eq!(err.code, ErrorCode::EnvelopeOvercommitted),
            }
            prop_assert!(committed <= voted);
            prop_assert_eq!(book.envelopes["env"].available().get(), voted - committed);
        }
    }
}

#[test]
fn targets_fall_within_their_programme() {
    let book = book_with_envelope(1_000);
    let target = |deadline: &str| {
        GrantsCommand::SetTarget(ledger_proto::v1::SetTarget {
            programme_id: "prog".into(),
            target_id: "msp".into(),
            metric: ledger_proto::v1::TargetMetric::MspOpen as i32,
            value: 125,
            deadline: deadline.into(),
            ..Default::default()
        })
    };
    assert!(book.decide(&target("2025-12-31")).is_ok());
    assert_eq!(
        refusal(&book, target("2030-01-01")),
        (ErrorCode::InvalidField, Some("deadline".into()))
    );
    let unknown_metric = GrantsCommand::SetTarget(ledger_proto::v1::SetTarget {
        metric: 99,
        ..match target("2025-12-31") {
            GrantsCommand::SetTarget(t) => t,
            _ => unreachable!(),
        }
    });
    assert_eq!(
        refusal(&book, unknown_metric),
        (ErrorCode::InvalidField, Some("metric".into()))
    );
}

fn close(grant: &str, outcome: GrantOutcome, on: &str) -> GrantsCommand {
    GrantsCommand::CloseGrant(CloseGrant {
        grant_id: grant.into(),
        outcome: outcome as i32,
        reason: "décision".into(),
        effective_date: on.into(),
        ..Default::default()
    })
}

#[test]
fn a_closed_envelope_takes_no_commitment_and_cancels_what_is_left() {
    let mut book = book_with_envelope(10_000);
    run(&mut book, GrantsCommand::AwardGrant(award("a", 4_000))).unwrap();
    let closure = CloseEnvelope {
        envelope_id: "env".into(),
        vote_reference: "CR-clôture".into(),
        effective_date: "2025-12-31".into(),
        ..Default::default()
    };
    let Payload::EnvelopeClosed(closed) =
        run(&mut book, GrantsCommand::CloseEnvelope(closure.clone())).unwrap()
    else {
        panic!()
    };
    assert_eq!(closed.cancelled_cents, 6_000);
    assert_eq!(
        refusal(&book, GrantsCommand::AwardGrant(award("b", 1))),
        (ErrorCode::InvalidState, Some("envelope_id".into()))
    );
    assert_eq!(
        refusal(&book, GrantsCommand::CloseEnvelope(closure)).0,
        ErrorCode::InvalidState
    );
    let raise = AmendGrant {
        grant_id: "a".into(),
        amount_delta_cents: 1,
        reason: "hausse".into(),
        effective_date: "2025-12-31".into(),
        ..Default::default()
    };
    assert_eq!(
        refusal(&book, GrantsCommand::AmendGrant(raise)),
        (ErrorCode::InvalidState, Some("envelope_id".into()))
    );
    // Commitments made stand, and are paid.
    run(&mut book, pay("p1", "a", 4_000, "2025-12-31")).unwrap();
}

#[test]
fn a_grant_lapses_after_its_deadline_only_and_then_takes_no_payment() {
    let mut book = book_with_envelope(10_000);
    let with_deadline = AwardGrant {
        deadline: "2024-08-31".into(),
        ..award("a", 1_000)
    };
    run(&mut book, GrantsCommand::AwardGrant(with_deadline)).unwrap();
    run(&mut book, GrantsCommand::AwardGrant(award("b", 1_000))).unwrap();
    run(&mut book, pay("p1", "a", 300, "2023-05-02")).unwrap();
    assert_eq!(
        refusal(&book, close("a", GrantOutcome::Lapsed, "2024-08-31")),
        (ErrorCode::InvalidState, Some("effective_date".into()))
    );
    assert_eq!(
        refusal(&book, close("b", GrantOutcome::Lapsed, "2030-01-01")),
        (ErrorCode::InvalidState, Some("outcome".into()))
    );
    // Only the ledger closes a grant as breached.
    assert_eq!(
        refusal(&book, close("a", GrantOutcome::Breached, "2024-09-01")),
        (ErrorCode::InvalidField, Some("outcome".into()))
    );
    let Payload::GrantClosed(lapsed) =
        run(&mut book, close("a", GrantOutcome::Lapsed, "2024-09-01")).unwrap()
    else {
        panic!()
    };
    assert_eq!(lapsed.released_cents, 700);
    assert_eq!(book.envelopes["env"].committed.get(), 300 + 1_000);
    assert_eq!(
        refusal(&book, pay("p2", "a", 1, "2024-09-02")),
        (ErrorCode::InvalidState, Some("grant_id".into()))
    );
    // A deadline before the award is refused.
    let backwards = AwardGrant {
        deadline: "2022-08-31".into(),
        ..award("c", 1_000)
    };
    assert_eq!(
        refusal(&book, GrantsCommand::AwardGrant(backwards)),
        (ErrorCode::InvalidField, Some("deadline".into()))
    );
}

#[test]
fn a_breach_orders_its_recovery_and_closes_the_grant_once() {
    let mut book = book_with_envelope(10_000);
    let bursary = AwardGrant {
        obligation: Some(ObligationTerms {
            duration_months: 36,
            territory: Some(Territory {
                departement_code: "41".into(),
                ..Default::default()
            }),
            recovery_rule: RecoveryRule::Full as i32,
            description: "trois ans".into(),
        }),
        ..award("a", 1_000)
    };
    run(&mut book, GrantsCommand::AwardGrant(bursary)).unwrap();
    run(&mut book, pay("p1", "a", 400, "2023-05-02")).unwrap();
    let breach = ledger_proto::v1::EventEnvelope {
        event_id: "breach-event".into(),
        payload: Some(Payload::ObligationBreached(
            ledger_proto::v1::ObligationBreached {
                obligation_id: "o".into(),
                grant_id: "a".into(),
                breached_on: "2024-02-01".into(),
                reason: "départ".into(),
                ..Default::default()
            },
        )),
        ..Default::default()
    };
    let reactions = book.react(&breach);
    let kinds: Vec<_> = reactions
        .iter()
        .map(|r| {
            (
                r.command_id.as_str(),
                matches!(r.command, GrantsCommand::OrderRecoveryOnBreach(_)),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("breach-recovery:breach-event", true),
            ("breach-closure:breach-event", false)
        ]
    );
    for reaction in reactions {
        run(&mut book, reaction.command).unwrap();
    }
    let grant = &book.grants["a"];
    assert_eq!(grant.ended, Some(super::Ending::Breached));
    assert_eq!(grant.recovery_ordered().get(), 400);
    assert_eq!(book.envelopes["env"].committed.get(), 400);
    assert_eq!(
        refusal(&book, pay("p2", "a", 1, "2024-03-01")),
        (ErrorCode::InvalidState, Some("grant_id".into()))
    );
    // Seen again (a restart), the breach closes nothing more.
    assert!(book.closure_for_breach(&breach).is_none());
}

#[test]
fn payments_draw_on_the_credits_of_their_year_and_chapter() {
    let mut book = GrantsBook::default();
    run(&mut book, GrantsCommand::DeclareProgramme(programme())).unwrap();
    run(&mut book, GrantsCommand::OpenEnvelope(envelope(10_000))).unwrap();
    run(&mut book, GrantsCommand::AwardGrant(award("a", 5_000))).unwrap();
    assert_eq!(
        refusal(&book, pay("p1", "a", 1, "2023-03-01")),
        (
            ErrorCode::PaymentCreditsExhausted,
            Some("amount_cents".into())
        )
    );
    run(&mut book, credits(2023, 1_000)).unwrap();
    run(&mut book, pay("p1", "a", 600, "2023-03-01")).unwrap();
    assert_eq!(
        refusal(&book, pay("p2", "a", 401, "2023-04-01")).0,
        ErrorCode::PaymentCreditsExhausted
    );
    // Mandated CP cannot be voted away; the rest can.
    assert_eq!(
        refusal(&book, credits(2023, -401)),
        (ErrorCode::InvalidState, Some("delta_cents".into()))
    );
    run(&mut book, credits(2023, -400)).unwrap();
    // A January payment of the last year draws on the last year's CP.
    run(&mut book, credits(2024, 10_000)).unwrap();
    let january = GrantsCommand::MakePayment(MakePayment {
        fiscal_year: 2023,
        ..match pay("p3", "a", 1, "2024-01-15") {
            GrantsCommand::MakePayment(p) => p,
            _ => unreachable!(),
        }
    });
    assert_eq!(
        refusal(&book, january).0,
        ErrorCode::PaymentCreditsExhausted
    );
    run(&mut book, pay("p3", "a", 1, "2024-01-15")).unwrap();
    let chapter = super::credits::Chapter {
        funder: "region:24".into(),
        section: "investissement".into(),
        chapitre: "204".into(),
    };
    assert_eq!(book.credits_of(&chapter, 2024).mandated.get(), 1);
    // Folded in another order (an envelope before its programme, as two
    // partitions may be replayed), the book decides the same.
    let mut replayed = GrantsBook::default();
    let mut events = Vec::new();
    let mut fresh = GrantsBook::default();
    for command in [
        GrantsCommand::DeclareProgramme(programme()),
        GrantsCommand::OpenEnvelope(envelope(10_000)),
        GrantsCommand::AwardGrant(award("a", 5_000)),
        credits(2023, 1_000),
        pay("p1", "a", 600, "2023-03-01"),
    ] {
        events.push(run(&mut fresh, command).unwrap());
    }
    events.swap(0, 1);
    for event in &events {
        replayed.apply(event).unwrap();
    }
    assert_eq!(
        refusal(&replayed, pay("p2", "a", 401, "2023-04-01")).0,
        ErrorCode::PaymentCreditsExhausted
    );
}

#[test]
fn an_envelope_sits_in_the_section_of_its_kind_with_a_schedule_that_adds_up() {
    let mut book = GrantsBook::default();
    run(&mut book, GrantsCommand::DeclareProgramme(programme())).unwrap();
    let ae_in_investment = OpenEnvelope {
        kind: AuthorisationKind::Ae as i32,
        ..envelope(10_000)
    };
    assert_eq!(
        refusal(&book, GrantsCommand::OpenEnvelope(ae_in_investment)),
        (ErrorCode::InvalidField, Some("imputation.section".into()))
    );
    let unimputed = OpenEnvelope {
        imputation: None,
        ..envelope(10_000)
    };
    assert_eq!(
        refusal(&book, GrantsCommand::OpenEnvelope(unimputed)).1,
        Some("imputation".into())
    );
    let short = OpenEnvelope {
        cp_schedule: vec![ledger_proto::v1::CreditInstalment {
            fiscal_year: 2019,
            amount_cents: 9_999,
        }],
        ..envelope(10_000)
    };
    assert_eq!(
        refusal(&book, GrantsCommand::OpenEnvelope(short)).1,
        Some("cp_schedule".into())
    );
}

#[test]
fn a_client_cannot_take_a_breach_recovery_id_and_outstanding_never_goes_below_zero() {
    let mut book = book_with_envelope(10_000);
    run(&mut book, GrantsCommand::AwardGrant(award("a", 1_000))).unwrap();
    run(&mut book, pay("p1", "a", 1_000, "2023-03-01")).unwrap();
    let breach_id = OrderRecovery {
        recovery_id: "breach-o-a".into(),
        ..match order("r", 500) {
            GrantsCommand::OrderRecovery(o) => o,
            _ => unreachable!(),
        }
    };
    assert_eq!(
        refusal(&book, GrantsCommand::OrderRecovery(breach_id.clone())),
        (ErrorCode::InvalidField, Some("recovery_id".into()))
    );
    // The ledger's own reaction may.
    run(&mut book, GrantsCommand::OrderRecoveryOnBreach(breach_id)).unwrap();
    let adjust = |kind: RecoveryAdjustment, cents: i64| {
        GrantsCommand::AdjustRecovery(ledger_proto::v1::AdjustRecovery {
            grant_id: "a".into(),
            recovery_id: "breach-o-a".into(),
            adjustment: kind as i32,
            amount_cents: cents,
            decision_reference: "DCD-1".into(),
            reason: "remise".into(),
            effective_date: "2024-02-01".into(),
            ..Default::default()
        })
    };
    run(&mut book, adjust(RecoveryAdjustment::Waived, 200)).unwrap();
    run(&mut book, adjust(RecoveryAdjustment::Reduced, 100)).unwrap();
    assert_eq!(
        refusal(&book, adjust(RecoveryAdjustment::WrittenOff, 201)),
        (ErrorCode::InvalidState, Some("amount_cents".into()))
    );
    run(&mut book, adjust(RecoveryAdjustment::WrittenOff, 200)).unwrap();
    let recovery = book.grants["a"].recoveries["breach-o-a"];
    assert_eq!(recovery.outstanding().get(), 0);
    // A reduction frees what may be ordered again: 1,000 paid, 400 ordered.
    assert_eq!(book.grants["a"].recovery_ordered().get(), 400);
}

#[test]
fn no_payment_after_the_deadline_and_a_scheduled_envelope_restates_its_schedule() {
    let mut book = book_with_envelope(10_000);
    let with_deadline = AwardGrant {
        deadline: "2024-08-31".into(),
        ..award("a", 1_000)
    };
    run(&mut book, GrantsCommand::AwardGrant(with_deadline)).unwrap();
    assert_eq!(
        refusal(&book, pay("p1", "a", 100, "2024-09-01")),
        (ErrorCode::InvalidState, Some("effective_date".into()))
    );
    run(&mut book, pay("p1", "a", 100, "2024-08-31")).unwrap();

    let mut book = GrantsBook::default();
    run(&mut book, GrantsCommand::DeclareProgramme(programme())).unwrap();
    let scheduled = OpenEnvelope {
        cp_schedule: vec![ledger_proto::v1::CreditInstalment {
            fiscal_year: 2019,
            amount_cents: 10_000,
        }],
        ..envelope(10_000)
    };
    run(&mut book, GrantsCommand::OpenEnvelope(scheduled)).unwrap();
    let revision = ReviseEnvelope {
        envelope_id: "env".into(),
        delta_cents: 1_000,
        vote_reference: "DM-1".into(),
        effective_date: "2019-06-01".into(),
        ..Default::default()
    };
    assert_eq!(
        refusal(&book, GrantsCommand::ReviseEnvelope(revision.clone())).1,
        Some("cp_schedule".into())
    );
    let restated = ReviseEnvelope {
        cp_schedule: vec![ledger_proto::v1::CreditInstalment {
            fiscal_year: 2019,
            amount_cents: 11_000,
        }],
        ..revision
    };
    run(&mut book, GrantsCommand::ReviseEnvelope(restated)).unwrap();
}

#[test]
fn a_funder_other_than_national_needs_its_code() {
    let book = GrantsBook::default();
    let mut codeless = programme();
    if let Some(f) = codeless.funder.as_mut() {
        f.code = String::new();
    }
    assert_eq!(
        refusal(&book, GrantsCommand::DeclareProgramme(codeless)).1,
        Some("funder.code".into())
    );
}

fn repay(id: &str, principal_cents: i64, interest_cents: i64) -> GrantsCommand {
    GrantsCommand::RepayLoan(RepayLoan {
        loan_id: "pret".into(),
        repayment_id: id.into(),
        principal_cents,
        interest_cents,
        effective_date: "2024-02-05".into(),
        ..Default::default()
    })
}

/// The test envelope with a loan `pret` of 300,000 over three months from
/// 2024-01-05.
fn book_with_loan() -> GrantsBook {
    let mut book = book_with_envelope(1_000_000);
    let loan = ledger_proto::v1::GrantLoan {
        loan_id: "pret".into(),
        envelope_id: "env".into(),
        borrower: Some(Beneficiary {
            party: Some(Party::PersonId("p-1".into())),
        }),
        principal_cents: 300_000,
        term_months: 3,
        first_repayment_date: "2024-01-05".into(),
        effective_date: "2023-12-01".into(),
        ..Default::default()
    };
    run(&mut book, GrantsCommand::GrantLoan(loan)).unwrap();
    book
}

#[test]
fn a_loan_is_repaid_up_to_its_principal_then_nothing_is_left_to_write_off() {
    let mut book = book_with_loan();
    let Payload::LoanRepaid(first) = run(&mut book, repay("r1", 100_000, 0)).unwrap() else {
        panic!("a repayment appends LoanRepaid");
    };
    assert_eq!(
        (first.outstanding_after_cents, first.fiscal_year),
        (200_000, 2024)
    );
    // The same repayment id twice, nothing at all, more than is owed.
    assert_eq!(
        refusal(&book, repay("r1", 100_000, 0)),
        (ErrorCode::AlreadyExists, Some("repayment_id".into()))
    );
    assert_eq!(
        refusal(&book, repay("r2", 0, 0)),
        (ErrorCode::InvalidField, Some("principal_cents".into()))
    );
    assert_eq!(
        refusal(&book, repay("r2", -1, 0)),
        (ErrorCode::InvalidField, Some("principal_cents".into()))
    );
    assert_eq!(
        refusal(&book, repay("r2", 200_001, 0)),
        (ErrorCode::InvalidState, Some("principal_cents".into()))
    );
    // Interest alone is a repayment.
    run(&mut book, repay("r2", 0, 150)).unwrap();
    let write_off = |reference: &str| {
        GrantsCommand::WriteOffLoan(WriteOffLoan {
            loan_id: "pret".into(),
            decision_reference: reference.into(),
            reason: "Liquidation judiciaire".into(),
            effective_date: "2025-03-01".into(),
            ..Default::default()
        })
    };
    assert_eq!(
        refusal(&book, write_off("")).1,
        Some("decision_reference".into())
    );
    let Payload::LoanWrittenOff(off) = run(&mut book, write_off("DCP-1")).unwrap() else {
        panic!("a write-off appends LoanWrittenOff");
    };
    assert_eq!(off.written_off_cents, 200_000);
    assert_eq!(
        refusal(&book, repay("r3", 1, 0)),
        (ErrorCode::InvalidState, Some("loan_id".into()))
    );
    assert_eq!(
        refusal(&book, write_off("DCP-2")),
        (ErrorCode::InvalidState, Some("loan_id".into()))
    );
    assert_eq!(
        refusal(
            &book,
            GrantsCommand::RepayLoan(RepayLoan {
                loan_id: "inconnu".into(),
                ..Default::default()
            })
        ),
        (ErrorCode::NotFound, Some("loan_id".into()))
    );
}

fn guarantee(guaranteed_cents: i64) -> GrantsCommand {
    GrantsCommand::GrantLoanGuarantee(ledger_proto::v1::GrantLoanGuarantee {
        guarantee_id: "gar".into(),
        envelope_id: "env".into(),
        borrower: Some(Beneficiary {
            party: Some(Party::PersonId("p-1".into())),
        }),
        lender: Some(LegalEntity {
            siret: "23450002300028".into(),
            name: "Banque".into(),
            finess: String::new(),
        }),
        principal_cents: 400_000,
        guaranteed_cents,
        start_date: "2023-01-01".into(),
        end_date: "2030-12-31".into(),
        lender_schedule: [2024, 2025, 2026, 2027]
            .map(|y| Instalment {
                due_date: format!("{y}-01-01"),
                amount_cents: 100_000,
            })
            .to_vec(),
        ..Default::default()
    })
}

fn call(cents: i64, on: &str) -> GrantsCommand {
    GrantsCommand::CallLoanGuarantee(ledger_proto::v1::CallLoanGuarantee {
        guarantee_id: "gar".into(),
        called_cents: cents,
        effective_date: on.into(),
        ..Default::default()
    })
}

#[test]
fn a_guarantee_covers_at_most_its_programme_s_share_and_a_call_at_most_its_exposure() {
    let mut book = book_with_envelope(1_000_000);
    // 50 % by default: 200,001 of 400,000 is too much.
    assert_eq!(
        refusal(&book, guarantee(200_001)),
        (ErrorCode::InvalidField, Some("guaranteed_cents".into()))
    );
    let GrantsCommand::GrantLoanGuarantee(mut short) = guarantee(200_000) else {
        unreachable!()
    };
    short.lender_schedule.pop();
    assert_eq!(
        refusal(&book, GrantsCommand::GrantLoanGuarantee(short)).1,
        Some("lender_schedule".into())
    );
    run(&mut book, guarantee(200_000)).unwrap();
    // Mid-2025 two instalments are repaid: the exposure is half of 200,000.
    assert_eq!(
        refusal(&book, call(100_001, "2025-06-30")),
        (ErrorCode::InvalidState, Some("called_cents".into()))
    );
    let release = GrantsCommand::ReleaseLoanGuarantee(ledger_proto::v1::ReleaseLoanGuarantee {
        guarantee_id: "gar".into(),
        release: ledger_proto::v1::GuaranteeRelease::Called as i32,
        called_cents: 1,
        effective_date: "2025-06-30".into(),
        ..Default::default()
    });
    assert_eq!(refusal(&book, release).1, Some("release".into()));
    let Payload::LoanGuaranteeCalled(called) = run(&mut book, call(100_000, "2025-06-30")).unwrap()
    else {
        panic!("a call appends LoanGuaranteeCalled");
    };
    assert_eq!((called.exposure_cents, called.fiscal_year), (100_000, 2025));
    // The call is an expense on the envelope, and ends the guarantee.
    assert_eq!(book.envelopes["env"].committed.get(), 100_000);
    assert_eq!(
        refusal(&book, call(1, "2025-07-01")),
        (ErrorCode::InvalidState, Some("guarantee_id".into()))
    );
    // The claim on the borrower is a titre like a grant's.
    let receive = |cents: i64| {
        GrantsCommand::ReceiveRecovery(ReceiveRecovery {
            guarantee_id: "gar".into(),
            recovery_id: "call".into(),
            amount_cents: cents,
            effective_date: "2025-09-01".into(),
            ..Default::default()
        })
    };
    assert_eq!(
        refusal(&book, receive(100_001)),
        (ErrorCode::InvalidState, Some("amount_cents".into()))
    );
    run(&mut book, receive(40_000)).unwrap();
    assert_eq!(
        book.guarantees["gar"].claim.map(|c| c.outstanding().get()),
        Some(60_000)
    );
    let both = GrantsCommand::ReceiveRecovery(ReceiveRecovery {
        grant_id: "g".into(),
        guarantee_id: "gar".into(),
        recovery_id: "call".into(),
        amount_cents: 1,
        effective_date: "2025-09-01".into(),
        ..Default::default()
    });
    assert_eq!(refusal(&book, both).1, Some("grant_id".into()));
}

#[test]
fn a_target_has_the_fields_of_its_shape_and_professions_only_where_people_are_counted() {
    use ledger_proto::v1::{Profession, SetTarget, TargetMetric, TargetShape, TargetStep};
    let book = book_with_envelope(1_000);
    let set = |change: &dyn Fn(&mut SetTarget)| {
        let mut c = SetTarget {
            programme_id: "prog".into(),
            target_id: "t".into(),
            metric: TargetMetric::ProfessionalsRecruited as i32,
            value: 10,
            deadline: "2025-12-31".into(),
            ..Default::default()
        };
        change(&mut c);
        book.decide(&GrantsCommand::SetTarget(c))
            .map(|_| ())
            .map_err(|e| e.field.unwrap_or_default())
    };
    let step = |from_year, per_year| TargetStep {
        from_year,
        per_year,
    };
    assert_eq!(set(&|_| {}), Ok(()));
    assert_eq!(set(&|c| c.value = 0), Err("value".into()));
    let flow = |c: &mut SetTarget| {
        c.shape = TargetShape::FlowPerYear as i32;
        c.value = 0;
        c.steps = vec![step(2021, 300), step(2023, 340)];
    };
    assert_eq!(set(&flow), Ok(()));
    assert_eq!(
        set(&|c| {
            flow(c);
            c.steps.reverse();
        }),
        Err("steps[1].from_year".into())
    );
    assert_eq!(
        set(&|c| {
            flow(c);
            c.steps[0].per_year = 0;
        }),
        Err("steps[0].per_year".into())
    );
    // Every step is measured: none before the programme, none after the
    // deadline.
    for year in [2017, 2026] {
        assert_eq!(
            set(&|c| {
                flow(c);
                c.steps = vec![step(year, 10)];
            }),
            Err("steps[0].from_year".into())
        );
    }
    let ratio = |c: &mut SetTarget| {
        c.shape = TargetShape::Ratio as i32;
        c.value = 5_000;
        c.denominator = TargetMetric::CentresOpen as i32;
    };
    assert_eq!(set(&ratio), Ok(()));
    assert_eq!(
        set(&|c| {
            ratio(c);
            c.value = 10_001;
        }),
        Err("value".into())
    );
    assert_eq!(
        set(&|c| c.denominator = TargetMetric::CentresOpen as i32),
        Err("denominator".into())
    );
    assert_eq!(
        set(&|c| c.professions = vec![Profession::Nurse as i32]),
        Ok(())
    );
    assert_eq!(
        set(&|c| {
            c.metric = TargetMetric::MspOpen as i32;
            c.professions = vec![Profession::Nurse as i32];
        }),
        Err("professions".into())
    );
    assert_eq!(
        set(&|c| c.professions = vec![0]),
        Err("professions[0]".into())
    );
}

#[test]
fn a_guarantee_is_called_within_its_days_even_after_its_envelope_s_period() {
    let mut book = book_with_envelope(1_000_000);
    run(&mut book, guarantee(200_000)).unwrap();
    // The envelope accepts commitments to 2025; the guarantee runs to 2030.
    assert_eq!(
        refusal(&book, call(1, "2031-01-01")),
        (ErrorCode::InvalidField, Some("effective_date".into()))
    );
    let report = |on: &str| {
        GrantsCommand::ReportGuaranteedLoan(ledger_proto::v1::ReportGuaranteedLoan {
            guarantee_id: "gar".into(),
            report_id: "r".into(),
            outstanding_principal_cents: 100_000,
            reference: "relevé".into(),
            effective_date: on.into(),
            ..Default::default()
        })
    };
    assert_eq!(
        refusal(&book, report("2022-12-31")).1,
        Some("effective_date".into())
    );
    run(&mut book, report("2026-12-31")).unwrap();
    // 100,000 owed at the end of 2026, the 2027 instalment since: nothing.
    assert_eq!(
        refusal(&book, call(1, "2027-06-30")),
        (ErrorCode::InvalidState, Some("called_cents".into()))
    );
    run(&mut book, call(50_000, "2026-12-31")).unwrap();
}

#[test]
fn a_loan_s_movements_are_dated_in_order() {
    let mut book = book_with_loan();
    run(&mut book, repay("r1", 100_000, 0)).unwrap(); // on 2024-02-05
    let GrantsCommand::RepayLoan(mut early) = repay("r2", 1, 0) else {
        unreachable!()
    };
    early.effective_date = "2024-01-31".into();
    assert_eq!(
        refusal(&book, GrantsCommand::RepayLoan(early)).1,
        Some("effective_date".into())
    );
    let write_off = GrantsCommand::WriteOffLoan(WriteOffLoan {
        loan_id: "pret".into(),
        decision_reference: "DCP-1".into(),
        reason: "Liquidation".into(),
        effective_date: "2024-02-01".into(),
        ..Default::default()
    });
    assert_eq!(refusal(&book, write_off).1, Some("effective_date".into()));
}
