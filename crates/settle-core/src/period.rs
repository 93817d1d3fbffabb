//! Accounting periods and the lock that closing them sets.
//!
//! Periods are calendar months unless the entity configures a fiscal calendar (any contiguous
//! run of named periods, such as 4-4-5 quarters or a year starting in April). Closed periods
//! always form a prefix of time: a period closes only after the one before it, and only the
//! latest closed period can be reopened. So the whole lock is one date, `through`: nothing may
//! be posted dated on or before it, and a correction of something inside goes into an open
//! period as an entry that names the original.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub name: String,
    pub start: Date,
    pub end: Date,
}

impl Period {
    pub fn contains(&self, date: Date) -> bool {
        self.start <= date && date <= self.end
    }

    /// Days from start to end, both counted.
    pub fn days(&self) -> i32 {
        (self.end - self.start).get_days() + 1
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PeriodError {
    #[error("{0:?} is not a period: calendar months are named yyyy-mm (for example 2026-10)")]
    BadMonth(String),
    #[error("no period {0:?} in the fiscal calendar")]
    UnknownPeriod(String),
    #[error("{0} lies outside the fiscal calendar ({1} to {2})")]
    OutsideCalendar(Date, Date, Date),
    #[error("period {name:?} ends ({end}) before it starts ({start})")]
    Inverted {
        name: String,
        start: Date,
        end: Date,
    },
    #[error("period {0:?} is named twice")]
    DuplicateName(String),
    #[error(
        "period {name:?} starts {start}, but the period before it ended {previous_end}: periods must follow each other without gap or overlap"
    )]
    NotContiguous {
        name: String,
        start: Date,
        previous_end: Date,
    },
    #[error("a fiscal calendar needs at least one period")]
    Empty,
}

/// How an entity's time is cut into periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Calendar {
    /// Calendar months named `yyyy-mm`.
    Months,
    /// Named periods, in order, each starting the day after the one before ended.
    Fiscal(Vec<Period>),
}

impl Calendar {
    /// A fiscal calendar, checked: in order, contiguous, names unique, none inverted.
    pub fn fiscal(periods: Vec<Period>) -> Result<Calendar, PeriodError> {
        if periods.is_empty() {
            return Err(PeriodError::Empty);
        }
        let mut names = std::collections::HashSet::new();
        for (index, period) in periods.iter().enumerate() {
            if period.end < period.start {
                return Err(PeriodError::Inverted {
                    name: period.name.clone(),
                    start: period.start,
                    end: period.end,
                });
            }
            if !names.insert(period.name.as_str()) {
                return Err(PeriodError::DuplicateName(period.name.clone()));
            }
            if let Some(previous) = index.checked_sub(1).map(|i| &periods[i])
                && previous.end.tomorrow().ok() != Some(period.start)
            {
                return Err(PeriodError::NotContiguous {
                    name: period.name.clone(),
                    start: period.start,
                    previous_end: previous.end,
                });
            }
        }
        Ok(Calendar::Fiscal(periods))
    }

    pub fn named(&self, name: &str) -> Result<Period, PeriodError> {
        match self {
            Calendar::Months => month(name),
            Calendar::Fiscal(periods) => periods
                .iter()
                .find(|p| p.name == name)
                .cloned()
                .ok_or_else(|| PeriodError::UnknownPeriod(name.to_string())),
        }
    }

    pub fn containing(&self, date: Date) -> Result<Period, PeriodError> {
        match self {
            Calendar::Months => Ok(month_of(date)),
            Calendar::Fiscal(periods) => periods
                .iter()
                .find(|p| p.contains(date))
                .cloned()
                .ok_or_else(|| {
                    PeriodError::OutsideCalendar(
                        date,
                        periods[0].start,
                        periods[periods.len() - 1].end,
                    )
                }),
        }
    }

    /// The period that ends the day before `period` starts, if the calendar has one.
    pub fn before(&self, period: &Period) -> Option<Period> {
        self.containing(period.start.yesterday().ok()?).ok()
    }

