//! The correlation engine: windows per correlation and group, fed in log
//! order with the rules each event matched.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{format_time_ms, Correlation, CorrelationType};
use crate::alert::{event_time_ms, severity_of_level, Alert, AlertKind, AlertOrigin};
use crate::input::{Event, Origin};
use crate::sigma::matcher::any_at;
use crate::sigma::{Rule, RuleError};

/// Groups kept per correlation before the oldest are dropped.
const DEFAULT_MAX_GROUPS: usize = 100_000;
/// The `version` of what [`Correlator::save`] writes.
const STATE_VERSION: u64 = 1;
/// Values listed in a `value_count` alert.
const SAMPLE_VALUES: usize = 10;

/// What the correlator had to leave out, for the run summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CorrelatorStats {
    /// Groups dropped, oldest first, because a correlation reached its cap.
    pub groups_dropped: u64,
    /// Events older than their group's window when they arrived.
    pub late_events: u64,
    /// Matched events lacking a group-by field (or the `value_count`
    /// field), which no group can hold.
    pub ungrouped_events: u64,
}

/// Runs correlation rules over the matches of their referenced rules.
///
/// Semantics:
/// - **Time** is each event's own ([`event_time_ms`]); an event without a
///   time takes the latest time seen before it (0 before any), so a log
///   without times correlates in log order as if all at once.
/// - **Windows slide** over event time, per group, and cover `timespan`
///   with both ends included: events at `t` and `t + timespan` are in one
///   window, at `t + timespan + 1ms` they are not. A condition with only
///   lower bounds (`gt`, `gte`) fires at the event that meets it. A
///   condition with an upper bound (`lt`, `lte`, `eq`, `neq`) can only be
///   judged on a finished window: those windows start at a group's first
///   event, close when time passes their end (or at [`Correlator::finish`]),
///   and are judged then.
/// - **Once per window**: after a sliding correlation fires for a group, it
///   does not fire again for that group until `timespan` has passed (the
///   next alert counts only events after the first).
/// - **Out of order**: an event older than its group's newest is counted
///   where its time puts it, if still within the window; older still, it is
///   dropped and counted as late. For `temporal_ordered`, a step follows
///   the previous one when it comes after it in the log and its time is
///   not earlier.
/// - **Memory**: a group keeps at most what decides its condition (the
///   largest bound plus one entries); groups whose window has passed are
///   dropped as the clock moves; each correlation keeps at most 100,000
///   groups, dropping the oldest sixteenth when full (counted).
/// - **Groups**: an event lacking a group-by field is left out (counted),
///   as `stats count by` does; values are compared as JSON.
/// - **Chains**: a correlation's alert feeds the correlations that refer to
///   it, as the event that completed it with its group-by values added
///   (for a window judged as it closes, its group-by values alone).
#[derive(Debug)]
pub struct Correlator {
    /// Inner correlations come before those that refer to them.
    units: Vec<Unit>,
    /// Per rule index: the (unit, position in its `rules`) it feeds.
    rule_inputs: Vec<Vec<(usize, usize)>>,
    rule_alone: Vec<bool>,
    clock: Option<i64>,
    next_sweep: i64,
    max_groups: usize,
    stats: CorrelatorStats,
}

#[derive(Debug)]
struct Unit {
    def: Correlation,
    /// Per referenced rule, the field read for each group-by entry (aliases
    /// resolved).
    group_fields: Vec<Vec<String>>,
    /// Units (and positions) fed by this one's alerts.
    downstream: Vec<(usize, usize)>,
    alerts_alone: bool,
    closes: bool,
    entries_needed: usize,
    groups: HashMap<String, Group>,
    last_sweep: Option<i64>,
}

impl Unit {
    fn sweep_interval(&self) -> i64 {
        // Closing windows late delays their alerts; expiring late only
        // holds memory a little longer.
        let span = self.def.timespan_ms;
        if self.closes {
            (span / 8).max(1000)
        } else {
            span
        }
    }

    fn next_sweep(&self) -> i64 {
        self.last_sweep
            .map_or(i64::MIN, |last| last.saturating_add(self.sweep_interval()))
    }

