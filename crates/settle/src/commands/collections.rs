//! Collections: `settle dun`, `dunning …`, `worklist`, `contact …`, `promise …`, `plan …`,
//! `escalation …` and `customer collection`.

use anyhow::{Result, anyhow, bail};
use jiff::Timestamp;

use settle_core::contact::{ContactChannel, ContactDirection};
use settle_service::Settle;
use settle_service::collections::CollectionSettings;
use settle_service::collections::{ContactRequest, PlanRequest, PromiseRequest, WorklistFilter};
use settle_service::templates::Templates;

use super::{date_or_today, parse_date};
use crate::cli::{
    CollectionArgs, ContactCheckArgs, ContactListArgs, ContactLogArgs, DunArgs, DunningActionsArgs,
    EscalationCloseArgs, EscalationListArgs, Format, PlanCreateArgs, PlanListArgs, PolicyFileArgs,
    PolicyNameArgs, PromiseAddArgs, PromiseCancelArgs, PromiseCheckArgs, PromiseListArgs,
    PromiseRatesArgs, WorklistArgs, YesNo,
};
use crate::render;

pub(super) fn moment(field: &str, text: Option<&str>) -> Result<Timestamp> {
    match text {
        Some(text) => text.parse::<Timestamp>().map_err(|e| {
            anyhow!("{field}: {text:?} is not an RFC 3339 time (2026-03-01T09:30:00Z): {e}")
        }),
        None => Ok(Timestamp::now()),
    }
}

pub async fn dun(settle: &Settle, args: DunArgs) -> Result<()> {
    let as_of = date_or_today("--as-of", args.as_of.as_deref())?;
    let at = moment("--at", args.at.as_deref())?;
    let templates = match &args.templates {
        Some(dir) => Templates::from_dir(dir)?,
        None => Templates::builtin(),
    };
    let printer = if args.attach_letters {
        let options = settle_service::documents::DocumentOptions {
            templates: args.document_templates.clone(),
            workers: super::documents::render_workers(),
            ..Default::default()
        };
        Some(settle_service::documents::Printer::new(
            &options,
            settle.company_profile().await?,
        )?)
    } else {
        None
    };
    let report = settle
        .dun(as_of, at, args.dry_run, &templates, printer.as_ref())
        .await?;
    match args.format.format {
        Format::Json => {
            if args.show_blocked {
                render::json(&report)
            } else {
                render::json(&report.actions)
            }
        }
        Format::Csv => {
            let mut out = render::csv_out();
            out.write_record([
                "customer_id",
                "currency",
                "level",
                "channel",
                "template",
                "amount",
                "status",
                "invoices",
                "rule",
            ])?;
            for a in &report.actions {
                out.write_record([
                    a.customer_id.as_str(),
                    &a.currency,
                    &a.level.to_string(),
                    &a.channel,
                    &a.template,
                    &a.amount,
                    &a.status,
                    &a.invoices.join(" "),
                    &a.rule,
                ])?;
            }
            out.flush()?;
            Ok(())
        }
        Format::Table => {
            let mut table = render::table(&[
                "customer", "cur", "level", "channel", "amount", "status", "invoices", "rule",
            ]);
            for a in &report.actions {
                table.add_row(vec![
                    comfy_table::Cell::new(&a.customer_id),
                    comfy_table::Cell::new(&a.currency),
                    render::num(a.level.to_string()),
                    comfy_table::Cell::new(&a.channel),
                    render::num(&a.amount),
                    comfy_table::Cell::new(match &a.send_after {
                        Some(t) => format!("{} (sends after {t})", a.status),
                        None => a.status.clone(),
                    }),
                    comfy_table::Cell::new(a.invoices.join(" ")),
                    comfy_table::Cell::new(&a.rule),
                ]);
            }
            if !report.actions.is_empty() {
                println!("{table}");
            }
            if args.show_blocked && !report.blocked.is_empty() {
                let mut table =
                    render::table(&["customer", "cur", "level", "channel", "stopped by"]);
                for b in &report.blocked {
                    table.add_row(vec![
                        b.customer_id.clone(),
                        b.currency.clone(),
                        b.level.to_string(),
                        b.channel.clone(),
                        b.guard.clone(),
                    ]);
                }
                println!("{table}");
            }
            for e in &report.escalations_opened {
                println!("escalated {}: {}", e.customer, e.rule);
            }
            let c = &report.commitments;
            println!(
                "{}{} action(s) over {} account(s); {} stopped by a guard; promises kept {}, broken {}; plans completed {}, broken {}; {} escalation(s) opened",
                if report.dry_run { "dry run: " } else { "" },
                report.actions.len(),
                report.accounts_considered,
                report.blocked.len(),
                c.promises_kept.len(),
                c.promises_broken.len(),
                c.plans_completed.len(),
                c.plans_broken.len(),
                report.escalations_opened.len()
            );
            Ok(())
        }
    }
}

