//! Table tests of each cause, and a property: whatever is planted in a GL made from Settle's
//! own entries, the differences add up to the difference and each plant is found with its
//! cause and entry.

use jiff::civil::date;
use proptest::prelude::*;

use super::*;
use crate::period::month;

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn entry(id: i64, day: Date, amount: Money) -> SettleEntry {
    SettleEntry {
        entry: EntryId(id),
        date: day,
        kind: EntryKind::Invoice,
        memo: format!("entry {id}"),
        amount,
    }
}

fn gl(line: u64, day: Date, amount: Money, reference: &str, source: &str) -> GlLine {
    GlLine {
        line,
        date: day,
        amount,
        reference: reference.to_string(),
        memo: String::new(),
        source: source.to_string(),
    }
}

/// The GL lines Settle's journal export would give for these entries.
fn exported(entries: &[SettleEntry]) -> Vec<GlLine> {
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            gl(
                i as u64 + 2,
                e.date,
                e.amount,
                &e.entry.to_string(),
                "settle",
            )
        })
        .collect()
}

fn control(entries: &[SettleEntry], end: Date) -> Vec<Money> {
    let mut sums: BTreeMap<Currency, Money> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.date <= end) {
        let sum = sums
            .entry(e.amount.currency())
            .or_insert(Money::zero(e.amount.currency()));
        *sum = sum.checked_add(e.amount).unwrap();
    }
    sums.into_values().collect()
}

fn october() -> Period {
    month("2026-10").unwrap()
}

fn run(
    entries: &[SettleEntry],
    elsewhere: &[OtherEntry],
    openings: &[GlOpening],
    lines: &[GlLine],
) -> Vec<CurrencyReconciliation> {
    let period = october();
    let control = control(entries, period.end);
    let open_items: Vec<OpenItems> = control
        .iter()
        .map(|c| OpenItems {
            debit_items: *c,
            credit_items: Money::zero(c.currency()),
        })
        .collect();
    let settle = SettleSide {
        control: &control,
        open_items: &open_items,
        entries,
        elsewhere,
    };
    reconcile(&period, &settle, &GlSide::Detail { openings, lines }).unwrap()
}

fn causes(recon: &CurrencyReconciliation) -> Vec<(DifferenceCause, Option<i64>, String)> {
    recon
        .differences
        .iter()
        .map(|d| {
            (
                d.cause,
                d.entry_id.map(|e| e.0),
                d.amount.to_decimal_string(),
            )
        })
        .collect()
}

fn ledger() -> Vec<SettleEntry> {
    vec![
        entry(1, date(2026, 9, 20), usd(100_000)),
        entry(2, date(2026, 10, 5), usd(50_000)),
        entry(3, date(2026, 10, 12), usd(-30_000)),
        entry(4, date(2026, 10, 31), usd(20_000)),
        entry(5, date(2026, 11, 1), usd(7_000)),
    ]
}

#[test]
fn a_gl_made_from_settles_export_agrees() {
    let entries = ledger();
    let recon = run(&entries, &[], &[], &exported(&entries));
    assert_eq!(recon.len(), 1);
    assert_eq!(recon[0].gl_control, usd(140_000));
    assert_eq!(recon[0].settle_control, usd(140_000));
    assert!(recon[0].agrees(), "{:?}", recon[0].differences);
    assert!(checklist_lines(&recon).is_empty());
}