    /// The period that starts the day after `period` ends, if the calendar has one.
    pub fn after(&self, period: &Period) -> Option<Period> {
        self.containing(period.end.tomorrow().ok()?).ok()
    }

    /// The periods that overlap `from..=to`, in order (at most `limit`).
    pub fn between(&self, from: Date, to: Date, limit: usize) -> Vec<Period> {
        let mut out = Vec::new();
        let Ok(mut period) = self.containing(from).or_else(|_| self.first_after(from)) else {
            return out;
        };
        while period.start <= to && out.len() < limit {
            let next = self.after(&period);
            out.push(period);
            match next {
                Some(next) => period = next,
                None => break,
            }
        }
        out
    }

    fn first_after(&self, date: Date) -> Result<Period, PeriodError> {
        match self {
            Calendar::Months => Ok(month_of(date)),
            Calendar::Fiscal(periods) => periods
                .iter()
                .find(|p| p.start > date)
                .cloned()
                .ok_or(PeriodError::Empty),
        }
    }
}

/// The calendar month `yyyy-mm`.
pub fn month(name: &str) -> Result<Period, PeriodError> {
    let bad = || PeriodError::BadMonth(name.to_string());
    let (year, month) = name.split_once('-').ok_or_else(bad)?;
    if year.len() != 4 || month.len() != 2 {
        return Err(bad());
    }
    let year: i16 = year.parse().map_err(|_| bad())?;
    let month: i8 = month.parse().map_err(|_| bad())?;
    let start = Date::new(year, month, 1).map_err(|_| bad())?;
    Ok(month_of(start))
}

fn month_of(date: Date) -> Period {
    let start = date.first_of_month();
    Period {
        name: format!("{:04}-{:02}", start.year(), start.month()),
        start,
        end: date.last_of_month(),
    }
}

/// How far the books are closed: every date on or before `through` is locked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    /// The latest closed period.
    pub period: String,
    pub through: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "{date} lies in closed period {period} (the books are closed through {through}): post it dated {first_open} or later, referring to the original"
)]
pub struct PeriodClosed {
    pub date: Date,
    pub period: String,
    pub through: Date,
    pub first_open: Date,
}

/// Refuses a posting dated inside the closed periods.
pub fn check_open(
    lock: Option<&Lock>,
    calendar: &Calendar,
    date: Date,
) -> Result<(), PeriodClosed> {
    match lock {
        Some(lock) if date <= lock.through => Err(PeriodClosed {
            date,
            period: calendar
                .containing(date)
                .map(|p| p.name)
                .unwrap_or_else(|_| lock.period.clone()),
            through: lock.through,
            first_open: lock.through.tomorrow().unwrap_or(lock.through),
        }),
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CloseRefused {
    #[error("period {0} is already closed")]
    AlreadyClosed(String),
    #[error(
        "period {period} cannot close before {missing}: periods close in order (the books are closed through {through})"
    )]
    OutOfOrder {
        period: String,
        missing: String,
        through: Date,
    },
    #[error(
        "period {period} ends {end}, after the as-of date {today}: a period closes once it is over"
    )]
    NotOver {
        period: String,
        end: Date,
        today: Date,
    },
    #[error("period {0} is not closed")]
    NotClosed(String),
    #[error("only the latest closed period ({latest}) can be reopened; reopen it first")]
    NotLatest { latest: String },
}

/// Whether `period` may close now: it is over, not closed yet, and directly follows the lock.
pub fn check_close(
    calendar: &Calendar,
    lock: Option<&Lock>,
    period: &Period,
    today: Date,
) -> Result<(), CloseRefused> {
    if period.end >= today {
        return Err(CloseRefused::NotOver {
            period: period.name.clone(),
            end: period.end,
            today,
        });
    }
    if let Some(lock) = lock {
        if period.end <= lock.through {
            return Err(CloseRefused::AlreadyClosed(period.name.clone()));
        }
        let next_open = lock.through.tomorrow().unwrap_or(lock.through);
        if period.start > next_open {
            let missing = calendar
                .containing(next_open)
                .map(|p| p.name)
                .unwrap_or_else(|_| next_open.to_string());
            return Err(CloseRefused::OutOfOrder {
                period: period.name.clone(),
                missing,
                through: lock.through,
            });
        }
    }
    Ok(())
}