pub async fn policies(settle: &Settle) -> Result<()> {
    render::json(&settle.dunning_policies().await?)
}

pub async fn set_policy(settle: &Settle, args: PolicyFileArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| anyhow!("cannot read {}: {e}", args.file.display()))?;
    let policy = settle
        .put_dunning_policy(&text)
        .await
        .map_err(|e| anyhow!("{}: {e}", args.file.display()))?;
    println!(
        "stored dunning policy {} ({} levels, priority {})",
        policy.name,
        policy.levels.len(),
        policy.priority
    );
    Ok(())
}

pub async fn delete_policy(settle: &Settle, args: PolicyNameArgs) -> Result<()> {
    settle.delete_dunning_policy(&args.name).await?;
    println!("removed dunning policy {}", args.name);
    Ok(())
}

pub async fn actions(settle: &Settle, args: DunningActionsArgs) -> Result<()> {
    let actions = settle
        .dunning_actions(args.customer.as_deref(), args.limit)
        .await?;
    if args.format.format == Format::Json {
        return render::json(&actions);
    }
    let mut table = render::table(&[
        "id", "day", "customer", "cur", "level", "channel", "amount", "status", "invoices",
    ]);
    for a in &actions {
        table.add_row(vec![
            comfy_table::Cell::new(a.id),
            comfy_table::Cell::new(&a.run_on),
            comfy_table::Cell::new(&a.customer),
            comfy_table::Cell::new(&a.currency),
            render::num(a.level.to_string()),
            comfy_table::Cell::new(&a.channel),
            render::num(&a.amount),
            comfy_table::Cell::new(&a.status),
            comfy_table::Cell::new(a.invoices.join(" ")),
        ]);
    }
    println!("{table}");
    Ok(())
}