#[test]
fn each_planted_difference_is_found_with_its_cause_and_entry() {
    let entries = ledger();
    let mut lines = exported(&entries);
    lines.retain(|l| l.reference != "2"); // dropped
    for line in &mut lines {
        match line.reference.as_str() {
            "3" => line.amount = usd(-29_000),     // another amount
            "4" => line.date = date(2026, 11, 1),  // GL after the cut-off
            "5" => line.date = date(2026, 10, 31), // GL before it
            _ => {}
        }
    }
    lines.push(gl(90, date(2026, 10, 15), usd(1_234), "", "manual"));
    lines.push(gl(91, date(2026, 10, 16), usd(-500), "AP-77", "ap"));
    lines.push(gl(
        92,
        date(2026, 10, 17),
        usd(800),
        "JE-5",
        "Manual journal",
    ));
    lines.push(gl(93, date(2026, 10, 18), usd(300), "999", "settle"));
    lines.push(gl(94, date(2026, 11, 2), usd(999_999), "", "manual")); // after the period
    let recon = &run(&entries, &[], &[], &lines)[0];
    assert_eq!(
        causes(recon),
        vec![
            (DifferenceCause::MissingInGl, Some(2), "500.00".into()),
            (DifferenceCause::MissingInSettle, None, "5.00".into()),
            (DifferenceCause::MissingInSettle, None, "-3.00".into()),
            (DifferenceCause::ManualEntry, None, "-12.34".into()),
            (DifferenceCause::ManualEntry, None, "-8.00".into()),
            (DifferenceCause::Timing, Some(4), "200.00".into()),
            (DifferenceCause::Timing, Some(5), "-70.00".into()),
            (DifferenceCause::AmountMismatch, Some(3), "-10.00".into()),
        ]
    );
    assert_eq!(
        recon.difference,
        Money::sum(Currency::USD, recon.differences.iter().map(|d| d.amount)).unwrap()
    );
    assert!(recon.unexplained.is_zero());
    let missing = &recon.differences[0];
    assert_eq!(missing.settle_date, Some(date(2026, 10, 5)));
    assert!(missing.gl_lines.is_empty());
    let manual = recon
        .differences
        .iter()
        .find(|d| d.gl_lines == [90])
        .unwrap();
    assert!(manual.detail.contains("no reference"), "{}", manual.detail);
    let unknown = recon
        .differences
        .iter()
        .find(|d| d.gl_lines == [93])
        .unwrap();
    assert!(
        unknown.detail.contains("no entry 999"),
        "{}",
        unknown.detail
    );
    let timing = recon
        .differences
        .iter()
        .find(|d| d.entry_id == Some(EntryId(4)))
        .unwrap();
    assert_eq!(timing.gl_date, Some(date(2026, 11, 1)));
    assert!(timing.detail.contains("after 2026-10"), "{}", timing.detail);
    assert_eq!(checklist_lines(std::slice::from_ref(recon)).len(), 8);
}

#[test]
fn an_opening_line_stands_for_the_history_and_its_difference_is_carried() {
    let entries = ledger();
    let october_on: Vec<SettleEntry> = entries
        .iter()
        .filter(|e| e.date >= date(2026, 10, 1))
        .cloned()
        .collect();
    let lines = exported(&october_on);
    let agree = [GlOpening {
        line: 2,
        date: date(2026, 10, 1),
        amount: usd(100_000),
    }];
    let recon = &run(&entries, &[], &agree, &lines)[0];
    assert!(recon.agrees(), "{:?}", recon.differences);
    assert_eq!(recon.gl_control, usd(140_000));
    let off = [GlOpening {
        amount: usd(99_000),
        ..agree[0]
    }];
    let recon = &run(&entries, &[], &off, &lines)[0];
    assert_eq!(
        causes(recon),
        vec![(DifferenceCause::OpeningBalance, None, "10.00".into())]
    );
    assert_eq!(recon.differences[0].gl_lines, [2]);
    // An entry Settle dated before the opening and the GL after it: timing, and the opening
    // differs by the same amount the other way.
    let mut late = lines.clone();
    late.push(gl(30, date(2026, 10, 2), usd(100_000), "1", "settle"));
    let early_opening = [GlOpening {
        amount: usd(0),
        ..agree[0]
    }];
    let recon = &run(&entries, &[], &early_opening, &late)[0];
    assert!(recon.difference.is_zero());
    assert_eq!(
        causes(recon),
        vec![
            (DifferenceCause::OpeningBalance, None, "1000.00".into()),
            (DifferenceCause::Timing, Some(1), "-1000.00".into()),
        ]
    );
}

