//! What the detector reports: the entity types it knows, and a `Finding` (type, byte span, score,
//! normalized value). It does not decide what happens to a finding; that is `policy`'s job.

use std::fmt;
use zeroize::Zeroize;

/// Every kind of personal data the detector can report. The string forms are the canonical labels
/// of the interchange format (brief, section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EntityType {
    Person,
    PhoneNumber,
    EmailAddress,
    CreditCard,
    CardCvv,
    CardExpiry,
    UsSsn,
    UsItin,
    BankAccount,
    AbaRouting,
    IbanCode,
    DateOfBirth,
    StreetAddress,
    ZipCode,
    Location,
    AccountId,
    Credential,
    IpAddress,
    UsDriverLicense,
    UsPassport,
    MedicalRecordNumber,
    HealthPlanId,
}

impl EntityType {
    /// All types, in a stable order (used by policy tables and reports).
    pub const ALL: [EntityType; 22] = [
        EntityType::Person,
        EntityType::PhoneNumber,
        EntityType::EmailAddress,
        EntityType::CreditCard,
        EntityType::CardCvv,
        EntityType::CardExpiry,
        EntityType::UsSsn,
        EntityType::UsItin,
        EntityType::BankAccount,
        EntityType::AbaRouting,
        EntityType::IbanCode,
        EntityType::DateOfBirth,
        EntityType::StreetAddress,
        EntityType::ZipCode,
        EntityType::Location,
        EntityType::AccountId,
        EntityType::Credential,
        EntityType::IpAddress,
        EntityType::UsDriverLicense,
        EntityType::UsPassport,
        EntityType::MedicalRecordNumber,
        EntityType::HealthPlanId,
    ];

    /// The canonical label, e.g. `CREDIT_CARD`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Person => "PERSON",
            EntityType::PhoneNumber => "PHONE_NUMBER",
            EntityType::EmailAddress => "EMAIL_ADDRESS",
            EntityType::CreditCard => "CREDIT_CARD",
            EntityType::CardCvv => "CARD_CVV",
            EntityType::CardExpiry => "CARD_EXPIRY",
            EntityType::UsSsn => "US_SSN",
            EntityType::UsItin => "US_ITIN",
            EntityType::BankAccount => "BANK_ACCOUNT",
            EntityType::AbaRouting => "ABA_ROUTING",
            EntityType::IbanCode => "IBAN_CODE",
            EntityType::DateOfBirth => "DATE_OF_BIRTH",
            EntityType::StreetAddress => "STREET_ADDRESS",
            EntityType::ZipCode => "ZIP_CODE",
            EntityType::Location => "LOCATION",
            EntityType::AccountId => "ACCOUNT_ID",
            EntityType::Credential => "CREDENTIAL",
            EntityType::IpAddress => "IP_ADDRESS",
            EntityType::UsDriverLicense => "US_DRIVER_LICENSE",
            EntityType::UsPassport => "US_PASSPORT",
            EntityType::MedicalRecordNumber => "MEDICAL_RECORD_NUMBER",
            EntityType::HealthPlanId => "HEALTH_PLAN_ID",
        }
    }

    /// Parses a canonical label; `ADDRESS` is accepted as an alias of `STREET_ADDRESS` because
    /// the public evaluation sets use it.
    pub fn parse(label: &str) -> Option<EntityType> {
        if label == "ADDRESS" {
            return Some(EntityType::StreetAddress);
        }
        EntityType::ALL.into_iter().find(|t| t.as_str() == label)
    }

    /// When two candidate findings overlap, the higher priority wins. Checksummed and
    /// structurally certain types outrank context-only ones.
    pub(crate) fn priority(self) -> u8 {
        match self {
            EntityType::CreditCard | EntityType::IbanCode | EntityType::EmailAddress => 90,
            EntityType::UsSsn | EntityType::UsItin | EntityType::AbaRouting => 85,
            EntityType::IpAddress => 80,
            EntityType::CardCvv | EntityType::CardExpiry | EntityType::Credential => 75,
            EntityType::DateOfBirth => 70,
            EntityType::UsDriverLicense
            | EntityType::UsPassport
            | EntityType::MedicalRecordNumber
            | EntityType::HealthPlanId
            | EntityType::BankAccount
            | EntityType::AccountId => 65,
            EntityType::PhoneNumber => 60,
            EntityType::StreetAddress => 50,
            EntityType::ZipCode => 45,
            EntityType::Person => 40,
            EntityType::Location => 30,
        }
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The canonical form of a detected value (the digits of a spoken card, the lower-cased e-mail),
/// used for tokenization and blind indexes. It is personal data: `Debug` never shows it, there is
/// no `Display`, and the buffer is zeroized on drop.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct NormalizedValue(String);

impl NormalizedValue {
    pub fn new(value: String) -> Self {
        NormalizedValue(value)
    }

    /// The value itself. Callers must not log it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl Drop for NormalizedValue {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for NormalizedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// One piece of personal data found in a text: `start..end` are byte offsets into that text and
/// always lie on character boundaries.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub entity: EntityType,
    pub start: usize,
    pub end: usize,
    /// Confidence in 0..=1.
    pub score: f32,
    pub value: NormalizedValue,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for t in EntityType::ALL {
            assert_eq!(EntityType::parse(t.as_str()), Some(t));
        }
        assert_eq!(
            EntityType::parse("ADDRESS"),
            Some(EntityType::StreetAddress)
        );
        assert_eq!(EntityType::parse("NOPE"), None);
    }

    #[test]
    fn normalized_value_never_prints() {
        let v = NormalizedValue::new("4111111111111111".into());
        let shown = format!("{v:?}");
        assert_eq!(shown, "<redacted>");
        let f = Finding {
            entity: EntityType::CreditCard,
            start: 0,
            end: 16,
            score: 0.9,
            value: v,
        };
        assert!(!format!("{f:?}").contains("4111"));
    }
}
