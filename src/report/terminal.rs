//! The terminal reporter: a line per step, miette reports for warnings and
//! failures, a closing summary, and (on a terminal only) a progress bar on
//! stderr that is cleared at the end.

use std::io::Write;
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Verbosity;
use crate::diagnostic::clipped;
use crate::event::{Event, Sink, StepRef, StepStatus, Summary};

pub struct TerminalReporter<W: Write> {
    out: W,
    color: bool,
    verbosity: Verbosity,
    width: usize,
    progress: Option<ProgressBar>,
    want_progress: bool,
    /// `pplay plan`: changes are the report, one line each.
    plan: bool,
    /// `--piano-roll`: each planned clip's notes drawn, as this generation
    /// reads them.
    piano_roll: Option<crate::protocol::Generation>,
}

impl<W: Write> TerminalReporter<W> {
    /// `progress`: draw a progress bar on stderr (the caller has checked
    /// that stderr is a terminal).
    pub fn new(out: W, color: bool, verbosity: Verbosity, progress: bool) -> Self {
        TerminalReporter {
            out,
            color,
            verbosity,
            width: 100,
            progress: None,
            want_progress: progress && verbosity > Verbosity::Quiet,
            plan: false,
            piano_roll: None,
        }
    }

    /// Draws the notes of every planned clip call (a dry run's
    /// `--piano-roll`), as `generation` reads them.
    pub fn with_piano_roll(mut self, generation: crate::protocol::Generation) -> Self {
        self.piano_roll = Some(generation);
        self
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    }

    fn line(&mut self, text: &str) {
        let out = &mut self.out;
        match &self.progress {
            Some(pb) => pb.suspend(|| {
                let _ = writeln!(out, "{text}");
                let _ = out.flush();
            }),
            None => {
                let _ = writeln!(out, "{text}");
                let _ = out.flush();
            }
        }
    }

    fn step_line(
        &mut self,
        step: &StepRef,
        status: StepStatus,
        duration_ms: f64,
        note: Option<&str>,
    ) {
        let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
        let red = Style::new().fg_color(Some(AnsiColor::Red.into())).bold();
        let yellow = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
        let dim = Style::new().dimmed();
        let mark = match status {
            StepStatus::Ok => self.paint(green, "✓"),
            StepStatus::Changed => self.paint(yellow, "✓"),
            StepStatus::Failed => self.paint(red, "✗"),
            StepStatus::Skipped => self.paint(yellow, "↷"),
            StepStatus::Ignored => self.paint(yellow, "✗"),
            StepStatus::Planned | StepStatus::NotRun => self.paint(dim, "→"),
            StepStatus::Restored => self.paint(dim, "↺"),
        };
        let mut text = format!("{mark} {}", step.name);
        if let Some(it) = step.iteration {
            text.push_str(&format!(" [{}/{}]", it.index0 + 1, it.length));
        }
        if let Some(tool) = &step.tool
            && **tool != *step.name
        {
            text.push_str(&format!("  {}", self.paint(dim, tool)));
        }
        if matches!(
            status,
            StepStatus::Ok | StepStatus::Changed | StepStatus::Failed | StepStatus::Ignored
        ) {
            text.push_str(&format!(
                "  {}",
                self.paint(dim, &format_duration(duration_ms))
            ));
        }
        match status {
            StepStatus::Skipped => text.push_str(&format!(
                "  {}",
                self.paint(
                    yellow,
                    &format!("skipped ({})", note.unwrap_or("when was false"))
                )
            )),
            StepStatus::Ignored => text.push_str(&format!(
                "  {}",
                self.paint(yellow, "ignored (onError: continue)")
            )),
            StepStatus::Restored => {
                text.push_str(&format!("  {}", self.paint(dim, "from the journal")))
            }
            StepStatus::Changed => text.push_str(&format!("  {}", self.paint(yellow, "changed"))),
            StepStatus::Ok if note.is_some() => text.push_str(&format!(
                "  {}",
                self.paint(green, &format!("ok ({})", note.unwrap_or_default()))
            )),
            _ => {}
        }
        self.line(&text);
    }

    fn start_progress(&mut self, total: Option<usize>) {
        if !self.want_progress {
            return;
        }
        let pb = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n as u64), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = if total.is_some() {
            "{bar:30.cyan/blue} {pos}/{len} calls  {rate}  {eta} left  {msg}"
        } else {
            "{spinner} {pos} calls  {rate}  {msg}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            let rate = |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&format_rate(state.per_sec()));
            };
            pb.set_style(style.with_key("rate", rate).progress_chars("=> "));
        }
        pb.enable_steady_tick(Duration::from_millis(120));
        self.progress = Some(pb);
    }
}

