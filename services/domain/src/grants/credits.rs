//! Crédits de paiement: voted by the funder's assembly per fiscal year and
//! budget chapter, they bound what may be mandated. An envelope's M57
//! imputation names its chapter; its CP schedule says what it plans to use.

use ledger_proto::v1::{
    event_envelope::Payload, AuthorisationKind, BudgetSection, CreditInstalment, CreditVote,
    CreditsVoted, Funder, FunderKind, Imputation, VoteCredits,
};
use serde::{Deserialize, Serialize};

use super::{
    parse::{required_enum, required_text},
    GrantsBook,
};
use crate::{dates::parse_date, stream_ref, Cents, Decision, DomainError, ErrorCode};

/// A funder as kind and code: `region:24`, `departement:24`,
/// `grouping:<code>`, `national` — the key the read side uses too.
pub fn funder_key(funder: &Funder) -> String {
    let kind = match funder.kind() {
        FunderKind::Region => "region",
        FunderKind::Departement => "departement",
        FunderKind::Grouping => "grouping",
        FunderKind::National => "national",
        FunderKind::Unspecified => "unspecified",
    };
    if funder.code.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}:{}", funder.code)
    }
}

/// A section as the read side names it.
pub fn section_name(section: BudgetSection) -> &'static str {
    match section {
        BudgetSection::Investissement => "investissement",
        BudgetSection::Fonctionnement => "fonctionnement",
        BudgetSection::Unspecified => "unspecified",
    }
}

/// Where an envelope's payments are imputed: its funder's chapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chapter {
    pub funder: String,
    pub section: String,
    pub chapitre: String,
}

impl Chapter {
    /// The id of the chapter's credits for one fiscal year: the stream of
    /// its votes and the key of its record.
    pub fn line(&self, fiscal_year: i32) -> String {
        format!(
            "{}/{fiscal_year}/{}/{}",
            self.funder, self.section, self.chapitre
        )
    }
}

/// The CP of one chapter and fiscal year: voted, and mandated so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credits {
    pub voted: Cents,
    pub mandated: Cents,
}

/// An envelope's place in its funder's budget, without the funder: the
/// funder comes from the programme, whose event may be replayed after the
/// envelope's (they are in different partitions), so it is looked up when
/// deciding, never fixed when folding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imputed {
    pub section: String,
    pub chapitre: String,
}

impl Imputed {
    pub(super) fn of(imputation: Option<&Imputation>) -> Option<Self> {
        imputation.map(|i| Self {
            section: section_name(i.section()).to_owned(),
            chapitre: i.chapitre.clone(),
        })
    }

    /// The key of what one programme mandated on this imputation in a year.
    pub(super) fn mandated_key(&self, programme_id: &str, fiscal_year: i32) -> String {
        format!(
            "{programme_id}/{fiscal_year}/{}/{}",
            self.section, self.chapitre
        )
    }
}

fn digits(
    field: &str,
    raw: &str,
    lengths: std::ops::RangeInclusive<usize>,
) -> Result<(), DomainError> {
    if !lengths.contains(&raw.len()) || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DomainError::invalid(
            field,
            format!(
                "{raw:?} is not {} to {} digits",
                lengths.start(),
                lengths.end()
            ),
        ));
    }
    Ok(())
}

/// Checks an envelope's imputation against its kind: an AP sits in the
/// investment section, an AE in operating.
pub(super) fn check_imputation(
    kind: AuthorisationKind,
    imputation: Option<&Imputation>,
) -> Result<(), DomainError> {
    let i = imputation.ok_or_else(|| {
        DomainError::invalid("imputation", "is required (section, chapitre, nature)")
    })?;
    let section: BudgetSection = required_enum("imputation.section", i.section)?;
    let expected = match kind {
        AuthorisationKind::Ap => BudgetSection::Investissement,
        AuthorisationKind::Ae => BudgetSection::Fonctionnement,
        AuthorisationKind::Unspecified => return Err(DomainError::invalid("kind", "is required")),
    };
    if section != expected {
        return Err(DomainError::invalid(
            "imputation.section",
            format!(
                "an {} sits in the section {}",
                if kind == AuthorisationKind::Ap {
                    "AP"
                } else {
                    "AE"
                },
                section_name(expected)
            ),
        ));
    }
    digits("imputation.chapitre", &i.chapitre, 2..=3)?;
    digits("imputation.nature", &i.nature, 2..=8)?;
    if !i.nature.starts_with(&i.chapitre[..2]) {
        return Err(DomainError::invalid(
            "imputation.nature",
            format!("nature {} is not in chapitre {}", i.nature, i.chapitre),
        ));
    }
    if !i.fonction.is_empty() {
        digits("imputation.fonction", &i.fonction, 1..=4)?;
    }
    Ok(())
}

/// A CP schedule, when given, names each fiscal year once and adds up to
/// the envelope's voted amount.
pub(super) fn check_cp_schedule(
    schedule: &[CreditInstalment],
    voted: Cents,
) -> Result<(), DomainError> {
    if schedule.is_empty() {
        return Ok(());
    }
    let mut years = std::collections::BTreeSet::new();
    let mut total = Cents::ZERO;
    for (i, instalment) in schedule.iter().enumerate() {
        let path = format!("cp_schedule[{i}]");
        if !(2000..=2100).contains(&instalment.fiscal_year) || !years.insert(instalment.fiscal_year)
        {
            return Err(DomainError::invalid(
                "fiscal_year",
                "must be a plausible year, named once",
            )
            .within(&path));
        }
        let part = Cents::positive("amount_cents", instalment.amount_cents)
            .map_err(|e| e.within(&path))?;
        total = total
            .checked_add(part)
            .ok_or_else(|| DomainError::invalid("cp_schedule", "amounts overflow"))?;
    }
    if total != voted {
        return Err(DomainError::invalid(
            "cp_schedule",
            format!("adds up to {total}, not the {voted} voted"),
        ));
    }
    Ok(())
}