/// The lock after reopening `period`: only the latest closed period reopens, and the lock
/// falls back to the period before it (none when it was the first ever closed).
pub fn reopen(
    calendar: &Calendar,
    lock: Option<&Lock>,
    period: &Period,
    first_closed: Option<&Period>,
) -> Result<Option<Lock>, CloseRefused> {
    let Some(lock) = lock else {
        return Err(CloseRefused::NotClosed(period.name.clone()));
    };
    if period.end > lock.through {
        return Err(CloseRefused::NotClosed(period.name.clone()));
    }
    if period.name != lock.period {
        return Err(CloseRefused::NotLatest {
            latest: lock.period.clone(),
        });
    }
    if first_closed.is_some_and(|first| first.name == period.name) {
        return Ok(None);
    }
    Ok(calendar.before(period).map(|before| Lock {
        period: before.name,
        through: before.end,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    proptest! {
        /// Random closes and reopenings of months, as the service applies them: the lock is
        /// always the end of an unbroken run of closed months, a posting is refused exactly
        /// when it is dated inside the run, and a refused step changes nothing.
        #[test]
        fn the_lock_is_always_the_end_of_an_unbroken_run(
            steps in proptest::collection::vec((any::<bool>(), 0i8..18, 0i16..400), 1..60)
        ) {
            let calendar = Calendar::Months;
            let today = date(2027, 7, 1);
            let mut lock: Option<Lock> = None;
            let mut closed: Vec<Period> = Vec::new();
            for (close, month_offset, probe) in steps {
                let start = date(2026, 1, 1).checked_add(jiff::Span::new().months(month_offset)).unwrap();
                let period = calendar.containing(start).unwrap();
                if close {
                    if check_close(&calendar, lock.as_ref(), &period, today).is_ok() {
                        lock = Some(Lock { period: period.name.clone(), through: period.end });
                        closed.push(period);
                    }
                } else if let Ok(after) = reopen(&calendar, lock.as_ref(), &period, closed.first()) {
                    closed.pop();
                    lock = after;
                }
                // Closed months are consecutive and end at the lock.
                for pair in closed.windows(2) {
                    prop_assert_eq!(calendar.after(&pair[0]), Some(pair[1].clone()));
                }
                prop_assert_eq!(closed.last().map(|p| p.end), lock.as_ref().map(|l| l.through));
                let day = date(2025, 12, 1).checked_add(jiff::Span::new().days(probe)).unwrap();
                let refused = check_open(lock.as_ref(), &calendar, day).is_err();
                prop_assert_eq!(refused, lock.as_ref().is_some_and(|l| day <= l.through));
            }
        }
    }

    #[test]
    fn months_are_named_and_bounded() {
        let october = month("2026-10").unwrap();
        assert_eq!(october.start, date(2026, 10, 1));
        assert_eq!(october.end, date(2026, 10, 31));
        assert_eq!(october.days(), 31);
        assert_eq!(month("2028-02").unwrap().end, date(2028, 2, 29));
        for bad in ["2026-13", "2026-1", "26-10", "2026/10", "", "2026-00"] {
            assert!(month(bad).is_err(), "{bad}");
        }
        let calendar = Calendar::Months;
        assert_eq!(calendar.before(&october).unwrap().name, "2026-09");
        assert_eq!(calendar.after(&october).unwrap().name, "2026-11");
        let names: Vec<_> = calendar
            .between(date(2026, 11, 15), date(2027, 1, 3), 12)
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["2026-11", "2026-12", "2027-01"]);
    }

    fn period(name: &str, start: Date, end: Date) -> Period {
        Period {
            name: name.into(),
            start,
            end,
        }
    }

    #[test]
    fn a_fiscal_calendar_must_be_contiguous() {
        let p1 = period("FY27-P01", date(2026, 4, 1), date(2026, 4, 30));
        let p2 = period("FY27-P02", date(2026, 5, 1), date(2026, 6, 3));
        let gap = period("FY27-P03", date(2026, 6, 5), date(2026, 6, 30));
        assert!(matches!(
            Calendar::fiscal(vec![p1.clone(), p2.clone(), gap]),
            Err(PeriodError::NotContiguous { .. })
        ));
        let calendar = Calendar::fiscal(vec![p1.clone(), p2.clone()]).unwrap();
        assert_eq!(calendar.containing(date(2026, 6, 2)).unwrap(), p2);
        assert_eq!(calendar.named("FY27-P01").unwrap(), p1);
        assert!(calendar.named("2026-04").is_err());
        assert!(calendar.containing(date(2026, 7, 1)).is_err());
        assert_eq!(calendar.before(&p2), Some(p1.clone()));
        assert_eq!(calendar.before(&p1), None);
        assert!(matches!(
            Calendar::fiscal(vec![p1.clone(), p1.clone()]),
            Err(PeriodError::DuplicateName(_)) | Err(PeriodError::NotContiguous { .. })
        ));
    }

    #[test]
    fn periods_close_in_order_and_reopen_from_the_latest() {
        let calendar = Calendar::Months;
        let sep = month("2026-09").unwrap();
        let oct = month("2026-10").unwrap();
        let nov = month("2026-11").unwrap();
        let today = date(2026, 11, 29);
        assert_eq!(check_close(&calendar, None, &oct, today), Ok(()));
        assert!(matches!(
            check_close(&calendar, None, &nov, today),
            Err(CloseRefused::NotOver { .. })
        ));
        let lock = Lock {
            period: "2026-09".into(),
            through: sep.end,
        };
        assert_eq!(check_close(&calendar, Some(&lock), &oct, today), Ok(()));
        assert!(matches!(
            check_close(&calendar, Some(&lock), &sep, today),
            Err(CloseRefused::AlreadyClosed(_))
        ));
        let early = Lock {
            period: "2026-08".into(),
            through: date(2026, 8, 31),
        };
        assert_eq!(
            check_close(&calendar, Some(&early), &oct, today),
            Err(CloseRefused::OutOfOrder {
                period: "2026-10".into(),
                missing: "2026-09".into(),
                through: date(2026, 8, 31)
            })
        );
        // Reopening moves the lock back one period; the first closed period unlocks everything.
        assert_eq!(
            reopen(
                &calendar,
                Some(&lock),
                &sep,
                Some(&month("2026-06").unwrap())
            ),
            Ok(Some(Lock {
                period: "2026-08".into(),
                through: date(2026, 8, 31)
            }))
        );
        assert_eq!(reopen(&calendar, Some(&lock), &sep, Some(&sep)), Ok(None));
        assert!(matches!(
            reopen(&calendar, Some(&lock), &month("2026-08").unwrap(), None),
            Err(CloseRefused::NotLatest { .. })
        ));
        assert!(matches!(
            reopen(&calendar, Some(&lock), &oct, None),
            Err(CloseRefused::NotClosed(_))
        ));
    }

    #[test]
    fn postings_inside_the_lock_are_refused_with_the_first_open_day() {
        let lock = Lock {
            period: "2026-10".into(),
            through: date(2026, 10, 31),
        };
        let refused = check_open(Some(&lock), &Calendar::Months, date(2026, 10, 15)).unwrap_err();
        assert_eq!(refused.period, "2026-10");
        assert_eq!(refused.first_open, date(2026, 11, 1));
        assert!(refused.to_string().contains("closed period 2026-10"));
        assert_eq!(
            check_open(Some(&lock), &Calendar::Months, date(2026, 11, 1)),
            Ok(())
        );
        assert_eq!(
            check_open(None, &Calendar::Months, date(1990, 1, 1)),
            Ok(())
        );
    }
}
