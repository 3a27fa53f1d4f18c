//! Identifiers: the ledger's own ids and the French registries' codes, each
//! parsed once into a type that cannot hold an invalid value.

use std::fmt;

use crate::DomainError;

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_newtype!(
    /// An id chosen by a client for a programme, envelope, grant…:
    /// 1 to 64 characters from `[A-Za-z0-9._:-]`, so it is safe in URLs,
    /// Kafka keys and file names.
    EntityId
);
string_newtype!(
    /// INSEE commune code: 5 characters, département prefix then digits
    /// (`09257`, `2A004`, `97411`).
    CommuneCode
);
string_newtype!(
    /// Département code: `01`–`95` (no `20`), `2A`, `2B`, `971`–`976`.
    DepartementCode
);
string_newtype!(
    /// INSEE region code of a current région (`24` Centre-Val de Loire…).
    RegionCode
);
string_newtype!(
    /// FINESS number of a health structure: 9 characters, département prefix.
    Finess
);
string_newtype!(
    /// RPPS number of a health professional: 11 digits. Personal data: it is
    /// only ever held by the personal-data store, never in an event.
    Rpps
);
string_newtype!(
    /// SIRET of an establishment: 14 digits with a valid Luhn key.
    Siret
);

impl EntityId {
    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b));
        if ok {
            Ok(Self(raw.to_owned()))
        } else if raw.is_empty() {
            Err(DomainError::invalid(field, "is required"))
        } else {
            Err(DomainError::invalid(
                field,
                format!("{raw:?} is not an id: use 1 to 64 characters among A-Z a-z 0-9 . _ : -"),
            ))
        }
    }
}

impl EntityId {
    /// A person's id in a command: a pseudonym, never an identifying number.
    /// An id made of digits only, 9 or more of them (an RPPS is 11, an
    /// ADELI 9, a NIR 13 or 15), is refused; and no error repeats the value,
    /// which could be personal data.
    pub fn parse_person(field: &str, raw: &str) -> Result<Self, DomainError> {
        let digits_only = raw.bytes().all(|b| b.is_ascii_digit());
        if digits_only && raw.len() >= 9 {
            return Err(DomainError::invalid(
                field,
                "looks like an identifying number (RPPS, ADELI, NIR): send the pseudonym the personal-data store issued (POST /v1/persons)",
            ));
        }
        Self::parse(field, raw).map_err(|_| {
            DomainError::invalid(
                field,
                "is not a person id: a pseudonym of 1 to 64 characters among A-Z a-z 0-9 . _ : -",
            )
        })
    }
}

/// Two-character département prefixes that exist in mainland France and Corsica.
fn is_metropolitan_prefix(prefix: &str) -> bool {
    match prefix {
        "2A" | "2B" => true,
        _ => {
            matches!(prefix.parse::<u8>(), Ok(n) if prefix.len() == 2 && (1..=95).contains(&n) && n != 20)
        }
    }
}

impl DepartementCode {
    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        let overseas = matches!(raw, "971" | "972" | "973" | "974" | "975" | "976");
        if overseas || (raw.len() == 2 && is_metropolitan_prefix(raw)) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::invalid(
                field,
                format!("{raw:?} is not a French département code"),
            ))
        }
    }
}

impl CommuneCode {
    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        let ok = raw.len() == 5 && raw.is_ascii() && {
            let (prefix, rest) = raw.split_at(2);
            let overseas = prefix == "97" && matches!(rest.as_bytes()[0], b'1'..=b'6');
            (overseas || is_metropolitan_prefix(prefix)) && rest.bytes().all(|b| b.is_ascii_digit())
        };
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::invalid(
                field,
                format!("{raw:?} is not an INSEE commune code"),
            ))
        }
    }

    /// The département the commune belongs to.
    pub fn departement(&self) -> DepartementCode {
        let cut = if self.0.starts_with("97") { 3 } else { 2 };
        DepartementCode(self.0[..cut].to_owned())
    }
}

/// INSEE codes of the current régions (2016 map), overseas included.
const REGIONS: [&str; 18] = [
    "01", "02", "03", "04", "06", "11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84",
    "93", "94",
];

impl RegionCode {
    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        if REGIONS.contains(&raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::invalid(
                field,
                format!("{raw:?} is not an INSEE region code"),
            ))
        }
    }
}

impl Finess {
    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        let ok = raw.len() == 9 && raw.is_ascii() && {
            let (prefix, rest) = raw.split_at(2);
            (prefix == "97" || prefix == "98" || is_metropolitan_prefix(prefix))
                && rest.bytes().all(|b| b.is_ascii_digit())
        };
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::invalid(
                field,
                format!("{raw:?} is not a FINESS number (9 characters)"),
            ))
        }
    }
}