impl GrantsBook {
    pub(super) fn vote_credits(&self, c: &VoteCredits) -> Result<Decision, DomainError> {
        let funder = c
            .funder
            .as_ref()
            .ok_or_else(|| DomainError::invalid("funder", "is required"))?;
        let kind: FunderKind = required_enum("funder.kind", funder.kind)?;
        if kind != FunderKind::National {
            required_text("funder.code", &funder.code)?;
        }
        if !(2000..=2100).contains(&c.fiscal_year) {
            return Err(DomainError::invalid(
                "fiscal_year",
                "must be a plausible year",
            ));
        }
        let section: BudgetSection = required_enum("section", c.section)?;
        digits("chapitre", &c.chapitre, 2..=3)?;
        required_enum::<CreditVote>("vote", c.vote)?;
        required_text("vote_reference", &c.vote_reference)?;
        if c.delta_cents == 0 {
            return Err(DomainError::invalid("delta_cents", "must not be zero"));
        }
        let chapter = Chapter {
            funder: funder_key(funder),
            section: section_name(section).to_owned(),
            chapitre: c.chapitre.clone(),
        };
        let line = chapter.line(c.fiscal_year);
        let now = self.credits_of(&chapter, c.fiscal_year);
        let voted = now
            .voted
            .checked_add(Cents::new(c.delta_cents))
            .ok_or_else(|| DomainError::invalid("delta_cents", "is out of range"))?;
        if voted < now.mandated || voted.get() < 0 {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!(
                    "{line}: {} already mandated; the CP cannot become {voted}",
                    now.mandated
                ),
            )
            .field_path("delta_cents"));
        }
        Ok(Decision {
            stream: stream_ref("credits", &line),
            key: line.clone(),
            effective_date: parse_date("effective_date", &c.effective_date)?,
            occurred_at: c.occurred_at,
            payload: Payload::CreditsVoted(CreditsVoted {
                funder: c.funder.clone(),
                fiscal_year: c.fiscal_year,
                section: c.section,
                chapitre: c.chapitre.clone(),
                delta_cents: c.delta_cents,
                vote: c.vote,
                vote_reference: c.vote_reference.clone(),
            }),
        })
    }

    /// Refuses a payment of `amount` on `envelope_id` in `fiscal_year` when
    /// its chapter's CP for that year are exhausted. Envelopes opened before
    /// imputations were required have no chapter and are not bounded.
    pub(super) fn check_credits(
        &self,
        envelope_id: &str,
        fiscal_year: i32,
        amount: Cents,
    ) -> Result<(), DomainError> {
        let envelope = self.envelope(envelope_id)?;
        let Some(chapter) = self.chapter_of(&envelope.programme_id, envelope.chapter.as_ref())
        else {
            return Ok(());
        };
        let line = chapter.line(fiscal_year);
        let credits = self.credits_of(&chapter, fiscal_year);
        let left = Cents::new(credits.voted.get() - credits.mandated.get());
        if amount > left {
            return Err(DomainError::new(
                ErrorCode::PaymentCreditsExhausted,
                format!(
                    "{line}: {} of CP voted, {} mandated, {left} left; the payment is {amount}",
                    credits.voted, credits.mandated
                ),
            )
            .field_path("amount_cents"));
        }
        Ok(())
    }

    /// The chapter of an envelope's imputation under its programme's funder.
    pub(super) fn chapter_of(
        &self,
        programme_id: &str,
        imputed: Option<&Imputed>,
    ) -> Option<Chapter> {
        let imputed = imputed?;
        let programme = self.programmes.get(programme_id)?;
        Some(Chapter {
            funder: programme.funder.clone(),
            section: imputed.section.clone(),
            chapitre: imputed.chapitre.clone(),
        })
    }

    /// A chapter's CP for a year: voted, and mandated by the envelopes of
    /// every programme of its funder.
    pub fn credits_of(&self, chapter: &Chapter, fiscal_year: i32) -> Credits {
        let voted = self
            .credits
            .get(&chapter.line(fiscal_year))
            .map_or(Cents::ZERO, |c| c.voted);
        let imputed = Imputed {
            section: chapter.section.clone(),
            chapitre: chapter.chapitre.clone(),
        };
        let mandated = self
            .programmes
            .iter()
            .filter(|(_, p)| p.funder == chapter.funder)
            .filter_map(|(id, _)| self.mandated.get(&imputed.mandated_key(id, fiscal_year)))
            .map(|c| c.get())
            .sum();
        Credits {
            voted,
            mandated: Cents::new(mandated),
        }
    }
}

/// Folds a CP vote.
pub(super) fn credits_voted(book: &mut GrantsBook, e: &CreditsVoted) {
    let chapter = Chapter {
        funder: e.funder.as_ref().map(funder_key).unwrap_or_default(),
        section: section_name(e.section()).to_owned(),
        chapitre: e.chapitre.clone(),
    };
    let credits = book.credits.entry(chapter.line(e.fiscal_year)).or_default();
    credits.voted = Cents::new(credits.voted.get() + e.delta_cents);
}