#[test]
fn a_gl_line_on_an_entry_that_is_not_on_ar_or_in_another_currency_is_an_amount_mismatch() {
    let entries = vec![entry(1, date(2026, 10, 5), usd(10_000))];
    let elsewhere = [OtherEntry {
        entry: EntryId(7),
        date: date(2026, 10, 6),
        kind: EntryKind::Payment,
    }];
    let lines = vec![
        gl(2, date(2026, 10, 5), eur(10_000), "1", "settle"),
        gl(3, date(2026, 10, 6), usd(2_500), "7", "settle"),
    ];
    let recon = run(&entries, &elsewhere, &[], &lines);
    let eur_side = recon.iter().find(|r| r.currency == Currency::EUR).unwrap();
    let usd_side = recon.iter().find(|r| r.currency == Currency::USD).unwrap();
    assert_eq!(
        causes(eur_side),
        vec![(DifferenceCause::AmountMismatch, Some(1), "-100.00".into())]
    );
    assert_eq!(
        causes(usd_side),
        vec![
            (DifferenceCause::AmountMismatch, Some(1), "100.00".into()),
            (DifferenceCause::AmountMismatch, Some(7), "-25.00".into()),
        ]
    );
    assert!(
        usd_side.differences[1]
            .detail
            .contains("posts nothing to A/R control"),
        "{}",
        usd_side.differences[1].detail
    );
}

#[test]
fn balances_only_leave_the_difference_unexplained_with_the_way_to_explain_it() {
    let period = october();
    let control = [usd(140_000), eur(5_000)];
    let open_items = [
        OpenItems {
            debit_items: usd(150_000),
            credit_items: usd(10_000),
        },
        OpenItems {
            debit_items: eur(5_000),
            credit_items: eur(0),
        },
    ];
    let settle = SettleSide {
        control: &control,
        open_items: &open_items,
        entries: &[],
        elsewhere: &[],
    };
    let balances = [usd(139_000), eur(5_000)];
    let recon = reconcile(&period, &settle, &GlSide::Balances(&balances)).unwrap();
    let usd_side = &recon[1];
    assert_eq!(usd_side.currency, Currency::USD);
    assert_eq!(usd_side.subledger, usd(140_000));
    assert!(usd_side.subledger_difference.is_zero());
    assert_eq!(
        causes(usd_side),
        vec![(DifferenceCause::Unexplained, None, "10.00".into())]
    );
    assert!(usd_side.differences[0].detail.contains("down to the entry"));
    assert!(recon[0].agrees());
}

#[test]
fn settles_own_disagreement_is_said() {
    let period = october();
    let control = [usd(100)];
    let open_items = [OpenItems {
        debit_items: usd(90),
        credit_items: usd(0),
    }];
    let settle = SettleSide {
        control: &control,
        open_items: &open_items,
        entries: &[],
        elsewhere: &[],
    };
    let recon = reconcile(&period, &settle, &GlSide::Balances(&[usd(100)])).unwrap();
    assert_eq!(recon[0].subledger_difference, usd(10));
    let lines = checklist_lines(&recon);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].contains("differs from its open items"),
        "{lines:?}"
    );
}

#[test]
fn references_are_entry_ids_only_when_they_are_numbers() {
    assert_eq!(entry_reference(" 42 "), Some(EntryId(42)));
    assert_eq!(entry_reference("JE-42"), None);
    assert_eq!(entry_reference(""), None);
    assert_eq!(entry_reference("99999999999999999999999"), None);
}

/// What a property case plants in the GL.
#[derive(Debug, Clone, Copy)]
enum Plant {
    Drop,
    /// Across the cut-off: an October entry to November, a November one to October.
    Move,
    /// Another amount on its first line.
    Amount(i64),
}

fn plant() -> impl Strategy<Value = Plant> {
    prop_oneof![
        Just(Plant::Drop),
        Just(Plant::Move),
        (1i64..50_000).prop_map(|d| Plant::Amount(if d % 2 == 0 { d } else { -d })),
    ]
}

/// Entries (day offset from 1 Sep, in euro, amount, split in two lines), whether the GL starts
/// with an opening balance, a plant per entry, and manual lines (amount, with a reference).
type Case = (
    Vec<(i64, bool, i64, bool)>,
    bool,
    Vec<Option<Plant>>,
    Vec<(i64, bool)>,
);