impl<W: Write> TerminalReporter<W> {
    /// A plan's line for a step: `+ create track Kick`, `~ tempo 124 ->
    /// 128`, `= ok`. A run shows what it changed only with `-v`.
    fn change(&mut self, step: &StepRef, change: &crate::event::Change) {
        use crate::converge::shown;
        use crate::event::Change;
        if !self.plan && self.verbosity < Verbosity::Verbose {
            return;
        }
        let it = step
            .iteration
            .map(|i| format!(" [{}/{}]", i.index0 + 1, i.length))
            .unwrap_or_default();
        let what = match change {
            Change::Create { kind, name } => format!("+ create {kind} {name}"),
            Change::Update(diffs) => {
                let parts: Vec<String> = diffs
                    .iter()
                    .map(|d| {
                        let from = d.current.as_ref().map_or("(unknown)".into(), shown);
                        format!("{} {from} -> {}", d.field, shown(&d.wanted))
                    })
                    .collect();
                format!("~ {}", parts.join(", "))
            }
            Change::Send { tool, args } => format!("+ {tool} {args}"),
            Change::Same { .. } => "= ok".to_owned(),
            Change::Unknown { why } => format!("? cannot tell: {why}"),
        };
        self.line(&format!("{what}  ({}{it})", step.name));
    }

    /// What a resume starts from, shown even with `-q`: it says what will
    /// not be sent again.
    fn resumed(&mut self, info: &crate::event::ResumeInfo) {
        let calls = plural(info.recorded, "call");
        self.line(&format!(
            "↺ resuming {}: {calls} recorded as done, not sent again",
            info.journal
        ));
        for n in &info.in_flight {
            self.line(&format!("  {} was in flight: {}", n.call, n.choice));
        }
        for f in &info.changed_files {
            self.line(&format!("  {f} changed since the journal was written"));
        }
    }
}

/// Calls per second as people read them: `16/s`, `2.5/s`, `1742/s`
/// (indicatif's own `{per_sec}` shows `1,741.3545/s`).
pub fn format_rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        "-/s".to_owned()
    } else if per_sec < 10.0 {
        format!("{per_sec:.1}/s")
    } else {
        format!("{}/s", per_sec.round() as u64)
    }
}

