//! `settle interest …`, `settle apply-legal` and `settle agency …`: late-payment interest, the
//! legal order of applying a payment, and collection agency placements.

use anyhow::Result;
use comfy_table::Cell;

use settle_core::ids::PaymentId;
use settle_core::interest::percent_text;
use settle_service::Settle;
use settle_service::agency::PlacementRequest;
use settle_service::interest::{InterestRun, PresetTarget};

use super::{date_or_today, parse_date};
use crate::cli::{
    AgencyCommand, ApplyLegalArgs, Format, InterestCommand, InterestRateCommand, OnOff,
};
use crate::render;

pub async fn run(settle: &Settle, command: InterestCommand) -> Result<()> {
    match command {
        InterestCommand::Rate(InterestRateCommand::Set(args)) => {
            let from = parse_date("--from", &args.from)?;
            settle
                .set_reference_rate(&args.preset, from, &args.rate)
                .await?;
            println!(
                "{} reference rate from {from}: {} %",
                args.preset.to_ascii_lowercase(),
                args.rate.trim_end_matches('%')
            );
            Ok(())
        }
        InterestCommand::Rate(InterestRateCommand::List(args)) => {
            let rates = settle.reference_rates().await?;
            match args.format {
                Format::Json => render::json(
                    &rates
                        .iter()
                        .map(|(preset, from, rate)| {
                            serde_json::json!({
                                "preset": preset, "from": from, "rate": percent_text(*rate),
                            })
                        })
                        .collect::<Vec<_>>(),
                ),
                Format::Csv => {
                    let mut csv = render::csv_out();
                    csv.write_record(["preset", "from", "rate"])?;
                    for (preset, from, rate) in &rates {
                        csv.write_record([preset.clone(), from.to_string(), percent_text(*rate)])?;
                    }
                    csv.flush()?;
                    Ok(())
                }
                Format::Table => {
                    let mut table = render::table(&["preset", "from", "rate %"]);
                    for (preset, from, rate) in &rates {
                        table.add_row(vec![
                            Cell::new(preset),
                            Cell::new(from),
                            render::num(percent_text(*rate)),
                        ]);
                    }
                    println!("{table}");
                    Ok(())
                }
            }
        }
        InterestCommand::Policy(args) => {
            let on = args.charge == OnOff::On;
            settle.set_interest_charging(on).await?;
            println!(
                "late interest is {}",
                if on {
                    "charged by `settle interest run --post`"
                } else {
                    "shown, not charged"
                }
            );
            Ok(())
        }
        InterestCommand::Assign(args) => {
            let target = match (args.customer, args.country) {
                (Some(code), _) => PresetTarget::Customer(code),
                (None, Some(country)) => PresetTarget::Country(country),
                (None, None) => unreachable!("clap requires one"),
            };
            let shown = match &target {
                PresetTarget::Customer(code) => format!("customer {code}"),
                PresetTarget::Country(country) => {
                    format!("country {}", country.to_ascii_uppercase())
                }
            };
            settle
                .assign_interest_preset(target, Some(&args.preset))
                .await?;
            println!("{shown}: preset {}", args.preset.to_ascii_lowercase());
            Ok(())
        }
        InterestCommand::Run(args) => {
            let as_of = parse_date("--as-of", &args.as_of)?;
            let run = settle.interest_run(as_of, args.post).await?;
            print_run(&run, args.format.format)
        }
    }
}

fn run_cells(line: &settle_service::interest::InterestLine) -> [String; 13] {
    [
        line.customer.clone(),
        line.invoice.clone(),
        line.preset.clone(),
        line.due_date.to_string(),
        line.interest.currency().code().to_string(),
        line.open.to_decimal_string(),
        line.from.to_string(),
        line.through.to_string(),
        line.days.to_string(),
        line.interest.to_decimal_string(),
        line.compensation.to_decimal_string(),
        line.interest_memo.clone().unwrap_or_default(),
        line.compensation_memo.clone().unwrap_or_default(),
    ]
}

const RUN_COLUMNS: [&str; 13] = [
    "customer",
    "invoice",
    "preset",
    "due_date",
    "currency",
    "open",
    "from",
    "through",
    "days",
    "interest",
    "compensation",
    "interest_memo",
    "compensation_memo",
];