fn case() -> impl Strategy<Value = Case> {
    // 0..91 days from 1 September reaches 30 November.
    let entries = proptest::collection::vec(
        (
            0i64..91,
            any::<bool>(),
            -1_000_000i64..1_000_000,
            any::<bool>(),
        ),
        0..40,
    );
    (entries, any::<bool>()).prop_flat_map(|(entries, opening)| {
        let n = entries.len();
        (
            Just(entries),
            Just(opening),
            proptest::collection::vec(proptest::option::weighted(0.3, plant()), n),
            proptest::collection::vec((-100_000i64..100_000, any::<bool>()), 0..4),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_differences_always_add_up_and_each_plant_is_found(
        (raw, with_opening, plants, manual) in case()
    ) {
        let period = october();
        let start = date(2026, 9, 1);
        let entries: Vec<SettleEntry> = raw
            .iter()
            .enumerate()
            .map(|(i, (offset, in_euro, minor, _))| {
                let day = start.checked_add(jiff::Span::new().days(*offset)).unwrap();
                let amount = if *in_euro { eur(*minor) } else { usd(*minor) };
                entry(i as i64 + 1, day, amount)
            })
            .collect();
        let from = period.start;
        let mut openings = Vec::new();
        if with_opening {
            for currency in [Currency::USD, Currency::EUR] {
                let amount = Money::sum(
                    currency,
                    entries
                        .iter()
                        .filter(|e| e.date < from && e.amount.currency() == currency)
                        .map(|e| e.amount),
                )
                .unwrap();
                openings.push(GlOpening { line: 1, date: from, amount });
            }
        }
        // The GL as Settle's export makes it, an entry sometimes in two lines.
        let mut lines = Vec::new();
        let mut expected: Vec<(DifferenceCause, i64, Money)> = Vec::new();
        for (index, e) in entries.iter().enumerate() {
            if with_opening && e.date < from {
                continue;
            }
            let split = raw[index].3 && e.amount.minor().abs() > 1;
            let parts = if split {
                let first = e.amount.minor() / 2;
                vec![first, e.amount.minor() - first]
            } else {
                vec![e.amount.minor()]
            };
            let mut mine: Vec<GlLine> = parts
                .into_iter()
                .map(|minor| gl(0, e.date, Money::new(minor, e.amount.currency()), &e.entry.to_string(), "settle"))
                .collect();
            let in_period = e.date <= period.end;
            match plants[index] {
                None => {}
                Some(Plant::Drop) => {
                    mine.clear();
                    if in_period && !e.amount.is_zero() {
                        expected.push((DifferenceCause::MissingInGl, e.entry.0, e.amount));
                    }
                }
                Some(Plant::Move) => {
                    let moved = if in_period { date(2026, 11, 1) } else { period.end };
                    for line in &mut mine {
                        line.date = moved;
                    }
                    if !e.amount.is_zero() {
                        let effect = if in_period { e.amount } else { e.amount.checked_neg().unwrap() };
                        expected.push((DifferenceCause::Timing, e.entry.0, effect));
                    }
                }
                Some(Plant::Amount(delta)) => {
                    let first = &mut mine[0];
                    first.amount = Money::new(first.amount.minor() + delta, first.amount.currency());
                    if in_period {
                        expected.push((
                            DifferenceCause::AmountMismatch,
                            e.entry.0,
                            Money::new(-delta, e.amount.currency()),
                        ));
                    }
                }
            }
            lines.extend(mine);
        }
        for (i, (minor, with_reference)) in manual.iter().enumerate() {
            if *minor == 0 {
                continue;
            }
            let reference = if *with_reference { "JE-1" } else { "" };
            lines.push(gl(0, date(2026, 10, 10 + i as i8), usd(*minor), reference, "manual"));
            expected.push((DifferenceCause::ManualEntry, 0, usd(-*minor)));
        }
        for (number, line) in lines.iter_mut().enumerate() {
            line.line = number as u64 + 2;
        }
        let recon = run(&entries, &[], &openings, &lines);
        let mut found: Vec<(DifferenceCause, i64, Money)> = Vec::new();
        for currency in &recon {
            let sum = Money::sum(currency.currency, currency.differences.iter().map(|d| d.amount)).unwrap();
            prop_assert_eq!(sum, currency.difference);
            prop_assert!(currency.unexplained.is_zero(), "{:?}", currency.differences);
            prop_assert!(currency.differences.iter().all(|d| !d.amount.is_zero()));
            prop_assert!(!currency.differences.iter().any(|d| d.cause == DifferenceCause::OpeningBalance));
            found.extend(currency.differences.iter().map(|d| (d.cause, d.entry_id.map_or(0, |e| e.0), d.amount)));
        }
        found.sort();
        expected.sort();
        prop_assert_eq!(found, expected);
    }
}
