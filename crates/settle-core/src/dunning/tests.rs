#![allow(clippy::inconsistent_digit_grouping)]

use jiff::civil::date;
use proptest::prelude::*;

use super::*;

fn item(id: i64, due: Date, open: i64) -> DunnableItem {
    DunnableItem {
        id: ItemId(id),
        number: format!("INV-{id}"),
        due,
        open,
        disputed: 0,
        promised: 0,
        in_plan: false,
        last_level: 0,
        last_dunned_on: None,
    }
}

fn account(items: Vec<DunnableItem>) -> AccountFacts {
    AccountFacts {
        customer: CustomerId(1),
        stops: AccountStops::default(),
        last_payment_on: None,
        contacts_last_7_days: [0; 3],
        items,
    }
}

fn money(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

#[test]
fn the_standard_policy_checks() {
    DunningPolicy::standard().check().unwrap();
    let json = serde_json::to_string(&DunningPolicy::standard()).unwrap();
    assert_eq!(
        DunningPolicy::from_json(&json).unwrap(),
        DunningPolicy::standard()
    );
}

#[test]
fn bad_policies_name_the_field() {
    let mut policy = DunningPolicy::standard();
    policy.levels[2].days = 3;
    assert!(policy.check().unwrap_err().contains("levels[2].days"));
    let mut policy = DunningPolicy::standard();
    policy.levels[1].level = 5;
    assert!(policy.check().unwrap_err().contains("levels[1].level"));
    let mut policy = DunningPolicy::standard();
    policy.levels[0].min_amount = "12,5".into();
    assert!(policy.check().unwrap_err().contains("levels[0].min_amount"));
    let mut policy = DunningPolicy::standard();
    policy.contact.window_end = "07:00".into();
    assert!(policy.check().unwrap_err().contains("window_end"));
    let err = DunningPolicy::from_json(r#"{"name": "x", "levels": [], "colour": 1}"#).unwrap_err();
    assert!(err.contains("colour"), "{err}");
}

#[test]
fn invoices_climb_one_level_at_a_time() {
    let policy = DunningPolicy::standard();
    let due = date(2026, 3, 1);
    let mut invoice = item(1, due, 100_00);
    // Four days before due: nothing; three days before: the friendly reminder.
    let facts = account(vec![invoice.clone()]);
    assert_eq!(
        decide(&policy, &facts, date(2026, 2, 25), 2, money),
        Outcome::Nothing
    );
    let Outcome::Act(first) = decide(&policy, &facts, date(2026, 2, 26), 2, money) else {
        panic!("a reminder is due")
    };
    assert_eq!((first.level, first.channel), (1, DunningChannel::Email));
    assert!(
        first.rule.contains("policy standard level 1"),
        "{}",
        first.rule
    );
    assert!(first.rule.contains("due in 3 days"), "{}", first.rule);
    // Sixty days late and never dunned: the first reminder after the due date (level 2, the
    // pre-due reminder being moot), not the last level.
    let late = decide(&policy, &facts, date(2026, 4, 30), 2, money);
    assert!(matches!(late, Outcome::Act(ref d) if d.level == 2));
    // Level 1 sent on 26 Feb: level 2 waits for its offset (8 March) …
    invoice.last_level = 1;
    invoice.last_dunned_on = Some(date(2026, 2, 26));
    let facts = account(vec![invoice.clone()]);
    assert_eq!(
        decide(&policy, &facts, date(2026, 3, 7), 2, money),
        Outcome::Nothing
    );
    assert!(matches!(
        decide(&policy, &facts, date(2026, 3, 8), 2, money),
        Outcome::Act(ref d) if d.level == 2
    ));
    // … and the rest between levels.
    invoice.last_level = 2;
    invoice.last_dunned_on = Some(date(2026, 3, 20));
    let facts = account(vec![invoice]);
    assert_eq!(
        decide(&policy, &facts, date(2026, 3, 25), 2, money),
        Outcome::Nothing
    );
    assert!(matches!(
        decide(&policy, &facts, date(2026, 3, 27), 2, money),
        Outcome::Act(ref d) if d.level == 3
    ));
}

#[test]
fn disputed_promised_and_planned_amounts_are_not_chased() {
    let policy = DunningPolicy::standard();
    let as_of = date(2026, 3, 20);
    let mut disputed = item(1, date(2026, 3, 1), 100_00);
    disputed.disputed = 100_00;
    let mut promised = item(2, date(2026, 3, 1), 100_00);
    promised.promised = 40_00;
    let mut planned = item(3, date(2026, 3, 1), 100_00);
    planned.in_plan = true;
    let facts = account(vec![disputed, promised, planned]);
    let Outcome::Act(decision) = decide(&policy, &facts, as_of, 2, money) else {
        panic!("the promised invoice's remainder is chased")
    };
    assert_eq!(decision.items.len(), 1);
    assert_eq!(decision.items[0].id, ItemId(2));
    assert_eq!(decision.amount, 60_00);
}

#[test]
fn guards_stop_the_account_and_say_why() {
    let policy = DunningPolicy::standard();
    let as_of = date(2026, 3, 20);
    let base = account(vec![item(1, date(2026, 3, 1), 100_00)]);
    let blocked = |facts: &AccountFacts| match decide(&policy, facts, as_of, 2, money) {
        Outcome::Blocked(_, guard) => guard,
        other => panic!("expected a guard, got {other:?}"),
    };
    let mut facts = base.clone();
    facts.stops.bankrupt = true;
    facts.stops.do_not_contact = true;
    assert_eq!(blocked(&facts), Guard::Bankruptcy);
    let mut facts = base.clone();
    facts.stops.do_not_contact = true;
    assert_eq!(blocked(&facts), Guard::DoNotContact);
    let mut facts = base.clone();
    facts.stops.cease_communication = true;
    assert_eq!(blocked(&facts), Guard::CeaseCommunication);
    let mut facts = base.clone();
    facts.stops.agency = Some("Acme Recovery".into());
    assert!(blocked(&facts).to_string().contains("Acme Recovery"));
    let mut facts = base.clone();
    facts.last_payment_on = Some(date(2026, 3, 17));
    assert_eq!(
        blocked(&facts),
        Guard::GraceAfterPayment {
            paid_on: date(2026, 3, 17),
            until: date(2026, 3, 22)
        }
    );
    let mut facts = base.clone();
    facts.last_payment_on = Some(date(2026, 3, 15));
    assert!(matches!(
        decide(&policy, &facts, as_of, 2, money),
        Outcome::Act(_)
    ));
    let mut facts = base;
    facts.contacts_last_7_days = [0, 7, 0];
    assert_eq!(
        blocked(&facts),
        Guard::FrequencyCap {
            channel: DunningChannel::Email,
            count: 7,
            cap: 7
        }
    );
}

#[test]
fn a_level_minimum_leaves_small_balances_alone() {
    let mut policy = DunningPolicy::standard();
    policy.levels[1].min_amount = "50".into();
    let mut invoice = item(1, date(2026, 3, 1), 49_99);
    invoice.last_level = 1;
    invoice.last_dunned_on = Some(date(2026, 2, 26));
    let facts = account(vec![invoice]);
    assert_eq!(
        decide(&policy, &facts, date(2026, 3, 20), 2, money),
        Outcome::Nothing
    );
}

#[test]
fn scopes_pick_the_policy() {
    let mut high = DunningPolicy::standard();
    high.name = "high-risk".into();
    high.priority = 10;
    high.scope.risk_classes = vec!["high".into(), "critical".into()];
    high.scope.balance_from = Some("1000".into());
    let policies = [DunningPolicy::standard(), high];
    let pick = |risk, balance| {
        policy_for(&policies, risk, "", balance, 2)
            .unwrap()
            .name
            .clone()
    };
    assert_eq!(pick(RiskClass::High, 1000_00), "high-risk");
    assert_eq!(pick(RiskClass::High, 999_99), "standard");
    assert_eq!(pick(RiskClass::Low, 5000_00), "standard");
}

#[test]
fn windows() {
    let rules = ContactRules::default();
    assert!(!within_window(&rules, Time::constant(7, 59, 59, 0)));
    assert!(within_window(&rules, Time::constant(8, 0, 0, 0)));
    assert!(!within_window(&rules, Time::constant(21, 0, 0, 0)));
}

proptest! {
    /// Whatever the facts, an action never chases more of an invoice than it may: never a
    /// disputed, promised or planned amount, never an invoice twice at a level it had.
    #[test]
    fn actions_never_chase_what_is_paused(
        specs in proptest::collection::vec(
            (-10i32..120, 1i64..1_000_00, 0i64..1_200_00, 0i64..1_200_00, any::<bool>(), 0u32..5, 0i32..40),
            1..8),
        as_of_offset in 0i32..150,
        flags in (any::<bool>(), any::<bool>(), any::<bool>()),
    ) {
        let policy = DunningPolicy::standard();
        let start = date(2026, 1, 1);
        let as_of = start.checked_add(jiff::Span::new().days(as_of_offset)).unwrap();
        let items: Vec<DunnableItem> = specs.iter().enumerate().map(
            |(i, &(due, open, disputed, promised, in_plan, last_level, ago))| DunnableItem {
                id: ItemId(i as i64 + 1),
                number: format!("N{i}"),
                due: start.checked_add(jiff::Span::new().days(due)).unwrap(),
                open,
                disputed,
                promised,
                in_plan,
                last_level,
                last_dunned_on: (last_level > 0)
                    .then(|| as_of.checked_sub(jiff::Span::new().days(ago)).unwrap()),
            }).collect();
        let mut facts = account(items.clone());
        facts.stops.bankrupt = flags.0;
        facts.stops.do_not_contact = flags.1;
        facts.stops.cease_communication = flags.2;
        match decide(&policy, &facts, as_of, 2, money) {
            Outcome::Nothing => {}
            Outcome::Blocked(_, _) => prop_assert!(flags.0 || flags.1 || flags.2),
            Outcome::Act(decision) => {
                prop_assert!(!(flags.0 || flags.1 || flags.2));
                for part in &decision.items {
                    let source = &items[(part.id.0 - 1) as usize];
                    prop_assert!(!source.in_plan);
                    prop_assert!(part.amount > 0);
                    prop_assert!(part.amount <= source.open - source.disputed - source.promised);
                    // The next level, or the one after a pre-due reminder skipped for a late invoice.
                    let skipped = part.level - source.last_level - 1;
                    prop_assert!(part.level > source.last_level);
                    prop_assert!(skipped == 0 || (skipped == 1 && policy.levels[source.last_level as usize].days < 0 && as_of > source.due));
                    prop_assert!(part.level <= decision.level);
                }
                prop_assert_eq!(decision.amount, decision.items.iter().map(|i| i.amount).sum::<i64>());
            }
        }
    }

    #[test]
    fn promises_allocate_no_more_than_promised_or_open(
        promised in 0i64..5_000_00,
        opens in proptest::collection::vec((0i32..60, 0i64..2_000_00), 0..6),
    ) {
        let items: Vec<_> = opens.iter().enumerate().map(|(i, &(due, open))| {
            (ItemId(i as i64), date(2026, 1, 1).checked_add(jiff::Span::new().days(due)).unwrap(), open)
        }).collect();
        let parts = allocate_promise(promised, &items);
        let total: i64 = parts.iter().map(|p| p.1).sum();
        let open_total: i64 = items.iter().map(|i| i.2).sum();
        prop_assert_eq!(total, promised.min(open_total));
        for (id, part) in parts {
            let open = items.iter().find(|i| i.0 == id).unwrap().2;
            prop_assert!(part > 0 && part <= open);
        }
    }
}
