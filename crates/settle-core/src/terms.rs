//! Payment terms: when an invoice falls due, and what early-payment discount it offers.
//!
//! Written the way A/R people write them: `NET30`, `DUE_ON_RECEIPT`, `EOM30` (30 days after the
//! end of the invoice month) and discount terms such as `2/10 NET30` (2 % off when paid within
//! 10 days, otherwise due in 30). A discount is earned when the cash arrives (value date) on or
//! before the discount date, as ACCOUNTING.md fixes.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;

use crate::money::{Money, MoneyError, Rounding};

/// The longest term we accept, in days: beyond this a typo is likelier than a real term.
pub const MAX_TERM_DAYS: u16 = 3650;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentTerms {
    DueOnReceipt,
    Net {
        days: u16,
    },
    /// Due `days` after the last day of the invoice's month.
    EndOfMonth {
        days: u16,
    },
    /// `discount_bp` basis points off (200 = 2 %) when paid within `discount_days`, else due
    /// `net_days` after the invoice date.
    Discount {
        discount_bp: u32,
        discount_days: u16,
        net_days: u16,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermsError {
    #[error("{text:?} is not a payment term (expected NET30, DUE_ON_RECEIPT, EOM30 or 2/10 NET30)")]
    Unrecognised { text: String },
    #[error("{text:?}: {reason}")]
    OutOfRange { text: String, reason: &'static str },
    #[error("due date of an invoice dated {issue_date} is out of the calendar")]
    DateOutOfRange { issue_date: Date },
}

fn add_days(date: Date, days: u16) -> Result<Date, TermsError> {
    date.checked_add(jiff::Span::new().days(i64::from(days)))
        .map_err(|_| TermsError::DateOutOfRange { issue_date: date })
}

impl PaymentTerms {
    pub fn due_date(&self, issue_date: Date) -> Result<Date, TermsError> {
        match *self {
            PaymentTerms::DueOnReceipt => Ok(issue_date),
            PaymentTerms::Net { days } => add_days(issue_date, days),
            PaymentTerms::EndOfMonth { days } => add_days(issue_date.last_of_month(), days),
            PaymentTerms::Discount { net_days, .. } => add_days(issue_date, net_days),
        }
    }

    /// The last day on which the discount is earned, if the terms offer one.
    pub fn discount_date(&self, issue_date: Date) -> Result<Option<Date>, TermsError> {
        match *self {
            PaymentTerms::Discount { discount_days, .. } => {
                add_days(issue_date, discount_days).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The discount the terms offer on `amount`, rounded half up to the minor unit; zero for
    /// terms without one.
    pub fn discount_amount(&self, amount: Money) -> Result<Money, MoneyError> {
        match *self {
            PaymentTerms::Discount { discount_bp, .. } => {
                amount.percent_bp(discount_bp, Rounding::HalfUp)
            }
            _ => Ok(Money::zero(amount.currency())),
        }
    }

    /// The discount earned by cash arriving on `value_date` for an invoice of `amount` issued on
    /// `issue_date`: `Some` when on or before the discount date, `None` when unearned or offered.
    pub fn earned_discount(
        &self,
        amount: Money,
        issue_date: Date,
        value_date: Date,
    ) -> Result<Option<Money>, TermsError> {
        match self.discount_date(issue_date)? {
            Some(last_day) if value_date <= last_day => {
                let discount =
                    self.discount_amount(amount)
                        .map_err(|_| TermsError::OutOfRange {
                            text: self.to_string(),
                            reason: "discount out of range",
                        })?;
                Ok(Some(discount))
            }
            _ => Ok(None),
        }
    }
}

fn parse_days(text: &str, digits: &str) -> Result<u16, TermsError> {
    let digits = digits.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TermsError::Unrecognised {
            text: text.to_string(),
        });
    }
    match digits.parse::<u16>() {
        Ok(days) if days <= MAX_TERM_DAYS => Ok(days),
        _ => Err(TermsError::OutOfRange {
            text: text.to_string(),
            reason: "more than 3650 days",
        }),
    }
}

/// Reads a percentage such as `2`, `1.5` or `0.25` into basis points.
fn parse_percent_bp(text: &str, percent: &str) -> Result<u32, TermsError> {
    let unrecognised = || TermsError::Unrecognised {
        text: text.to_string(),
    };
    let (whole, fraction) = percent.split_once('.').unwrap_or((percent, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) || fraction.len() > 2 {
        return Err(unrecognised());
    }
    let whole: u32 = whole.parse().map_err(|_| unrecognised())?;
    let fraction_bp: u32 = format!("{fraction:0<2}")
        .parse()
        .map_err(|_| unrecognised())?;
    let bp = whole.saturating_mul(100).saturating_add(fraction_bp);
    if bp == 0 || bp >= 10_000 {
        return Err(TermsError::OutOfRange {
            text: text.to_string(),
            reason: "a discount must be more than 0 % and less than 100 %",
        });
    }
    Ok(bp)
}

/// `NET30`, `NET 30` or `N30` → 30.
fn strip_net(text: &str, part: &str) -> Result<u16, TermsError> {
    let rest = part
        .strip_prefix("NET")
        .or_else(|| part.strip_prefix('N'))
        .ok_or_else(|| TermsError::Unrecognised {
            text: text.to_string(),
        })?;
    parse_days(text, rest)
}

impl FromStr for PaymentTerms {
    type Err = TermsError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let upper = text.trim().to_ascii_uppercase();
        let normalised = upper.replace(['_', '-'], " ");
        let normalised = normalised.split_whitespace().collect::<Vec<_>>().join(" ");
        match normalised.as_str() {
            "DUE ON RECEIPT" | "DUE UPON RECEIPT" | "COD" | "NET0" | "NET 0" => {
                return Ok(PaymentTerms::DueOnReceipt);
            }
            "EOM" => return Ok(PaymentTerms::EndOfMonth { days: 0 }),
            _ => {}
        }
        if let Some((discount, net)) = normalised.split_once(' ').filter(|(d, _)| d.contains('/')) {
            let (percent, days) = discount.split_once('/').expect("filtered on '/'");
            let discount_bp = parse_percent_bp(text, percent)?;
            let discount_days = parse_days(text, days)?;
            let net_days = strip_net(text, net)?;
            if discount_days > net_days {
                return Err(TermsError::OutOfRange {
                    text: text.to_string(),
                    reason: "the discount period is longer than the net period",
                });
            }
            return Ok(PaymentTerms::Discount {
                discount_bp,
                discount_days,
                net_days,
            });
        }
        if let Some(days) = normalised.strip_prefix("EOM") {
            return Ok(PaymentTerms::EndOfMonth {
                days: parse_days(text, days)?,
            });
        }
        if let Some(days) = normalised
            .strip_suffix("EOM")
            .and_then(|n| n.trim().strip_prefix("NET"))
        {
            return Ok(PaymentTerms::EndOfMonth {
                days: parse_days(text, days)?,
            });
        }
        let days = strip_net(text, &normalised)?;
        Ok(if days == 0 {
            PaymentTerms::DueOnReceipt
        } else {
            PaymentTerms::Net { days }
        })
    }
}

impl fmt::Display for PaymentTerms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PaymentTerms::DueOnReceipt => f.write_str("DUE_ON_RECEIPT"),
            PaymentTerms::Net { days } => write!(f, "NET{days}"),
            PaymentTerms::EndOfMonth { days } => write!(f, "EOM{days}"),
            PaymentTerms::Discount {
                discount_bp,
                discount_days,
                net_days,
            } => {
                let whole = discount_bp / 100;
                match discount_bp % 100 {
                    0 => write!(f, "{whole}/{discount_days} NET{net_days}"),
                    cents if cents % 10 == 0 => {
                        write!(f, "{whole}.{}/{discount_days} NET{net_days}", cents / 10)
                    }
                    cents => write!(f, "{whole}.{cents:02}/{discount_days} NET{net_days}"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::currency::Currency;
    use jiff::civil::date;

    fn terms(s: &str) -> PaymentTerms {
        s.parse().unwrap()
    }

    #[test]
    fn parses_the_usual_spellings() {
        assert_eq!(terms("NET30"), PaymentTerms::Net { days: 30 });
        assert_eq!(terms("net 45"), PaymentTerms::Net { days: 45 });
        assert_eq!(terms("DUE_ON_RECEIPT"), PaymentTerms::DueOnReceipt);
        assert_eq!(terms("Due on receipt"), PaymentTerms::DueOnReceipt);
        assert_eq!(terms("EOM30"), PaymentTerms::EndOfMonth { days: 30 });
        assert_eq!(terms("NET30 EOM"), PaymentTerms::EndOfMonth { days: 30 });
        assert_eq!(
            terms("2/10 NET30"),
            PaymentTerms::Discount {
                discount_bp: 200,
                discount_days: 10,
                net_days: 30
            }
        );
        assert_eq!(
            terms("1.5/10 N45"),
            PaymentTerms::Discount {
                discount_bp: 150,
                discount_days: 10,
                net_days: 45
            }
        );
    }

    #[test]
    fn refuses_nonsense() {
        for bad in [
            "",
            "NET",
            "NETX",
            "30",
            "2/10",
            "0/10 NET30",
            "2/40 NET30",
            "NET99999",
            "100/10 NET30",
            "2/10 NET30 EXTRA",
        ] {
            assert!(
                bad.parse::<PaymentTerms>().is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "NET30",
            "DUE_ON_RECEIPT",
            "EOM15",
            "2/10 NET30",
            "1.5/10 NET45",
            "0.25/5 NET20",
        ] {
            assert_eq!(terms(text).to_string(), text);
        }
    }

    #[test]
    fn due_dates() {
        let issued = date(2026, 1, 20);
        assert_eq!(terms("NET30").due_date(issued).unwrap(), date(2026, 2, 19));
        assert_eq!(terms("DUE_ON_RECEIPT").due_date(issued).unwrap(), issued);
        assert_eq!(terms("EOM30").due_date(issued).unwrap(), date(2026, 3, 2));
        assert_eq!(
            terms("EOM0").due_date(date(2024, 2, 3)).unwrap(),
            date(2024, 2, 29)
        );
    }

    #[test]
    fn discount_is_earned_on_or_before_the_discount_date() {
        let t = terms("2/10 NET30");
        let issued = date(2026, 3, 1);
        let amount = Money::new(100_050, Currency::USD);
        assert_eq!(t.discount_date(issued).unwrap(), Some(date(2026, 3, 11)));
        assert_eq!(
            t.earned_discount(amount, issued, date(2026, 3, 11))
                .unwrap(),
            Some(Money::new(2001, Currency::USD))
        );
        assert_eq!(
            t.earned_discount(amount, issued, date(2026, 3, 12))
                .unwrap(),
            None
        );
        assert_eq!(
            terms("NET30")
                .earned_discount(amount, issued, issued)
                .unwrap(),
            None
        );
    }
}
