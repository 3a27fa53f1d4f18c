//! What a target may say: its shape (a count by a deadline, a yearly flow,
//! a ratio) and the professions it counts.

use ledger_proto::v1::{Profession, SetTarget, TargetMetric, TargetShape};

use crate::DomainError;

/// The shape's own fields are there, and only they.
pub(super) fn check_shape(shape: TargetShape, c: &SetTarget) -> Result<(), DomainError> {
    let denominator = TargetMetric::try_from(c.denominator).unwrap_or(TargetMetric::Unspecified);
    match shape {
        TargetShape::Unspecified | TargetShape::CountByDeadline => {
            if c.value <= 0 {
                return Err(DomainError::invalid("value", "must be strictly positive"));
            }
            no_steps(c)?;
            no_denominator(denominator)
        }
        TargetShape::FlowPerYear => {
            if c.value < 0 {
                return Err(DomainError::invalid("value", "must be zero or more"));
            }
            if c.steps.is_empty() {
                return Err(DomainError::invalid(
                    "steps",
                    "a yearly flow needs at least one step (from_year, per_year)",
                ));
            }
            let mut last = None;
            for (i, step) in c.steps.iter().enumerate() {
                let path = format!("steps[{i}]");
                if step.per_year <= 0 {
                    return Err(
                        DomainError::invalid("per_year", "must be strictly positive").within(&path),
                    );
                }
                if last.is_some_and(|year| step.from_year <= year) {
                    return Err(DomainError::invalid(
                        "from_year",
                        "steps must come in increasing years",
                    )
                    .within(&path));
                }
                last = Some(step.from_year);
            }
            no_denominator(denominator)
        }
        TargetShape::Ratio => {
            if !(1..=10_000).contains(&c.value) {
                return Err(DomainError::invalid(
                    "value",
                    "a ratio's value is a share in basis points, 1 to 10000",
                ));
            }
            if denominator == TargetMetric::Unspecified {
                return Err(DomainError::invalid(
                    "denominator",
                    "a ratio needs the metric it divides by",
                ));
            }
            no_steps(c)
        }
    }
}

/// A yearly flow's steps start within the programme's years and by the
/// deadline's, so that every step is measured at least once.
pub(super) fn check_years(
    steps: &[ledger_proto::v1::TargetStep],
    first: i32,
    last: i32,
) -> Result<(), DomainError> {
    for (i, step) in steps.iter().enumerate() {
        if !(first..=last).contains(&step.from_year) {
            return Err(DomainError::invalid(
                "from_year",
                format!(
                    "must be a year from the programme's first, {first}, to the deadline's, {last}"
                ),
            )
            .within(&format!("steps[{i}]")));
        }
    }
    Ok(())
}

fn no_steps(c: &SetTarget) -> Result<(), DomainError> {
    if c.steps.is_empty() {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "steps",
            "only a yearly flow (TARGET_SHAPE_FLOW_PER_YEAR) has steps",
        ))
    }
}

fn no_denominator(denominator: TargetMetric) -> Result<(), DomainError> {
    if denominator == TargetMetric::Unspecified {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "denominator",
            "only a ratio (TARGET_SHAPE_RATIO) has a denominator",
        ))
    }
}

/// Professions narrow only the metrics that count people by profession.
pub(super) fn check_professions(
    metric: TargetMetric,
    professions: &[i32],
) -> Result<(), DomainError> {
    if professions.is_empty() {
        return Ok(());
    }
    let by_profession = match metric {
        TargetMetric::SalariedDoctors
        | TargetMetric::ProfessionalsHosted
        | TargetMetric::ProfessionalsRecruited => true,
        TargetMetric::Unspecified
        | TargetMetric::MspOpen
        | TargetMetric::CentresOpen
        | TargetMetric::ProfessionalsTrained
        | TargetMetric::PatientsSeen
        | TargetMetric::GroupingMembers => false,
    };
    if !by_profession {
        return Err(DomainError::invalid(
            "professions",
            format!(
                "{} does not count people by profession",
                metric.as_str_name()
            ),
        ));
    }
    for (i, p) in professions.iter().enumerate() {
        match Profession::try_from(*p) {
            Ok(Profession::Unspecified) | Err(_) => {
                return Err(DomainError::invalid(
                    &format!("professions[{i}]"),
                    format!("{p} is not a profession"),
                ))
            }
            Ok(_) => {}
        }
    }
    Ok(())
}
