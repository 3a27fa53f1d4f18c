//! The centres context's rules, without I/O.

use ledger_proto::v1::{
    AddMember, CentreKind, CloseCentre, LegalEntity, OpenCentre, ReportActivity, Territory,
};

use super::{CentresBook, CentresCommand};
use crate::{Decider, ErrorCode};

fn open(id: &str) -> CentresCommand {
    CentresCommand::OpenCentre(OpenCentre {
        centre_id: id.into(),
        kind: CentreKind::HealthCentre as i32,
        finess: "090000012".into(),
        name: "Centre de santé de Sainte-Croix-Volvestre".into(),
        territory: Some(Territory {
            region_code: "76".into(),
            departement_code: "09".into(),
            commune_code: "09257".into(),
        }),
        opened_on: "2022-03-01".into(),
        ..Default::default()
    })
}

fn run(book: &mut CentresBook, command: CentresCommand) -> Result<(), ErrorCode> {
    let decision = book.decide(&command).map_err(|e| e.code)?;
    book.apply(&decision.payload).expect("applies");
    Ok(())
}

fn report(month: &str) -> CentresCommand {
    CentresCommand::ReportActivity(ReportActivity {
        centre_id: "scv".into(),
        month: month.into(),
        patients_seen: 900,
        consultations: 1_400,
        ..Default::default()
    })
}

#[test]
fn a_centre_opens_reports_and_closes() {
    let mut book = CentresBook::default();
    run(&mut book, open("scv")).unwrap();
    assert_eq!(run(&mut book, open("scv")), Err(ErrorCode::AlreadyExists));
    assert_eq!(
        run(&mut book, report("2022-02")),
        Err(ErrorCode::InvalidField),
        "before opening"
    );
    run(&mut book, report("2022-03")).unwrap();
    let close = |on: &str| {
        CentresCommand::CloseCentre(CloseCentre {
            centre_id: "scv".into(),
            closed_on: on.into(),
            reason: String::new(),
            occurred_at: None,
        })
    };
    assert_eq!(
        run(&mut book, close("2021-01-01")),
        Err(ErrorCode::InvalidField)
    );
    run(&mut book, close("2024-06-15")).unwrap();
    run(&mut book, report("2024-06")).unwrap();
    assert_eq!(
        run(&mut book, report("2024-07")),
        Err(ErrorCode::InvalidState)
    );
    assert_eq!(
        run(&mut book, close("2024-07-01")),
        Err(ErrorCode::InvalidState)
    );
}

#[test]
fn a_centre_needs_its_commune_and_valid_codes() {
    let book = CentresBook::default();
    let CentresCommand::OpenCentre(base) = open("x") else {
        unreachable!()
    };
    let no_commune = OpenCentre {
        territory: Some(Territory {
            departement_code: "09".into(),
            ..Default::default()
        }),
        ..base.clone()
    };
    let bad_finess = OpenCentre {
        finess: "12".into(),
        ..base.clone()
    };
    let no_kind = OpenCentre { kind: 0, ..base };
    for (command, field) in [
        (no_commune, "territory.commune_code"),
        (bad_finess, "finess"),
        (no_kind, "kind"),
    ] {
        let err = book
            .decide(&CentresCommand::OpenCentre(command))
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some(field));
    }
}

#[test]
fn members_join_once_in_a_college() {
    let mut book = CentresBook::default();
    let join = |member: &str, college: &str| {
        CentresCommand::AddMember(AddMember {
            grouping_id: "gip-msmr".into(),
            member_id: member.into(),
            member: Some(LegalEntity {
                siret: "23450002300028".into(),
                name: "Région Occitanie".into(),
                finess: String::new(),
            }),
            college: college.into(),
            joined_on: "2022-01-01".into(),
            occurred_at: None,
        })
    };
    run(&mut book, join("region", "college-1")).unwrap();
    assert_eq!(
        run(&mut book, join("region", "college-2")),
        Err(ErrorCode::AlreadyExists)
    );
    assert_eq!(
        run(&mut book, join("dep", "")),
        Err(ErrorCode::InvalidField)
    );
}