fn print_run(run: &InterestRun, format: Format) -> Result<()> {
    match format {
        Format::Json => render::json(run),
        Format::Csv => {
            let mut csv = render::csv_out();
            csv.write_record(RUN_COLUMNS)?;
            for line in &run.lines {
                csv.write_record(run_cells(line))?;
            }
            csv.flush()?;
            Ok(())
        }
        Format::Table => {
            let mut table = render::table(&RUN_COLUMNS);
            for line in &run.lines {
                table.add_row(run_cells(line).map(Cell::new).to_vec());
            }
            println!("Late-payment interest as of {}", run.as_of);
            println!("{table}");
            println!(
                "{}",
                match (run.posted, run.charging_enabled) {
                    (true, _) => "posted as debit memos",
                    (false, true) => "not posted (--post charges it)",
                    (false, false) =>
                        "not posted: this entity does not charge late interest (settle interest policy --charge on)",
                }
            );
            Ok(())
        }
    }
}

pub async fn apply_legal(settle: &Settle, args: ApplyLegalArgs) -> Result<()> {
    let date = date_or_today("--date", args.date.as_deref())?;
    let outcome = settle
        .apply_in_legal_order(
            PaymentId(args.payment),
            args.customer.as_deref(),
            date,
            args.write.idempotency_key.as_deref(),
        )
        .await?;
    if args.write.format.format == Format::Json {
        return render::json(&outcome);
    }
    let applied = &outcome.value;
    let mut table = render::table(&["settles", "item", "applied", "still open"]);
    for (settles, a) in &applied.applications {
        table.add_row(vec![
            Cell::new(settles),
            Cell::new(&a.invoice),
            render::num(a.amount.to_decimal_string()),
            render::num(a.invoice_open.to_decimal_string()),
        ]);
    }
    println!("payment {} applied in the legal order", applied.payment_id);
    println!("{table}");
    println!("unapplied: {}", applied.unapplied);
    Ok(())
}

pub async fn agency(settle: &Settle, command: AgencyCommand) -> Result<()> {
    match command {
        AgencyCommand::Place(args) => {
            let date = date_or_today("--date", args.date.as_deref())?;
            let placed = settle
                .place_with_agency(PlacementRequest {
                    customer: args.customer,
                    agency: args.agency,
                    commission: args.commission,
                    date,
                    out: args.out.clone(),
                })
                .await?;
            if args.format.format == Format::Json {
                return render::json(&placed);
            }
            let totals: Vec<String> = placed.placed.iter().map(ToString::to_string).collect();
            println!(
                "placed {} with {} on {} ({} items, {}; commission {} %); export written to {}",
                placed.customer,
                placed.agency,
                placed.placed_on,
                placed.items,
                totals.join(", "),
                percent_text(placed.commission_bp),
                args.out.display()
            );
            Ok(())
        }
        AgencyCommand::Recall(args) => {
            let date = date_or_today("--date", args.date.as_deref())?;
            let recalled = settle.recall_from_agency(&args.customer, date).await?;
            println!(
                "recalled {} from {} on {}",
                recalled.customer, recalled.agency, recalled.recalled_on
            );
            Ok(())
        }
        AgencyCommand::Report(args) => {
            let lines = settle.agency_report().await?;
            match args.format {
                Format::Json => render::json(&lines),
                Format::Csv | Format::Table => {
                    let columns = [
                        "placement",
                        "customer",
                        "agency",
                        "status",
                        "placed_on",
                        "recalled_on",
                        "currency",
                        "placed",
                        "recovered",
                        "commission_rate",
                        "commission",
                    ];
                    let rows: Vec<[String; 11]> = lines
                        .iter()
                        .map(|l| {
                            [
                                l.placement_id.to_string(),
                                l.customer.clone(),
                                l.agency.clone(),
                                l.status.clone(),
                                l.placed_on.to_string(),
                                l.recalled_on.map(|d| d.to_string()).unwrap_or_default(),
                                l.placed.currency().code().to_string(),
                                l.placed.to_decimal_string(),
                                l.recovered.to_decimal_string(),
                                l.commission_rate.clone(),
                                l.commission.to_decimal_string(),
                            ]
                        })
                        .collect();
                    if args.format == Format::Csv {
                        let mut csv = render::csv_out();
                        csv.write_record(columns)?;
                        for row in rows {
                            csv.write_record(row)?;
                        }
                        csv.flush()?;
                    } else {
                        let mut table = render::table(&columns);
                        for row in rows {
                            table.add_row(row.map(Cell::new).to_vec());
                        }
                        println!("{table}");
                    }
                    Ok(())
                }
            }
        }
    }
}