pub async fn worklist(settle: &Settle, args: WorklistArgs) -> Result<()> {
    let as_of = date_or_today("--as-of", args.as_of.as_deref())?;
    let at = moment("--at", args.at.as_deref())?;
    let filter = WorklistFilter {
        collector: args.collector,
        segment: args.segment,
        bucket: args.bucket,
        disputed: args.disputed.map(|d| d == YesNo::Yes),
        limit: args.limit,
    };
    let entries = settle.worklist(as_of, at, &filter).await?;
    if args.format.format == Format::Json {
        return render::json(&entries);
    }
    let mut table = render::table(&[
        "#",
        "customer",
        "collector",
        "past due",
        "days",
        "score",
        "amount",
        "age",
        "risk",
        "broken",
        "limit",
        "no contact",
        "call",
        "note",
    ]);
    for e in &entries {
        let past_due: Vec<String> = e.past_due.iter().map(|(c, a)| format!("{a} {c}")).collect();
        table.add_row(vec![
            render::num(e.rank.to_string()),
            comfy_table::Cell::new(&e.customer),
            comfy_table::Cell::new(&e.collector),
            render::num(past_due.join(", ")),
            render::num(e.days_past_due.to_string()),
            render::num(format!("{:.1}", e.score.total)),
            render::num(format!("{:.1}", e.score.amount)),
            render::num(format!("{:.1}", e.score.age)),
            render::num(format!("{:.1}", e.score.risk)),
            render::num(format!("{:.1}", e.score.broken_promises)),
            render::num(format!("{:.1}", e.score.limit_use)),
            render::num(format!("{:.1}", e.score.no_contact)),
            comfy_table::Cell::new(e.call_due.map_or(String::new(), |l| format!("level {l}"))),
            comfy_table::Cell::new(
                [
                    e.disputed.then(|| "disputed".to_string()),
                    e.not_callable.clone(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; "),
            ),
        ]);
    }
    println!("{table}");
    println!("{} account(s)", entries.len());
    Ok(())
}

fn channel(text: &str) -> Result<ContactChannel> {
    text.parse().map_err(|e| anyhow!("--channel: {e}"))
}

pub async fn log_contact(settle: &Settle, args: ContactLogArgs) -> Result<()> {
    let channel = channel(&args.channel)?;
    let direction = match args.direction.as_deref() {
        Some(text) => text
            .parse::<ContactDirection>()
            .map_err(|e| anyhow!("--direction: {e}"))?,
        None if channel == ContactChannel::Note => ContactDirection::Internal,
        None => ContactDirection::Outbound,
    };
    let logged = settle
        .log_contact(&ContactRequest {
            customer: args.customer,
            channel,
            direction,
            subject: args.subject,
            body: args.body,
            outcome: args.outcome,
            next_step_on: args
                .next_step
                .as_deref()
                .map(|t| parse_date("--next-step", t))
                .transpose()?,
            occurred_at: args
                .at
                .as_deref()
                .map(|t| moment("--at", Some(t)))
                .transpose()?,
        })
        .await?;
    if args.format.format == Format::Json {
        return render::json(&logged);
    }
    println!("logged contact {} on {}", logged.id, logged.customer);
    for warning in &logged.warnings {
        eprintln!("warning: {warning}");
    }
    if logged.call_tasks_closed > 0 {
        println!(
            "{} call task(s) from dunning done",
            logged.call_tasks_closed
        );
    }
    Ok(())
}

pub async fn list_contacts(settle: &Settle, args: ContactListArgs) -> Result<()> {
    let entries = settle.contacts(&args.customer, args.limit).await?;
    if args.format.format == Format::Json {
        return render::json(&entries);
    }
    let mut table = render::table(&[
        "when",
        "channel",
        "direction",
        "subject",
        "outcome",
        "next step",
        "by",
    ]);
    for e in &entries {
        table.add_row(vec![
            e.occurred_at.clone(),
            e.channel.clone(),
            e.direction.clone(),
            e.subject.clone(),
            e.outcome.clone(),
            e.next_step_on.clone().unwrap_or_default(),
            e.created_by.clone(),
        ]);
    }
    println!("{table}");
    Ok(())
}

pub async fn check_contact(settle: &Settle, args: ContactCheckArgs) -> Result<()> {
    let at = moment("--at", args.at.as_deref())?;
    match settle
        .contact_guard(&args.customer, channel(&args.channel)?, at)
        .await?
    {
        None => {
            println!("{} may be contacted by {} now", args.customer, args.channel);
            Ok(())
        }
        Some(guard) => bail!(
            "{} may not be contacted by {}: {guard}",
            args.customer,
            args.channel
        ),
    }
}

pub async fn add_promise(settle: &Settle, args: PromiseAddArgs) -> Result<()> {
    let view = settle
        .promise(&PromiseRequest {
            customer: args.customer,
            amount: args.amount,
            promised_on: parse_date("--date", &args.date)?,
            invoices: args.invoices,
            grace_days: args.grace_days,
            recorded_on: date_or_today("--on", args.on.as_deref())?,
            note: args.note,
        })
        .await?;
    if args.format.format == Format::Json {
        return render::json(&view);
    }
    println!(
        "promise {}: {} {} {} by {} (grace {} days){}",
        view.id,
        view.customer,
        view.amount,
        view.currency,
        view.promised_on,
        view.grace_days,
        if view.invoices.is_empty() {
            String::new()
        } else {
            format!(" on {}", view.invoices.join(", "))
        }
    );
    Ok(())
}

pub async fn list_promises(settle: &Settle, args: PromiseListArgs) -> Result<()> {
    let promises = settle
        .promises(args.status.as_deref(), args.customer.as_deref())
        .await?;
    if args.format.format == Format::Json {
        return render::json(&promises);
    }
    let mut table = render::table(&[
        "id", "customer", "amount", "cur", "by", "status", "paid", "invoices", "made by",
    ]);
    for p in &promises {
        table.add_row(vec![
            comfy_table::Cell::new(p.id),
            comfy_table::Cell::new(&p.customer),
            render::num(&p.amount),
            comfy_table::Cell::new(&p.currency),
            comfy_table::Cell::new(p.promised_on),
            comfy_table::Cell::new(&p.status),
            render::num(&p.paid),
            comfy_table::Cell::new(p.invoices.join(" ")),
            comfy_table::Cell::new(&p.created_by),
        ]);
    }
    println!("{table}");
    Ok(())
}

pub async fn cancel_promise(settle: &Settle, args: PromiseCancelArgs) -> Result<()> {
    let on = date_or_today("--on", args.on.as_deref())?;
    let view = settle.cancel_promise(args.id, on).await?;
    println!("promise {} cancelled", view.id);
    Ok(())
}

pub async fn check_promises(settle: &Settle, args: PromiseCheckArgs) -> Result<()> {
    let as_of = date_or_today("--as-of", args.as_of.as_deref())?;
    let report = settle.judge_commitments(as_of).await?;
    if args.format.format == Format::Json {
        return render::json(&report);
    }
    println!(
        "promises kept {:?}, broken {:?}; plans completed {:?}, broken {:?}",
        report.promises_kept, report.promises_broken, report.plans_completed, report.plans_broken
    );
    Ok(())
}

pub async fn promise_rates(settle: &Settle, args: PromiseRatesArgs) -> Result<()> {
    let rates = settle.promise_rates(args.by_collector).await?;
    if args.format.format == Format::Json {
        return render::json(&rates);
    }
    let key = if args.by_collector {
        "collector"
    } else {
        "customer"
    };
    let mut table = render::table(&[key, "kept", "broken", "open", "kept %"]);
    for r in &rates {
        table.add_row(vec![
            comfy_table::Cell::new(&r.key),
            render::num(r.kept.to_string()),
            render::num(r.broken.to_string()),
            render::num(r.open.to_string()),
            render::num(r.kept_rate.map_or("–".to_string(), |k| format!("{k:.1}"))),
        ]);
    }
    println!("{table}");
    Ok(())
}

pub async fn create_plan(settle: &Settle, args: PlanCreateArgs) -> Result<()> {
    let schedule = args
        .schedule
        .iter()
        .map(|entry| {
            let (date, amount) = entry
                .split_once('=')
                .ok_or_else(|| anyhow!("--instalment {entry:?}: write DATE=AMOUNT"))?;
            Ok((
                parse_date("--instalment", date.trim())?,
                amount.trim().to_string(),
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let view = settle
        .create_plan(&PlanRequest {
            customer: args.customer,
            invoices: args.invoices,
            total: args.total,
            instalments: args.instalments,
            first_due: args
                .first_due
                .as_deref()
                .map(|t| parse_date("--first-due", t))
                .transpose()?,
            schedule,
            grace_days: args.grace_days,
            agreed_on: date_or_today("--on", args.on.as_deref())?,
            note: args.note,
        })
        .await?;
    if args.format.format == Format::Json {
        return render::json(&view);
    }
    println!(
        "payment plan {}: {} {} {} in {} instalment(s)",
        view.id,
        view.customer,
        view.total,
        view.currency,
        view.instalments.len()
    );
    Ok(())
}

pub async fn list_plans(settle: &Settle, args: PlanListArgs) -> Result<()> {
    let as_of = date_or_today("--as-of", args.as_of.as_deref())?;
    let plans = settle.plans(as_of, args.customer.as_deref()).await?;
    if args.format.format == Format::Json {
        return render::json(&plans);
    }
    let mut table = render::table(&["plan", "customer", "seq", "due", "amount", "paid", "late"]);
    for p in &plans {
        for i in &p.instalments {
            table.add_row(vec![
                comfy_table::Cell::new(format!("{} ({})", p.id, p.status)),
                comfy_table::Cell::new(&p.customer),
                render::num(i.seq.to_string()),
                comfy_table::Cell::new(i.due_on),
                render::num(&i.amount),
                render::num(&i.paid),
                comfy_table::Cell::new(if i.late { "LATE" } else { "" }),
            ]);
        }
    }
    println!("{table}");
    Ok(())
}

pub async fn list_escalations(settle: &Settle, args: EscalationListArgs) -> Result<()> {
    let escalations = settle.escalations(!args.all).await?;
    if args.format.format == Format::Json {
        return render::json(&escalations);
    }
    for e in &escalations {
        let s = &e.summary;
        let money = |list: &[(String, String)]| {
            list.iter()
                .map(|(c, a)| format!("{a} {c}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "escalation {} [{}] {} opened {}: {}\n  balance {}; past due {}, oldest {} days; {} contact(s) in 30 days, last {}; promises open {}, broken in 180 days {}; disputes {}\n  recommended: {}",
            e.id,
            e.status,
            e.customer,
            e.opened_on,
            e.rule,
            money(&s.balance),
            money(&s.past_due),
            s.oldest_days_past_due,
            s.contacts_last_30_days,
            s.last_contact.as_deref().unwrap_or("never"),
            s.open_promises,
            s.broken_promises_180_days,
            s.open_disputes,
            s.recommended_action
        );
    }
    if escalations.is_empty() {
        println!("no escalations");
    }
    Ok(())
}

pub async fn close_escalation(settle: &Settle, args: EscalationCloseArgs) -> Result<()> {
    let on = date_or_today("--on", args.on.as_deref())?;
    let view = settle.close_escalation(args.id, on, &args.note).await?;
    println!(
        "escalation {} closed by {}",
        view.id,
        view.closed_by.unwrap_or_default()
    );
    Ok(())
}

pub async fn collection(settle: &Settle, args: CollectionArgs) -> Result<()> {
    let settings = CollectionSettings {
        collector: args.collector,
        segment: args.segment,
        time_zone: args.time_zone,
        do_not_contact: args.do_not_contact.map(|f| f.is_on()),
        cease_communication: args.cease_communication.map(|f| f.is_on()),
        bankrupt: args.bankrupt.map(|f| f.is_on()),
    };
    let view = if settings == CollectionSettings::default() {
        settle.collection_settings(&args.customer).await?
    } else {
        settle
            .set_collection_settings(&args.customer, &settings)
            .await?
    };
    if args.format.format == Format::Json {
        return render::json(&view);
    }
    println!(
        "{}: collector {:?}, segment {:?}, time zone {:?}, do-not-contact {}, cease-communication {}, bankrupt {}, credit hold {:?}, agency {:?}",
        view.customer,
        view.collector,
        view.segment,
        if view.time_zone.is_empty() {
            "UTC"
        } else {
            &view.time_zone
        },
        view.do_not_contact,
        view.cease_communication,
        view.bankrupt,
        view.credit_hold,
        view.agency
    );
    Ok(())
}
