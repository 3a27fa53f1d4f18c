//! One example of each event, as integrators see it in JSON (proto3 JSON
//! mapping). The figures echo the seed documents; ids are illustrative.

use ledger_proto::v1::{event_envelope::Payload, *};

fn entity(siret: &str, name: &str) -> Option<LegalEntity> {
    Some(LegalEntity {
        siret: siret.into(),
        name: name.into(),
        finess: String::new(),
    })
}

fn person(id: &str) -> Option<Beneficiary> {
    Some(Beneficiary {
        party: Some(beneficiary::Party::PersonId(id.into())),
    })
}

fn territory(region: &str, departement: &str, commune: &str) -> Option<Territory> {
    Some(Territory {
        region_code: region.into(),
        departement_code: departement.into(),
        commune_code: commune.into(),
    })
}

/// Every payload of the catalogue with a plausible value.
pub fn payloads() -> Vec<Payload> {
    vec![
        Payload::ProgrammeDeclared(ProgrammeDeclared {
            programme_id: "cd41-41-en-bonne-sante".into(),
            funder: Some(Funder {
                kind: FunderKind::Departement as i32,
                code: "41".into(),
                name: "Département de Loir-et-Cher".into(),
            }),
            name: "41 en bonne santé 2022-2028".into(),
            period_start: "2022-01-01".into(),
            period_end: "2028-12-31".into(),
            max_guarantee_share_basis_points: 5_000,
            axes: vec![Axis {
                code: "axe-1".into(),
                title: "Attirer et installer des professionnels".into(),
                measures: vec![Measure {
                    code: "bourse-internes".into(),
                    title: "Bourse des internes en médecine générale".into(),
                }],
            }],
        }),
        Payload::TargetSet(TargetSet {
            programme_id: "cvl-plan-urgence-sante".into(),
            target_id: "msp-2025".into(),
            metric: TargetMetric::MspOpen as i32,
            value: 125,
            deadline: "2025-12-31".into(),
            description: "125 MSP d'ici fin 2025".into(),
            shape: TargetShape::CountByDeadline as i32,
            steps: Vec::new(),
            denominator: 0,
            professions: Vec::new(),
        }),
        Payload::IndicatorRecorded(IndicatorRecorded {
            programme_id: "cd41-bonne-sante".into(),
            indicator_id: "mg-plus-de-55-ans".into(),
            description: "Part des médecins généralistes âgés de plus de 55 ans".into(),
            value: 5_600,
            unit: IndicatorUnit::BasisPoints as i32,
            observed_on: "2022-01-24".into(),
            source: "Plan départemental « 41 en bonne santé » 2022-2028".into(),
            target_id: String::new(),
        }),
        Payload::EnvelopeOpened(EnvelopeOpened {
            envelope_id: "cvl-msp-2018".into(),
            programme_id: "cvl-plan-urgence-sante".into(),
            measure_code: "msp".into(),
            kind: AuthorisationKind::Ap as i32,
            amount_cents: 2_000_000_000,
            period_start: "2018-01-01".into(),
            period_end: "2025-12-31".into(),
            vote_reference: "DAP 18.01.01".into(),
            label: "MSP — enveloppe de 20 M€".into(),
            territory: territory("24", "", ""),
            imputation: Some(Imputation {
                section: BudgetSection::Investissement as i32,
                chapitre: "204".into(),
                nature: "204142".into(),
                fonction: "41".into(),
            }),
            cp_schedule: (2018..=2025)
                .map(|fiscal_year| CreditInstalment {
                    fiscal_year,
                    amount_cents: 250_000_000,
                })
                .collect(),
        }),
        Payload::EnvelopeRevised(EnvelopeRevised {
            envelope_id: "cvl-msp-2018".into(),
            delta_cents: 150_000_000,
            vote_reference: "DM 2021-2".into(),
            reason: "Abondement".into(),
            cp_schedule: vec![],
        }),
        Payload::CreditsVoted(CreditsVoted {
            funder: Some(Funder {
                kind: FunderKind::Region as i32,
                code: "24".into(),
                name: "Région Centre-Val de Loire".into(),
            }),
            fiscal_year: 2025,
            section: BudgetSection::Investissement as i32,
            chapitre: "204".into(),
            delta_cents: 180_000_000,
            vote: CreditVote::BudgetPrimitif as i32,
            vote_reference: "BP 2025".into(),
        }),
        Payload::GrantAwarded(GrantAwarded {
            grant_id: "bourse-2022-017".into(),
            envelope_id: "cd41-bourses".into(),
            beneficiary: person("p-5f1c"),
            kind: GrantKind::Bursary as i32,
            amount_cents: 1_200_000,
            purpose: "Bourse d'interne en médecine générale".into(),
            measure_code: "bourse-internes".into(),
            territory: territory("24", "41", ""),
            schedule: vec![Instalment {
                due_date: "2022-11-05".into(),
                amount_cents: 50_000,
            }],
            obligation: Some(ObligationTerms {
                duration_months: 36,
                territory: territory("", "41", ""),
                recovery_rule: RecoveryRule::Prorata as i32,
                description: "Exercer trois ans en Loir-et-Cher".into(),
            }),
            decision_reference: "CP 2022-10-17".into(),
            deadline: "2025-12-31".into(),
        }),
        Payload::GrantAmended(GrantAmended {
            grant_id: "msp-vendome".into(),
            envelope_id: "cvl-msp-2018".into(),
            amount_delta_cents: -5_000_000,
            schedule: vec![],
            reason: "Coût des travaux revu".into(),
            decision_reference: "CP 2020-03".into(),
        }),
        Payload::GrantCancelled(GrantCancelled {
            grant_id: "msp-exemple".into(),
            envelope_id: "cvl-msp-2018".into(),
            released_cents: 30_000_000,
            reason: "Projet abandonné".into(),
            decision_reference: "CP 2021-07".into(),
        }),
        Payload::GrantClosed(GrantClosed {
            grant_id: "bourse-2022-017".into(),
            envelope_id: "cd41-bourses".into(),
            outcome: GrantOutcome::Breached as i32,
            released_cents: 600_000,
            reason: "Installation hors du département".into(),
            decision_reference: String::new(),
            cause_event_id: "0193f0c2-8a1e-7c3b-9d2e-4f5a6b7c8d9e".into(),
        }),
        Payload::RecoveryAdjusted(RecoveryAdjusted {
            grant_id: "bourse-2022-017".into(),
            guarantee_id: String::new(),
            envelope_id: "cd41-bourses".into(),
            recovery_id: "breach-obl-2022-017".into(),
            adjustment: RecoveryAdjustment::Waived as i32,
            amount_cents: 200_000,
            fiscal_year: 2025,
            decision_reference: "DCD-2025-06-12".into(),
            reason: "Situation sociale du débiteur".into(),
        }),
        Payload::RecoveryScheduled(RecoveryScheduled {
            grant_id: "bourse-2022-017".into(),
            guarantee_id: String::new(),
            envelope_id: "cd41-bourses".into(),
            recovery_id: "breach-obl-2022-017".into(),
            instalments: vec![
                Instalment {
                    due_date: "2025-07-01".into(),
                    amount_cents: 300_000,
                },
                Instalment {
                    due_date: "2025-10-01".into(),
                    amount_cents: 300_000,
                },
            ],
            decision_reference: "ECH-2025-14".into(),
        }),
        Payload::EnvelopeClosed(EnvelopeClosed {
            envelope_id: "cvl-msp-2018".into(),
            cancelled_cents: 12_500_000,
            vote_reference: "CR 2026-06 clôture".into(),
            reason: "Fin du plan".into(),
        }),
        Payload::PaymentMade(PaymentMade {
            grant_id: "bourse-2022-017".into(),
            envelope_id: "cd41-bourses".into(),
            payment_id: "m-2022-11".into(),
            amount_cents: 50_000,
            fiscal_year: 2022,
            mandate_reference: "MAND-2022-11873".into(),
        }),
        Payload::RecoveryOrdered(RecoveryOrdered {
            grant_id: "bourse-2022-017".into(),
            envelope_id: "cd41-bourses".into(),
            recovery_id: "breach-o-bourse-2022-017".into(),
            amount_cents: 799_270,
            reason: RecoveryReason::ObligationBreach as i32,
            reason_text: "Installation hors du département".into(),
            cause_event_id: "01a21b3c-0000-7000-8000-000000000000".into(),
            fiscal_year: 2024,
            title_reference: "TR-2024-0042".into(),
            rule: RecoveryRule::Prorata as i32,
        }),
        Payload::RecoveryReceived(RecoveryReceived {
            grant_id: "bourse-2022-017".into(),
            guarantee_id: String::new(),
            envelope_id: "cd41-bourses".into(),
            recovery_id: "breach-o-bourse-2022-017".into(),
            amount_cents: 799_270,
            fiscal_year: 2025,
            receipt_reference: "ENC-2025-0007".into(),
        }),
        Payload::LoanGuaranteeGranted(LoanGuaranteeGranted {
            guarantee_id: "gar-2023-001".into(),
            envelope_id: "cd41-garanties".into(),
            borrower: Some(Beneficiary {
                party: Some(beneficiary::Party::LegalEntity(LegalEntity {
                    siret: "21410018200010".into(),
                    name: "SISA de Blois".into(),
                    finess: String::new(),
                })),
            }),
            lender: entity("23450002300028", "Banque"),
            principal_cents: 50_000_000,
            guaranteed_cents: 25_000_000,
            start_date: "2023-04-01".into(),
            end_date: "2038-03-31".into(),
            purpose: "Extension de la MSP".into(),
            lender_schedule: vec![
                Instalment {
                    due_date: "2024-04-01".into(),
                    amount_cents: 25_000_000,
                },
                Instalment {
                    due_date: "2025-04-01".into(),
                    amount_cents: 25_000_000,
                },
            ],
        }),
        Payload::GuaranteedLoanReported(GuaranteedLoanReported {
            guarantee_id: "gar-2023-001".into(),
            envelope_id: "cd41-garanties".into(),
            report_id: "2024-12".into(),
            outstanding_principal_cents: 30_000_000,
            reference: "Relevé annuel de la banque, 31/12/2024".into(),
            reported_on: "2024-12-31".into(),
        }),
        Payload::LoanGuaranteeCalled(LoanGuaranteeCalled {
            guarantee_id: "gar-2023-001".into(),
            envelope_id: "cd41-garanties".into(),
            called_cents: 15_000_000,
            exposure_cents: 15_000_000,
            fiscal_year: 2025,
            mandate_reference: "M-2025-0611".into(),
            title_reference: "T-2025-0212".into(),
            guaranteed_cents: 25_000_000,
        }),
        Payload::LoanGuaranteeReleased(LoanGuaranteeReleased {
            guarantee_id: "gar-2023-001".into(),
            envelope_id: "cd41-garanties".into(),
            release: GuaranteeRelease::Repaid as i32,
            called_cents: 0,
        }),
        Payload::LoanGranted(LoanGranted {
            loan_id: "psi-2023-014".into(),
            envelope_id: "idf-pret-sante".into(),
            borrower: person("p-7a02"),
            principal_cents: 3_000_000,
            rate_basis_points: 0,
            term_months: 60,
            first_repayment_date: "2024-01-05".into(),
            purpose: "Prêt santé initiative : installation".into(),
            intermediary: entity("53000000000017", "Initiative Île-de-France"),
        }),
        Payload::LoanRepaid(LoanRepaid {
            loan_id: "psi-2023-014".into(),
            envelope_id: "idf-pret-sante".into(),
            repayment_id: "2024-01".into(),
            principal_cents: 50_000,
            interest_cents: 0,
            fiscal_year: 2024,
            receipt_reference: "REL-2024-01-0412".into(),
            outstanding_after_cents: 2_950_000,
            repaid_on: "2024-01-05".into(),
        }),
        Payload::LoanWrittenOff(LoanWrittenOff {
            loan_id: "psi-2023-014".into(),
            envelope_id: "idf-pret-sante".into(),
            written_off_cents: 2_950_000,
            fiscal_year: 2026,
            decision_reference: "DCP-2026-031".into(),
            reason: "Liquidation judiciaire de l'emprunteur".into(),
            written_off_on: "2026-03-02".into(),
        }),
        Payload::PostOpened(PostOpened {
            post_id: "scv-mg-1".into(),
            programme_id: "occ-sante-publique".into(),
            centre_id: "scv".into(),
            employer: entity("13002520500019", "GIP Ma santé, Ma Région"),
            profession: Profession::GeneralPractitioner as i32,
            fte_milli: 1000,
            opened_on: "2022-02-15".into(),
        }),
        Payload::PostClosed(PostClosed {
            post_id: "scv-mg-1".into(),
            centre_id: "scv".into(),
            closed_on: "2026-06-30".into(),
            reason: "Réorganisation".into(),
        }),
        Payload::ProfessionalHired(ProfessionalHired {
            person_id: "p-91d2".into(),
            employment_id: "e-1".into(),
            post_id: "scv-mg-1".into(),
            centre_id: "scv".into(),
            employer: entity("13002520500019", "GIP Ma santé, Ma Région"),
            profession: Profession::GeneralPractitioner as i32,
            fte_milli: 1000,
            start_date: "2022-03-01".into(),
        }),
        Payload::ProfessionalLeft(ProfessionalLeft {
            person_id: "p-91d2".into(),
            employment_id: "e-1".into(),
            centre_id: "scv".into(),
            left_on: "2025-08-31".into(),
            reason: "Départ en retraite".into(),
        }),
        Payload::ProfessionalInstalled(ProfessionalInstalled {
            person_id: "p-7a02".into(),
            profession: Profession::GeneralPractitioner as i32,
            territory: territory("11", "77", "77288"),
            centre_id: String::new(),
            grant_id: "idf-install-2023-031".into(),
            installed_on: "2023-09-01".into(),
        }),
        Payload::CentreOpened(CentreOpened {
            centre_id: "scv".into(),
            kind: CentreKind::HealthCentre as i32,
            finess: "090000012".into(),
            name: "Centre de santé de Sainte-Croix-Volvestre".into(),
            territory: territory("76", "09", "09257"),
            operator: entity("13002520500019", "GIP Ma santé, Ma Région"),
            programme_id: "occ-sante-publique".into(),
            opened_on: "2022-03-01".into(),
        }),
        Payload::CentreClosed(CentreClosed {
            centre_id: "exemple".into(),
            closed_on: "2027-12-31".into(),
            reason: "Regroupement".into(),
        }),
        Payload::ActivityReported(ActivityReported {
            centre_id: "scv".into(),
            month: "2023-02".into(),
            patients_seen: 1_150,
            consultations: 1_980,
            patients_to_date: 4_320,
        }),
        Payload::MemberJoined(MemberJoined {
            grouping_id: "gip-ma-sante-ma-region".into(),
            member_id: "region-occitanie".into(),
            member: entity("13002520500019", "Région Occitanie"),
            college: "college-1".into(),
            joined_on: "2022-01-01".into(),
        }),
        Payload::ObligationStarted(ObligationStarted {
            obligation_id: "o-bourse-2022-017".into(),
            grant_id: "bourse-2022-017".into(),
            beneficiary: person("p-5f1c"),
            territory: territory("", "41", ""),
            duration_months: 36,
            start_date: "2023-11-01".into(),
            end_date: "2026-10-31".into(),
        }),
        Payload::ObligationFulfilled(ObligationFulfilled {
            obligation_id: "o-bourse-2021-003".into(),
            grant_id: "bourse-2021-003".into(),
            fulfilled_on: "2025-10-31".into(),
        }),
        Payload::ObligationBreached(ObligationBreached {
            obligation_id: "o-bourse-2022-017".into(),
            grant_id: "bourse-2022-017".into(),
            breached_on: "2024-11-01".into(),
            reason: "Installation hors du département".into(),
            served_days: 366,
            obligation_days: 1096,
        }),
        Payload::ChainCheckpoint(ChainCheckpoint {
            sequence: 42,
            heads: vec![CheckpointHead {
                stream: Some(StreamRef {
                    r#type: "envelope".into(),
                    id: "cvl-msp-2018".into(),
                }),
                version: 57,
                hash: vec![0x3f, 0x9a, 0x51, 0x0c],
            }],
            partitions: vec![CheckpointTip {
                partition: 2,
                offset: 19_277,
                hash: vec![0x3f, 0x9a, 0x51, 0x0c],
            }],
        }),
    ]
}

/// A whole envelope around `payload`, as it sits in Kafka (hashes shortened).
pub fn envelope(payload: Payload) -> EventEnvelope {
    EventEnvelope {
        event_id: "01a21b3c-5e7f-7a10-9c2d-3b4f5a6b7c8d".into(),
        stream: Some(StreamRef {
            r#type: "grant".into(),
            id: "bourse-2022-017".into(),
        }),
        stream_version: 3,
        occurred_at: Some(pbjson_types::Timestamp {
            seconds: 1_667_635_200,
            nanos: 0,
        }),
        effective_date: "2022-11-05".into(),
        recorded_at: Some(pbjson_types::Timestamp {
            seconds: 1_667_638_800,
            nanos: 0,
        }),
        actor: "agent-finances-12".into(),
        source_system: "coriolis".into(),
        command_id: "mand-2022-11873".into(),
        command_digest: vec![0x5a; 4],
        correlation_id: "mand-2022-11873".into(),
        causation_id: "mand-2022-11873".into(),
        schema_version: 1,
        prev_hash: vec![0x9f; 4],
        hash: vec![0x3c; 4],
        signing_key_id: "grants-1".into(),
        signature: vec![0x7e; 4],
        payload: Some(payload),
    }
}