impl Rpps {
    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        if raw.len() == 11 && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(raw.to_owned()))
        } else {
            // Never echo the value: an RPPS number identifies a person.
            Err(DomainError::invalid(
                field,
                "is not an RPPS number (11 digits)",
            ))
        }
    }
}

/// Luhn checksum over ASCII digits.
fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 {
                    twice - 9
                } else {
                    twice
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// La Poste's establishments share one SIREN whose SIRETs follow another rule:
/// the sum of the digits is a multiple of 5.
const LA_POSTE_SIREN: &str = "356000000";

impl Siret {
    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        if raw.len() != 14 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::invalid(
                field,
                format!("{raw:?} is not a SIRET (14 digits)"),
            ));
        }
        let valid = if raw.starts_with(LA_POSTE_SIREN) {
            raw.bytes()
                .map(|b| u32::from(b - b'0'))
                .sum::<u32>()
                .is_multiple_of(5)
        } else {
            luhn_valid(raw)
        };
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::invalid(
                field,
                format!("{raw:?} is not a valid SIRET: its check digit is wrong"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn entity_ids() {
        assert!(EntityId::parse("id", "cvl-msp-2018").is_ok());
        assert!(EntityId::parse("id", "a:b.c_d").is_ok());
        assert_eq!(
            EntityId::parse("id", "").unwrap_err().message,
            "is required"
        );
        assert!(EntityId::parse("id", "has space").is_err());
        assert!(EntityId::parse("id", &"x".repeat(65)).is_err());
    }

    #[test]
    fn a_person_is_named_by_a_pseudonym_never_by_an_identifying_number() {
        assert!(
            EntityId::parse_person("person_id", "0193a2b4-5c6d-4e7f-8a9b-0c1d2e3f4a5b").is_ok()
        );
        assert!(EntityId::parse_person("person_id", "medecin-41-009").is_ok());
        for number in [
            "10101234567",
            "123456789",
            "1850575123456",
            "185057512345678",
        ] {
            let err = EntityId::parse_person("person_id", number).unwrap_err();
            assert!(
                !err.message.contains(number),
                "never echoed: {}",
                err.message
            );
        }
        let err = EntityId::parse_person("person_id", "Camille Fontaine").unwrap_err();
        assert!(!err.message.contains("Camille"), "{}", err.message);
    }

    #[test]
    fn commune_codes_of_the_seeds() {
        // Sainte-Croix-Volvestre (Ariège), Lussan (Gard), Ajaccio, Saint-Denis de La Réunion.
        for code in ["09257", "30151", "2A004", "97411"] {
            assert!(CommuneCode::parse("c", code).is_ok(), "{code}");
        }
        for code in ["20004", "00123", "9741", "97711", "ABCDE", "096 8"] {
            assert!(CommuneCode::parse("c", code).is_err(), "{code}");
        }
        assert_eq!(
            CommuneCode::parse("c", "97411").map(|c| c.departement().0),
            Ok("974".into())
        );
        assert_eq!(
            CommuneCode::parse("c", "41018").map(|c| c.departement().0),
            Ok("41".into())
        );
    }

    #[test]
    fn departements_and_regions() {
        for ok in ["01", "41", "2A", "95", "976"] {
            assert!(DepartementCode::parse("d", ok).is_ok(), "{ok}");
        }
        for bad in ["00", "20", "96", "977", "4", "2C"] {
            assert!(DepartementCode::parse("d", bad).is_err(), "{bad}");
        }
        assert!(RegionCode::parse("r", "24").is_ok());
        assert!(RegionCode::parse("r", "25").is_err());
    }

    #[test]
    fn finess_and_rpps() {
        assert!(Finess::parse("f", "410000012").is_ok());
        assert!(Finess::parse("f", "2A0000012").is_ok());
        assert!(Finess::parse("f", "41000001").is_err());
        assert!(Rpps::parse("r", "10001234567").is_ok());
        let err = Rpps::parse("r", "1000123456X").unwrap_err();
        assert!(
            !err.message.contains("1000123456"),
            "an RPPS must not be echoed"
        );
    }

    #[test]
    fn siret_luhn() {
        // A Luhn-valid SIRET, and the same with its key changed.
        assert!(Siret::parse("s", "23450002300028").is_ok());
        assert!(Siret::parse("s", "23450002300029").is_err());
        assert!(Siret::parse("s", "35600000000010").is_ok(), "La Poste rule");
        assert!(Siret::parse("s", "2345000230002").is_err());
    }

    proptest! {
        #[test]
        fn changing_one_siret_digit_breaks_luhn(pos in 0usize..14, delta in 1u8..10) {
            let valid = "23450002300028";
            let mut bytes = valid.as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(Siret::parse("s", &changed).is_err());
        }

        #[test]
        fn entity_id_parse_never_panics(raw in ".{0,80}") {
            let _ = EntityId::parse("id", &raw);
            let _ = CommuneCode::parse("c", &raw);
            let _ = Siret::parse("s", &raw);
        }
    }
}