/// `41 ms`, `2.3 s`.
pub fn format_duration(ms: f64) -> String {
    if ms < 1.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{} ms", ms.round() as u64)
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `3 changed, 2 ok, 5 steps, 5 calls, 1 warning, 0 failed, 0 skipped in
/// 41 ms`.
pub fn summary_line(s: &Summary) -> String {
    let mut text = format!(
        "{} changed, {} ok, {}, {}, {}, {} failed, {} skipped",
        s.changed,
        s.ok,
        plural(s.steps, "step"),
        plural(s.calls, "call"),
        plural(s.warnings, "warning"),
        s.failed,
        s.skipped + s.not_run
    );
    // Steps never reached count as skipped, as in the JUnit report.
    if s.not_run > 0 {
        text.push_str(&format!(" ({} not run)", s.not_run));
    }
    if s.ignored > 0 {
        text.push_str(&format!(", {} ignored", s.ignored));
    }
    if s.restored > 0 {
        text.push_str(&format!(", {} restored from the journal", s.restored));
    }
    text.push_str(&format!(" in {}", format_duration(s.duration_ms)));
    text
}

impl<W: Write> Sink for TerminalReporter<W> {
    fn emit(&mut self, event: &Event) {
        match event {
            Event::RunStarted {
                name,
                url,
                planned_calls,
                dry_run,
                plan,
                ..
            } => {
                if self.verbosity > Verbosity::Quiet {
                    self.plan = *plan;
                    let head = if *plan {
                        format!("{name} (plan: only reads are sent)")
                    } else if *dry_run {
                        format!("{name} (dry run: nothing is sent)")
                    } else {
                        format!("{name} → {url}")
                    };
                    let text = self.paint(Style::new().bold(), &head);
                    self.line(&text);
                }
                if !dry_run && planned_calls.is_none_or(|n| n > 1) {
                    self.start_progress(*planned_calls);
                }
            }
            Event::CallSent { .. } | Event::CallFinished { .. } => self.http_detail(event),
            Event::CallPlanned {
                tool,
                args,
                timeout_ms,
                step,
                notes,
            } => {
                let t = timeout_ms
                    .map(|t| format!("  timeoutMs={t}"))
                    .unwrap_or_default();
                let it = step
                    .iteration
                    .map(|i| format!(" [{}/{}]", i.index0 + 1, i.length))
                    .unwrap_or_default();
                let line = format!("→ {}{it}  {tool} {args}{t}", step.name);
                self.line(&line);
                for n in notes {
                    let note = self.paint(
                        Style::new().fg_color(Some(AnsiColor::Yellow.into())),
                        &format!("    ? {n}"),
                    );
                    self.line(&note);
                }
                let roll = (self.piano_roll)
                    .and_then(|g| super::piano_roll::for_call(tool, args, g, self.color));
                for l in roll.into_iter().flatten() {
                    self.line(format!("    {l}").trim_end());
                }
            }
            Event::Retry {
                attempt,
                retries,
                delay_ms,
                reason,
                step,
            } => {
                if self.verbosity > Verbosity::Quiet {
                    let text = self.paint(
                        Style::new().fg_color(Some(AnsiColor::Yellow.into())),
                        &format!(
                            "  ↻ {}: retry {attempt} of {retries} in {delay_ms} ms ({reason})",
                            step.name
                        ),
                    );
                    self.line(&text);
                }
            }
            Event::Warning { diagnostic, .. } => {
                if self.verbosity > Verbosity::Quiet {
                    let text = diagnostic.render(self.color, self.width);
                    self.line(text.trim_end());
                }
            }
            Event::Resumed(info) => self.resumed(info),
            Event::Change { step, change } => self.change(step, change),
            // The step's failure and warnings name the targets already.
            Event::StepStarted { .. } | Event::Targets { .. } => {}
            Event::StepFinished { .. } | Event::RunFinished { .. } => self.finished(event),
        }
    }
}

impl<W: Write> TerminalReporter<W> {
    /// `-v` and `-vv`: what was sent and what came back.
    fn http_detail(&mut self, event: &Event) {
        let dim = Style::new().dimmed();
        match event {
            Event::CallSent {
                tool,
                url,
                args,
                timeout_ms,
                attempt,
                ..
            } => {
                if self.verbosity >= Verbosity::Debug {
                    let q = timeout_ms
                        .map(|t| format!("&timeoutMs={t}"))
                        .unwrap_or_default();
                    let line = format!(
                        "    POST {url}/api/tools/{tool}?format=json{q} (attempt {attempt})"
                    );
                    let text = self.paint(dim, &line);
                    self.line(&text);
                }
                if self.verbosity >= Verbosity::Verbose {
                    let text = self.paint(dim, &format!("    → {args}"));
                    self.line(&text);
                }
            }
            Event::CallFinished {
                status,
                duration_ms,
                result,
                error,
                is_error,
                appended,
                ..
            } => {
                if self.verbosity >= Verbosity::Debug {
                    let st = status.map_or_else(|| "no answer".to_owned(), |s| format!("HTTP {s}"));
                    let text = self.paint(
                        dim,
                        &format!(
                            "    {st} in {}{}",
                            format_duration(*duration_ms),
                            if *is_error { ", isError" } else { "" }
                        ),
                    );
                    self.line(&text);
                }
                if self.verbosity >= Verbosity::Verbose {
                    let body = match (result, error) {
                        (Some(r), _) => clipped(&r.to_string(), 2000),
                        (None, Some(e)) => e.clone(),
                        _ => String::new(),
                    };
                    let text = self.paint(dim, &format!("    ← {body}"));
                    self.line(&text);
                    for block in appended {
                        let text = self.paint(dim, &format!("    + {}", clipped(block, 2000)));
                        self.line(&text);
                    }
                }
            }
            _ => {}
        }
    }

    /// A step's line and report, and the run's closing lines.
    fn finished(&mut self, event: &Event) {
        match event {
            Event::StepFinished {
                step,
                status,
                duration_ms,
                message,
                diagnostic,
            } => {
                if *status == StepStatus::NotRun {
                    return;
                }
                if let Some(pb) = &self.progress {
                    if *status != StepStatus::Skipped {
                        pb.inc(1);
                    }
                    pb.set_message(step.name.clone());
                }
                let show_line = match status {
                    StepStatus::Failed | StepStatus::Ignored => true,
                    StepStatus::Planned => false,
                    // A plan's change line says it.
                    StepStatus::Changed if self.plan => false,
                    StepStatus::Ok if self.plan && message.is_some() => false,
                    _ => self.verbosity > Verbosity::Quiet,
                };
                if show_line {
                    self.step_line(step, *status, *duration_ms, message.as_deref());
                }
                if matches!(status, StepStatus::Failed | StepStatus::Ignored)
                    && let Some(d) = diagnostic
                {
                    let text = d.render(self.color, self.width);
                    self.line(text.trim_end());
                }
            }
            Event::RunFinished {
                summary,
                interrupted,
                error,
                ..
            } => {
                if let Some(pb) = self.progress.take() {
                    pb.finish_and_clear();
                }
                if *interrupted {
                    let text = self.paint(
                        Style::new().fg_color(Some(AnsiColor::Yellow.into())),
                        "interrupted: stopped after the call in flight",
                    );
                    self.line(&text);
                }
                if let Some(e) = error {
                    let text = self.paint(
                        Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
                        &format!("error: {e}"),
                    );
                    self.line(&text);
                }
                let style = if summary.failed > 0 || error.is_some() {
                    Style::new().fg_color(Some(AnsiColor::Red.into())).bold()
                } else {
                    Style::new().fg_color(Some(AnsiColor::Green.into())).bold()
                };
                let text = self.paint(style, &summary_line(summary));
                self.line(&text);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::format_rate;

    #[test]
    fn the_progress_rate_is_a_readable_number() {
        assert_eq!(format_rate(1741.3545), "1741/s");
        assert_eq!(format_rate(16.49), "16/s");
        assert_eq!(format_rate(2.46), "2.5/s");
        assert_eq!(format_rate(0.0), "-/s");
        assert_eq!(format_rate(f64::NAN), "-/s");
    }
}
