//! `settle rules list|try|enable|disable` and `settle customer alias add|list|remove`.

use anyhow::Result;
use comfy_table::Cell;

use settle_service::Settle;
use settle_service::learning::{ALIAS, HabitKind, RuleTrial, RuleView};
use settle_service::matching::MatchPolicy;

use crate::cli::{
    AliasArgs, CustomerShowArgs, Format, HabitArgs, RuleIdArgs, RuleTryArgs, RulesListArgs,
};
use crate::render;

pub async fn list(settle: &Settle, args: RulesListArgs) -> Result<()> {
    let rules = settle.match_rules(args.customer.as_deref()).await?;
    print_rules(&rules, args.format.format)
}

pub async fn switch(settle: &Settle, args: RuleIdArgs, enabled: bool) -> Result<()> {
    let rule = settle.set_rule_enabled(args.id, enabled).await?;
    if args.format.format == Format::Json {
        return render::json(&rule);
    }
    println!("rule {} {}: {}", rule.id, rule.status, rule.description);
    Ok(())
}

pub async fn try_rule(settle: &Settle, args: RuleTryArgs) -> Result<()> {
    let policy = MatchPolicy {
        auto_threshold: args.auto_threshold,
        suggest_threshold: args.suggest_threshold,
        ..MatchPolicy::default()
    };
    let trial = settle.try_rule(args.id, &policy).await?;
    if args.format.format == Format::Json {
        return render::json(&trial);
    }
    print_trial(&trial);
    Ok(())
}

fn print_trial(trial: &RuleTrial) {
    println!(
        "rule {} ({}): {}",
        trial.rule.id, trial.rule.status, trial.rule.description
    );
    println!(
        "{} applied payment(s) replayed: {} matched with the rule ({} without), {} use the rule, \
         {} change because of it, {} differ from what was booked",
        trial.replayed,
        trial.matched,
        trial.matched_without_rule,
        trial.using_rule,
        trial.changed,
        trial.differing.len()
    );
    if trial.differing.is_empty() {
        return;
    }
    let mut table = render::table(&["bank ref", "payment", "booked", "proposed", "decision"]);
    for line in &trial.differing {
        table.add_row(vec![
            Cell::new(&line.bank_reference),
            Cell::new(line.payment_id.to_string()),
            Cell::new(line.booked.join(" ")),
            Cell::new(line.proposed.join(" ")),
            Cell::new(format!("{:?}", line.decision).to_lowercase()),
        ]);
    }
    println!("{table}");
}

fn print_rules(rules: &[RuleView], format: Format) -> Result<()> {
    if format == Format::Json {
        return render::json(&rules);
    }
    if format == Format::Csv {
        let mut out = render::csv_out();
        out.write_record([
            "id",
            "kind",
            "customer",
            "pattern",
            "status",
            "source",
            "times_seen",
            "learned_at",
            "description",
        ])?;
        for rule in rules {
            out.write_record([
                rule.id.to_string().as_str(),
                &rule.kind,
                &rule.customer,
                &rule.pattern,
                &rule.status,
                &rule.source,
                &rule.times_seen.to_string(),
                &rule.learned_at,
                &rule.description,
            ])?;
        }
        out.flush()?;
        return Ok(());
    }
    if rules.is_empty() {
        println!("no rules");
        return Ok(());
    }
    let mut table = render::table(&["rule", "status", "source", "seen", "learned", "rule says"]);
    for rule in rules {
        table.add_row(vec![
            Cell::new(rule.id),
            Cell::new(&rule.status),
            Cell::new(&rule.source),
            render::num(rule.times_seen.to_string()),
            Cell::new(&rule.learned_at),
            Cell::new(&rule.description),
        ]);
    }
    println!("{table}");
    Ok(())
}

pub async fn add_habit(settle: &Settle, args: HabitArgs) -> Result<()> {
    let habit = match args.without_prefix {
        Some(prefix) => HabitKind::WithoutPrefix(prefix),
        None => HabitKind::PurchaseOrder,
    };
    let rule = settle
        .add_habit(&args.customer_id, habit, args.trial)
        .await?;
    if args.format.format == Format::Json {
        return render::json(&rule);
    }
    println!("rule {} ({}): {}", rule.id, rule.status, rule.description);
    Ok(())
}

pub async fn add_alias(settle: &Settle, args: AliasArgs) -> Result<()> {
    let rule = settle
        .add_alias(&args.customer_id, &args.name, args.trial)
        .await?;
    if args.format.format == Format::Json {
        return render::json(&rule);
    }
    println!("rule {} ({}): {}", rule.id, rule.status, rule.description);
    Ok(())
}

pub async fn list_aliases(settle: &Settle, args: CustomerShowArgs) -> Result<()> {
    let rules: Vec<RuleView> = settle
        .match_rules(Some(&args.customer_id))
        .await?
        .into_iter()
        .filter(|r| r.kind == ALIAS)
        .collect();
    print_rules(&rules, args.format.format)
}

pub async fn remove_alias(settle: &Settle, args: AliasArgs) -> Result<()> {
    let rule = settle.remove_alias(&args.customer_id, &args.name).await?;
    if args.format.format == Format::Json {
        return render::json(&rule);
    }
    println!("rule {} removed: {}", rule.id, rule.description);
    Ok(())
}
