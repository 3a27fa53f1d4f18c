//! Parsing of the contract's shared sub-messages, with field paths in errors.

use ledger_proto::v1::{beneficiary::Party, Beneficiary, LegalEntity, Territory};

use crate::{
    ids::{CommuneCode, DepartementCode, EntityId, Finess, RegionCode, Siret},
    DomainError,
};

/// A required text field.
pub fn required_text(field: &str, raw: &str) -> Result<(), DomainError> {
    if raw.trim().is_empty() {
        Err(DomainError::invalid(field, "is required"))
    } else {
        Ok(())
    }
}

/// A required enum field: zero is "unspecified", and a value outside the enum
/// (sent by a newer or broken client) is refused, never guessed.
pub fn required_enum<E: TryFrom<i32>>(field: &str, raw: i32) -> Result<E, DomainError> {
    if raw == 0 {
        return Err(DomainError::invalid(field, "is required"));
    }
    E::try_from(raw).map_err(|_| DomainError::invalid(field, format!("{raw} is not a known value")))
}

/// Checks every code present in a territory; empty codes are allowed (a
/// territory may be a whole région) but at least one must be given.
pub fn territory(field: &str, t: Option<&Territory>) -> Result<(), DomainError> {
    let t = t.ok_or_else(|| DomainError::invalid(field, "is required"))?;
    if t.region_code.is_empty() && t.departement_code.is_empty() && t.commune_code.is_empty() {
        return Err(DomainError::invalid(
            field,
            "needs at least a region, département or commune code",
        ));
    }
    if !t.region_code.is_empty() {
        RegionCode::parse("region_code", &t.region_code).map_err(|e| e.within(field))?;
    }
    if !t.departement_code.is_empty() {
        DepartementCode::parse("departement_code", &t.departement_code)
            .map_err(|e| e.within(field))?;
    }
    if !t.commune_code.is_empty() {
        let commune =
            CommuneCode::parse("commune_code", &t.commune_code).map_err(|e| e.within(field))?;
        if !t.departement_code.is_empty() && commune.departement().as_str() != t.departement_code {
            return Err(DomainError::invalid(
                "commune_code",
                format!(
                    "commune {} is not in département {}",
                    t.commune_code, t.departement_code
                ),
            )
            .within(field));
        }
    }
    Ok(())
}

/// A legal entity: SIRET (Luhn), name, optional FINESS.
pub fn legal_entity(field: &str, e: Option<&LegalEntity>) -> Result<(), DomainError> {
    let e = e.ok_or_else(|| DomainError::invalid(field, "is required"))?;
    Siret::parse("siret", &e.siret).map_err(|err| err.within(field))?;
    required_text("name", &e.name).map_err(|err| err.within(field))?;
    if !e.finess.is_empty() {
        Finess::parse("finess", &e.finess).map_err(|err| err.within(field))?;
    }
    Ok(())
}

/// The person a beneficiary names, if it is one, with its field path.
pub fn person_named<'c>(
    path: &'static str,
    b: Option<&'c Beneficiary>,
) -> Option<(&'static str, &'c str)> {
    match b.and_then(|b| b.party.as_ref()) {
        Some(Party::PersonId(id)) => Some((path, id.as_str())),
        Some(Party::LegalEntity(_)) | None => None,
    }
}

/// A beneficiary: a legal entity or a pseudonymous person id.
pub fn beneficiary(field: &str, b: Option<&Beneficiary>) -> Result<(), DomainError> {
    match b.and_then(|b| b.party.as_ref()) {
        None => Err(DomainError::invalid(
            field,
            "is required: a legal_entity or a person_id",
        )),
        Some(Party::LegalEntity(e)) => {
            legal_entity("legal_entity", Some(e)).map_err(|err| err.within(field))
        }
        Some(Party::PersonId(id)) => EntityId::parse_person("person_id", id)
            .map(|_| ())
            .map_err(|err| err.within(field)),
    }
}