    fn fingerprint(&self) -> String {
        let def = &self.def;
        format!(
            "{}|{}|{}|{}|{}|{}|{:?}",
            def.kind.as_str(),
            def.rules.join(","),
            def.group_by.join(","),
            def.timespan_ms,
            def.condition.text(),
            def.value_fields.join(","),
            def.aliases
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Group {
    window: Window,
    /// The latest event time seen in the group.
    newest: i64,
    /// Where a closing window began.
    start: i64,
    /// No new alert for the group up to this time (sliding windows).
    silent_until: Option<i64>,
    /// The last event, named by alerts of closing windows.
    last_origin: Option<SavedOrigin>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedOrigin {
    file: String,
    line: Option<u64>,
    index: u64,
}

impl From<&Origin> for SavedOrigin {
    fn from(origin: &Origin) -> Self {
        SavedOrigin {
            file: origin.file.to_string(),
            line: origin.line,
            index: origin.index,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Window {
    /// event_count: event times, oldest first.
    Times(VecDeque<i64>),
    /// value_count: the latest time of each distinct value.
    Values(BTreeMap<String, i64>),
    /// temporal: the latest time each referenced rule was seen.
    Latest(Vec<Option<i64>>),
    /// temporal_ordered: for each prefix of the rule list (index = length
    /// - 1), the (first, last) times of the chain with the latest start.
    Chain(Vec<Option<(i64, i64)>>),
}

impl Window {
    fn new(kind: CorrelationType, rules: usize) -> Window {
        match kind {
            CorrelationType::EventCount => Window::Times(VecDeque::new()),
            CorrelationType::ValueCount => Window::Values(BTreeMap::new()),
            CorrelationType::Temporal => Window::Latest(vec![None; rules]),
            CorrelationType::TemporalOrdered => Window::Chain(vec![None; rules]),
        }
    }

    fn fits(&self, kind: CorrelationType, rules: usize) -> bool {
        match (self, kind) {
            (Window::Times(_), CorrelationType::EventCount)
            | (Window::Values(_), CorrelationType::ValueCount) => true,
            (Window::Latest(slots), CorrelationType::Temporal) => slots.len() == rules,
            (Window::Chain(slots), CorrelationType::TemporalOrdered) => slots.len() == rules,
            _ => false,
        }
    }

    fn record(&mut self, positions: &[usize], time: i64, value: Option<&str>, cap: usize) {
        match self {
            Window::Times(times) => {
                let at = times.partition_point(|&t| t <= time);
                times.insert(at, time);
                // The newest `cap` decide the condition.
                while times.len() > cap {
                    times.pop_front();
                }
            }
            Window::Values(values) => {
                let Some(value) = value else { return };
                let latest = values.entry(value.to_string()).or_insert(time);
                *latest = (*latest).max(time);
                if values.len() > cap {
                    let oldest = values
                        .iter()
                        .min_by_key(|(_, &t)| t)
                        .map(|(v, _)| v.clone());
                    if let Some(oldest) = oldest {
                        values.remove(&oldest);
                    }
                }
            }
            Window::Latest(slots) => {
                for &p in positions {
                    if let Some(slot) = slots.get_mut(p) {
                        *slot = Some(slot.map_or(time, |t| t.max(time)));
                    }
                }
            }
            Window::Chain(slots) => {
                // Longest prefixes first, so that one event matching two
                // steps does not chain with itself.
                let mut positions = positions.to_vec();
                positions.sort_unstable_by(|a, b| b.cmp(a));
                for p in positions {
                    let candidate = match p {
                        0 => Some((time, time)),
                        _ => slots
                            .get(p - 1)
                            .copied()
                            .flatten()
                            .filter(|&(_, end)| end <= time)
                            .map(|(start, _)| (start, time)),
                    };
                    if let (Some(slot), Some(candidate)) = (slots.get_mut(p), candidate) {
                        if slot.is_none_or(|(start, _)| candidate.0 > start) {
                            *slot = Some(candidate);
                        }
                    }
                }
            }
        }
    }

    fn prune(&mut self, since: i64) {
        match self {
            Window::Times(times) => {
                while times.front().is_some_and(|&t| t < since) {
                    times.pop_front();
                }
            }
            Window::Values(values) => values.retain(|_, t| *t >= since),
            Window::Latest(slots) => {
                for slot in slots.iter_mut() {
                    if slot.is_some_and(|t| t < since) {
                        *slot = None;
                    }
                }
            }
            Window::Chain(slots) => {
                for slot in slots.iter_mut() {
                    if slot.is_some_and(|(start, _)| start < since) {
                        *slot = None;
                    }
                }
            }
        }
    }

    /// The count the condition is judged on, over entries at or after `since`.
    fn count(&self, since: i64) -> u64 {
        let count = match self {
            Window::Times(times) => times.len() - times.partition_point(|&t| t < since),
            Window::Values(values) => values.values().filter(|&&t| t >= since).count(),
            Window::Latest(slots) => slots.iter().flatten().filter(|&&t| t >= since).count(),
            Window::Chain(slots) => slots
                .iter()
                .rposition(|slot| slot.is_some_and(|(start, _)| start >= since))
                .map_or(0, |last| last + 1),
        };
        count as u64
    }

    fn first_time(&self, since: i64) -> Option<i64> {
        match self {
            Window::Times(times) => times.iter().copied().find(|&t| t >= since),
            Window::Values(values) => values.values().copied().filter(|&t| t >= since).min(),
            Window::Latest(slots) => slots
                .iter()
                .flatten()
                .copied()
                .filter(|&t| t >= since)
                .min(),
            // The start of the longest chain counted.
            Window::Chain(slots) => match self.count(since) as usize {
                0 => None,
                length => slots[length - 1].map(|(start, _)| start),
            },
        }
    }

    /// Positions of the referenced rules seen, for temporal types.
    fn rules_seen(&self, since: i64) -> Option<Vec<usize>> {
        match self {
            Window::Latest(slots) => Some(
                (0..slots.len())
                    .filter(|&p| slots[p].is_some_and(|t| t >= since))
                    .collect(),
            ),
            Window::Chain(_) => Some((0..self.count(since) as usize).collect()),
            _ => None,
        }
    }

    fn sample_values(&self, since: i64) -> Vec<String> {
        match self {
            Window::Values(values) => values
                .iter()
                .filter(|(_, &t)| t >= since)
                .take(SAMPLE_VALUES)
                .map(|(v, _)| v.clone())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A correlation that fired, before it becomes an alert.
struct Fired {
    key: String,
    count: u64,
    first: i64,
    last: i64,
    rules_seen: Option<Vec<usize>>,
    values: Vec<String>,
    origin: Option<SavedOrigin>,
    /// The event that completed it, when one did (not for windows judged
    /// as they close), for the correlations that refer to it.
    event: Option<Value>,
}

/// A correlation's alert on its way to a correlation that refers to it.
struct Signal {
    unit: usize,
    position: usize,
    event: Value,
    time: i64,
    origin: Option<SavedOrigin>,
}

#[derive(Clone, Copy)]
enum Target {
    Rule(usize),
    Correlation(usize),
}

fn invalid(def: &Correlation, message: String) -> RuleError {
    RuleError::Invalid {
        file: def.source.clone(),
        rule: def.title.clone(),
        construct: "rules".to_string(),
        message,
    }
}

impl Correlator {
    /// Resolves every correlation's `rules` against `rules` (indices into
    /// this slice are what [`Correlator::observe`] takes: use the order of
    /// `RuleSet::rules`) and the other correlations. An unknown or
    /// ambiguous reference, or correlations referring to each other in a
    /// loop, is an error naming the correlation's file.
    pub fn new(correlations: Vec<Correlation>, rules: &[Rule]) -> Result<Correlator, RuleError> {
        let mut targets: Vec<Vec<Target>> = Vec::new();
        for def in &correlations {
            let mut resolved = Vec::new();
            for reference in &def.rules {
                let is = |id: &Option<String>, name: &Option<String>| {
                    id.as_deref() == Some(reference) || name.as_deref() == Some(reference)
                };
                let mut found: Vec<(Target, String)> = rules
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| is(&r.id, &r.name))
                    .map(|(i, r)| (Target::Rule(i), r.source.clone()))
                    .collect();
                found.extend(
                    correlations
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| is(&c.id, &c.name))
                        .map(|(i, c)| (Target::Correlation(i), c.source.clone())),
                );
                match found.as_slice() {
                    [] => {
                        return Err(invalid(
                            def,
                            format!("unknown rule `{reference}`: no loaded rule or correlation has this name or id"),
                        ))
                    }
                    [(target, _)] => resolved.push(*target),
                    many => {
                        let sources: Vec<&str> = many.iter().map(|(_, s)| s.as_str()).collect();
                        return Err(invalid(
                            def,
                            format!(
                                "`{reference}` names {} loaded rules ({})",
                                many.len(),
                                sources.join(", ")
                            ),
                        ));
                    }
                }
            }
            targets.push(resolved);
        }
        let order = inner_first(&correlations, &targets)?;
        let mut unit_of = vec![0; correlations.len()];
        for (unit, &index) in order.iter().enumerate() {
            unit_of[index] = unit;
        }
        let mut slots: Vec<Option<Correlation>> = correlations.into_iter().map(Some).collect();
        let mut units: Vec<Unit> = order
            .iter()
            .map(|&index| {
                let def = slots[index]
                    .take()
                    .expect("each correlation is ordered once");
                let group_fields = def
                    .rules
                    .iter()
                    .map(|reference| {
                        def.group_by
                            .iter()
                            .map(|field| {
                                def.aliases
                                    .get(field)
                                    .and_then(|by_rule| by_rule.get(reference))
                                    .unwrap_or(field)
                                    .clone()
                            })
                            .collect()
                    })
                    .collect();
                Unit {
                    closes: def.condition.needs_closed_window(),
                    entries_needed: def.condition.entries_needed(),
                    group_fields,
                    downstream: Vec::new(),
                    alerts_alone: true,
                    groups: HashMap::new(),
                    last_sweep: None,
                    def,
                }
            })
            .collect();
        let mut rule_inputs = vec![Vec::new(); rules.len()];
        let mut rule_generate = vec![None::<bool>; rules.len()];
        let mut unit_generate = vec![None::<bool>; units.len()];
        for (index, resolved) in targets.iter().enumerate() {
            let unit = unit_of[index];
            let generate = units[unit].def.generate;
            for (position, target) in resolved.iter().enumerate() {
                let slot = match *target {
                    Target::Rule(rule) => {
                        rule_inputs[rule].push((unit, position));
                        &mut rule_generate[rule]
                    }
                    Target::Correlation(inner) => {
                        units[unit_of[inner]].downstream.push((unit, position));
                        &mut unit_generate[unit_of[inner]]
                    }
                };
                *slot = Some(slot.unwrap_or(false) || generate);
            }
        }
        for (unit, generate) in units.iter_mut().zip(unit_generate) {
            unit.alerts_alone = generate.unwrap_or(true);
        }
        Ok(Correlator {
            units,
            rule_inputs,
            rule_alone: rule_generate
                .into_iter()
                .map(|g| g.unwrap_or(true))
                .collect(),
            clock: None,
            next_sweep: i64::MIN,
            max_groups: DEFAULT_MAX_GROUPS,
            stats: CorrelatorStats::default(),
        })
    }

    /// Caps the groups kept per correlation (100,000 by default).
    pub fn with_max_groups(mut self, max_groups: usize) -> Correlator {
        self.max_groups = max_groups.max(1);
        self
    }

    /// Whether a match of rule `index` is an alert by itself: it is unless
    /// correlations refer to it and none of them says `generate: true`.
    pub fn rule_alerts_alone(&self, index: usize) -> bool {
        self.rule_alone.get(index).copied().unwrap_or(true)
    }

    /// The correlations, inner ones (referred to by others) first.
    pub fn correlations(&self) -> impl Iterator<Item = &Correlation> {
        self.units.iter().map(|unit| &unit.def)
    }

    pub fn stats(&self) -> CorrelatorStats {
        self.stats
    }

    #[cfg(test)]
    pub(crate) fn group_count(&self) -> usize {
        self.units.iter().map(|unit| unit.groups.len()).sum()
    }

    #[cfg(test)]
    pub(crate) fn entry_count(&self) -> usize {
        let entries = |window: &Window| match window {
            Window::Times(times) => times.len(),
            Window::Values(values) => values.len(),
            Window::Latest(slots) => slots.len(),
            Window::Chain(slots) => slots.len(),
        };
        self.units
            .iter()
            .flat_map(|unit| unit.groups.values())
            .map(|group| entries(&group.window))
            .sum()
    }

    /// Stable name, the key of the correlator's state in the state store.
    /// The event fields it reads (group-by fields with aliases resolved,
    /// value_count fields), besides the event's time.
    pub fn fields_read(&self) -> Vec<String> {
        let mut fields: Vec<String> = self
            .units
            .iter()
            .flat_map(|unit| {
                let grouped = unit.group_fields.iter().flatten().cloned();
                grouped.chain(unit.def.value_fields.iter().cloned())
            })
            .collect();
        fields.sort();
        fields.dedup();
        fields
    }

    /// How many correlations it runs.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    pub fn name(&self) -> &'static str {
        "sigma-correlation"
    }

    /// Feeds one event, in log order, with the indices of the rules it
    /// matched (any order; rules no correlation refers to are ignored), and
    /// pushes the alerts of correlations it completes. Call it for every
    /// event (it reads the event's time, then returns when nothing refers
    /// to its rules) so that time moves with the log: closing windows
    /// (`lt`, `eq`...) are judged on time, and an event without a time
    /// takes the last one of the log. Calling it only for events that
    /// matched something (a fast path that never parses the others) is
    /// correct too, with time moving only with those events.
    pub fn observe(&mut self, event: &Event, matched: &[usize], alerts: &mut Vec<Alert>) {
        if self.units.is_empty() {
            return;
        }
        let time = event_time_ms(&event.value).unwrap_or_else(|| self.clock.unwrap_or(0));
        let clock = self.clock.map_or(time, |c| c.max(time));
        self.clock = Some(clock);
        let mut signals = Vec::new();
        if clock >= self.next_sweep {
            self.sweep(clock, alerts, &mut signals);
        }
        let mut inputs: Vec<(usize, usize)> = matched
            .iter()
            .filter_map(|&rule| self.rule_inputs.get(rule))
            .flatten()
            .copied()
            .collect();
        if inputs.is_empty() && signals.is_empty() {
            return;
        }
        inputs.sort_unstable();
        inputs.dedup();
        let origin = SavedOrigin::from(&event.origin);
        let mut next = 0;
        for unit in 0..self.units.len() {
            let begin = next;
            while next < inputs.len() && inputs[next].0 == unit {
                next += 1;
            }
            if next > begin {
                let positions: Vec<usize> = inputs[begin..next].iter().map(|i| i.1).collect();
                let origin = Some(origin.clone());
                self.feed(
                    unit,
                    &event.value,
                    &positions,
                    time,
                    origin,
                    alerts,
                    &mut signals,
                );
            }
            self.feed_signals(unit, alerts, &mut signals);
        }
    }

    /// Judges every window still open whose condition needs a finished
    /// window (`lt`, `lte`, `eq`, `neq`): call it when the input ends.
    pub fn finish(&mut self, alerts: &mut Vec<Alert>) {
        let mut signals = Vec::new();
        for unit in 0..self.units.len() {
            self.feed_signals(unit, alerts, &mut signals);
            self.sweep_unit(unit, None, alerts, &mut signals);
        }
    }

    fn feed_signals(&mut self, unit: usize, alerts: &mut Vec<Alert>, signals: &mut Vec<Signal>) {
        if !signals.iter().any(|s| s.unit == unit) {
            return;
        }
        let (mine, rest): (Vec<Signal>, Vec<Signal>) = std::mem::take(signals)
            .into_iter()
            .partition(|s| s.unit == unit);
        *signals = rest;
        for signal in mine {
            let positions = [signal.position];
            self.feed(
                unit,
                &signal.event,
                &positions,
                signal.time,
                signal.origin,
                alerts,
                signals,
            );
        }
    }

    /// Closes and expires the windows the clock has left behind.
    fn sweep(&mut self, clock: i64, alerts: &mut Vec<Alert>, signals: &mut Vec<Signal>) {
        for unit in 0..self.units.len() {
            if clock >= self.units[unit].next_sweep() {
                self.sweep_unit(unit, Some(clock), alerts, signals);
            }
        }
        self.next_sweep = self
            .units
            .iter()
            .map(Unit::next_sweep)
            .min()
            .unwrap_or(i64::MAX);
    }

    /// At `clock`, or at the end of the input when `None`.
    fn sweep_unit(
        &mut self,
        unit: usize,
        clock: Option<i64>,
        alerts: &mut Vec<Alert>,
        signals: &mut Vec<Signal>,
    ) {
        let u = &mut self.units[unit];
        let span = u.def.timespan_ms;
        if let Some(clock) = clock {
            u.last_sweep = Some(clock);
        }
        if !u.closes {
            if let Some(clock) = clock {
                u.groups
                    .retain(|_, group| group.newest.saturating_add(span) >= clock);
            }
            return;
        }
        let ended: Vec<String> = u
            .groups
            .iter()
            .filter(|(_, group)| clock.is_none_or(|c| group.start.saturating_add(span) < c))
            .map(|(key, _)| key.clone())
            .collect();
        let mut fired = Vec::new();
        for key in ended {
            if let Some(group) = u.groups.remove(&key) {
                fired.extend(judge_closed(&u.def, key, group));
            }
        }
        // In time order, and the same order on every run.
        fired.sort_by(|a, b| (a.last, &a.key).cmp(&(b.last, &b.key)));
        for f in fired {
            self.fire(unit, f, alerts, signals);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn feed(
        &mut self,
        unit: usize,
        event: &Value,
        positions: &[usize],
        time: i64,
        origin: Option<SavedOrigin>,
        alerts: &mut Vec<Alert>,
        signals: &mut Vec<Signal>,
    ) {
        let u = &self.units[unit];
        let value = if u.def.kind == CorrelationType::ValueCount {
            match value_text(event, &u.def.value_fields) {
                Some(value) => Some(value),
                None => {
                    self.stats.ungrouped_events += 1;
                    return;
                }
            }
        } else {
            None
        };
        // One event may reach a correlation through several of its rules,
        // and through aliases land in several groups: once per group.
        let mut keyed: Vec<(String, Vec<usize>)> = Vec::new();
        for &position in positions {
            let Some(values) = group_values(event, &u.group_fields[position]) else {
                self.stats.ungrouped_events += 1;
                continue;
            };
            let key = Value::Array(values).to_string();
            match keyed.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => list.push(position),
                None => keyed.push((key, vec![position])),
            }
        }
        for (key, positions) in keyed {
            let entry = Entry {
                event,
                positions: &positions,
                time,
                value: value.as_deref(),
                origin: origin.clone(),
            };
            self.apply(unit, key, entry, alerts, signals);
        }
    }

    fn apply(
        &mut self,
        unit: usize,
        key: String,
        entry: Entry,
        alerts: &mut Vec<Alert>,
        signals: &mut Vec<Signal>,
    ) {
        let (full, clock) = {
            let u = &self.units[unit];
            (
                !u.groups.contains_key(&key) && u.groups.len() >= self.max_groups,
                self.clock.unwrap_or(entry.time),
            )
        };
        if full {
            self.make_room(unit, clock, alerts, signals);
        }
        let u = &mut self.units[unit];
        let def = &u.def;
        let span = def.timespan_ms;
        let time = entry.time;
        let fresh = |time| Group {
            window: Window::new(def.kind, def.rules.len()),
            newest: time,
            start: time,
            silent_until: None,
            last_origin: None,
        };
        let group = u.groups.entry(key.clone()).or_insert_with(|| fresh(time));
        let mut fired = None;
        if u.closes {
            if time > group.start.saturating_add(span) {
                let ended = std::mem::replace(group, fresh(time));
                fired = judge_closed(def, key, ended);
            }
            group
                .window
                .record(entry.positions, time, entry.value, u.entries_needed);
            group.newest = group.newest.max(time);
            group.last_origin = entry.origin;
        } else {
            if time < group.newest.saturating_sub(span) {
                self.stats.late_events += 1;
                return;
            }
            group.newest = group.newest.max(time);
            group
                .window
                .record(entry.positions, time, entry.value, u.entries_needed);
            let since = group.newest.saturating_sub(span);
            group.window.prune(since);
            let silent = group
                .silent_until
                .is_some_and(|until| group.newest <= until);
            let count = group.window.count(since);
            if !silent && def.condition.holds(count) {
                group.silent_until = Some(group.newest.saturating_add(span));
                fired = Some(Fired {
                    key,
                    count,
                    first: group.window.first_time(since).unwrap_or(time),
                    last: group.newest,
                    rules_seen: group.window.rules_seen(since),
                    values: group.window.sample_values(since),
                    origin: entry.origin,
                    event: (!u.downstream.is_empty()).then(|| entry.event.clone()),
                });
            }
        }
        if let Some(fired) = fired {
            self.fire(unit, fired, alerts, signals);
        }
    }

    /// Frees a slot for a new group: what has expired, else the oldest.
    fn make_room(
        &mut self,
        unit: usize,
        clock: i64,
        alerts: &mut Vec<Alert>,
        signals: &mut Vec<Signal>,
    ) {
        self.sweep_unit(unit, Some(clock), alerts, signals);
        let max_groups = self.max_groups;
        let u = &mut self.units[unit];
        if u.groups.len() < max_groups {
            return;
        }
        // A sixteenth at a time, so that a flood of new groups costs one
        // sort per many insertions.
        let drop = u.groups.len() / 16 + 1;
        let closes = u.closes;
        let mut by_age: Vec<(i64, String)> = u
            .groups
            .iter()
            .map(|(key, g)| (if closes { g.start } else { g.newest }, key.clone()))
            .collect();
        by_age.sort_unstable();
        for (_, key) in by_age.into_iter().take(drop) {
            u.groups.remove(&key);
        }
        self.stats.groups_dropped += drop as u64;
    }

    fn fire(
        &mut self,
        unit: usize,
        fired: Fired,
        alerts: &mut Vec<Alert>,
        signals: &mut Vec<Signal>,
    ) {
        let u = &self.units[unit];
        let def = &u.def;
        let values: Vec<Value> = serde_json::from_str(&fired.key).unwrap_or_default();
        let group: Map<String, Value> = def.group_by.iter().cloned().zip(values).collect();
        if !u.downstream.is_empty() {
            // The completing event, with the group-by values (alias names
            // included) as literal fields: an outer correlation may group
            // by its own fields, as the specification's chains do.
            let mut event = match fired.event {
                Some(Value::Object(fields)) => fields,
                _ => Map::new(),
            };
            event.extend(group.clone());
            let event = Value::Object(event);
            for &(downstream, position) in &u.downstream {
                signals.push(Signal {
                    unit: downstream,
                    position,
                    event: event.clone(),
                    time: fired.last,
                    origin: fired.origin.clone(),
                });
            }
        }
        if !u.alerts_alone {
            return;
        }
        let mut facts = Map::new();
        facts.insert("correlation".into(), json!(def.kind.as_str()));
        facts.insert("group".into(), Value::Object(group));
        facts.insert("count".into(), json!(fired.count));
        facts.insert("condition".into(), json!(def.condition.text()));
        facts.insert("timespan".into(), json!(def.timespan));
        facts.insert("first_time".into(), json!(format_time_ms(fired.first)));
        facts.insert("last_time".into(), json!(format_time_ms(fired.last)));
        let rules: Vec<&String> = match &fired.rules_seen {
            Some(positions) => positions.iter().filter_map(|&p| def.rules.get(p)).collect(),
            None => def.rules.iter().collect(),
        };
        facts.insert("rules".into(), json!(rules));
        if def.kind == CorrelationType::ValueCount {
            facts.insert("field".into(), json!(def.value_fields.join(", ")));
            facts.insert("values".into(), json!(fired.values));
        }
        alerts.push(Alert {
            kind: AlertKind::Correlation,
            rule_id: def.alert_id(),
            title: def.title.clone(),
            title_zh: def.title_zh.clone(),
            severity: severity_of_level(def.level.as_deref()),
            tags: def.tags.clone(),
            guide: def.guide.clone(),
            time: Some(format_time_ms(fired.last)),
            facts,
            origin: fired.origin.map(|o| AlertOrigin {
                file: o.file,
                line: o.line,
                index: o.index,
            }),
        });
    }

    /// Each correlation's key in the saved state: its alert id, numbered
    /// from the second on when several share one (untitled copies).
    fn state_keys(&self) -> Vec<String> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        self.units
            .iter()
            .map(|unit| {
                let id = unit.def.alert_id();
                let count = seen.entry(id.clone()).or_insert(0);
                *count += 1;
                match *count {
                    1 => id,
                    n => format!("{id}#{n}"),
                }
            })
            .collect()
    }

    /// The windows, as JSON, for the state store. Correlations are keyed by
    /// their alert id; a definition changed since (rules, group-by,
    /// timespan, condition) starts afresh on [`Correlator::restore`].
    pub fn save(&self) -> Value {
        let mut saved = Map::new();
        for (unit, key) in self.units.iter().zip(self.state_keys()) {
            saved.insert(
                key,
                json!({
                    "definition": unit.fingerprint(),
                    "last_sweep": unit.last_sweep,
                    "groups": unit.groups,
                }),
            );
        }
        json!({
            "version": STATE_VERSION,
            "clock": self.clock,
            "correlations": saved,
        })
    }

    /// Takes back what [`Correlator::save`] wrote. Nothing changes when the
    /// state cannot be read (the error says why).
    pub fn restore(&mut self, state: &Value) -> Result<(), String> {
        if state.get("version").and_then(Value::as_u64) != Some(STATE_VERSION) {
            return Err(format!("correlation state is not version {STATE_VERSION}"));
        }
        let clock = match state.get("clock") {
            None | Some(Value::Null) => None,
            Some(value) => Some(
                value
                    .as_i64()
                    .ok_or("correlation state: clock is not a time")?,
            ),
        };
        let saved = state
            .get("correlations")
            .and_then(Value::as_object)
            .ok_or("correlation state: no correlations")?;
        let mut restored = Vec::new();
        for ((index, unit), id) in self.units.iter().enumerate().zip(self.state_keys()) {
            let Some(entry) = saved.get(&id) else {
                continue;
            };
            if entry.get("definition").and_then(Value::as_str) != Some(&unit.fingerprint()) {
                continue;
            }
            let groups: HashMap<String, Group> =
                serde_json::from_value(entry.get("groups").cloned().unwrap_or(Value::Null))
                    .map_err(|e| format!("correlation state of {id}: {e}"))?;
            if groups
                .values()
                .any(|g| !g.window.fits(unit.def.kind, unit.def.rules.len()))
            {
                return Err(format!(
                    "correlation state of {id}: windows of another kind"
                ));
            }
            let last_sweep = entry.get("last_sweep").and_then(Value::as_i64);
            restored.push((index, groups, last_sweep));
        }
        for (index, groups, last_sweep) in restored {
            self.units[index].groups = groups;
            self.units[index].last_sweep = last_sweep;
        }
        self.clock = clock;
        self.next_sweep = self
            .units
            .iter()
            .map(Unit::next_sweep)
            .min()
            .unwrap_or(i64::MAX);
        Ok(())
    }
}

/// One event's contribution to one group.
struct Entry<'a> {
    event: &'a Value,
    positions: &'a [usize],
    time: i64,
    value: Option<&'a str>,
    origin: Option<SavedOrigin>,
}

fn judge_closed(def: &Correlation, key: String, group: Group) -> Option<Fired> {
    let count = group.window.count(i64::MIN);
    def.condition.holds(count).then(|| Fired {
        key,
        count,
        first: group.window.first_time(i64::MIN).unwrap_or(group.start),
        last: group.newest,
        rules_seen: group.window.rules_seen(i64::MIN),
        values: group.window.sample_values(i64::MIN),
        origin: group.last_origin,
        event: None,
    })
}

/// The first non-null value of each field; `None` when one is missing.
fn group_values(event: &Value, fields: &[String]) -> Option<Vec<Value>> {
    fields
        .iter()
        .map(|field| {
            let mut found = None;
            any_at(event, field, &mut |value| {
                if value.is_null() {
                    return false;
                }
                found = Some(value.clone());
                true
            });
            found
        })
        .collect()
}

/// The counted value: a string as itself, anything else as JSON; several
/// fields as the JSON list of their values.
fn value_text(event: &Value, fields: &[String]) -> Option<String> {
    let mut values = group_values(event, fields)?;
    if values.len() == 1 {
        return Some(match values.remove(0) {
            Value::String(text) => text,
            other => other.to_string(),
        });
    }
    Some(Value::Array(values).to_string())
}

/// Correlations in an order where each comes after those it refers to.
fn inner_first(
    correlations: &[Correlation],
    targets: &[Vec<Target>],
) -> Result<Vec<usize>, RuleError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Visiting,
        Done,
    }
    fn visit(
        index: usize,
        correlations: &[Correlation],
        targets: &[Vec<Target>],
        marks: &mut [Mark],
        order: &mut Vec<usize>,
    ) -> Result<(), RuleError> {
        match marks[index] {
            Mark::Done => return Ok(()),
            Mark::Visiting => {
                return Err(invalid(
                    &correlations[index],
                    "correlations refer to each other in a loop".to_string(),
                ))
            }
            Mark::New => {}
        }
        marks[index] = Mark::Visiting;
        for target in &targets[index] {
            if let Target::Correlation(inner) = *target {
                visit(inner, correlations, targets, marks, order)?;
            }
        }
        marks[index] = Mark::Done;
        order.push(index);
        Ok(())
    }
    let mut marks = vec![Mark::New; correlations.len()];
    let mut order = Vec::new();
    for index in 0..correlations.len() {
        visit(index, correlations, targets, &mut marks, &mut order)?;
    }
    Ok(order)
}
