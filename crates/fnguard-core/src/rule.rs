use crate::severity::Severity;
use crate::text::Lang;
use serde::Serialize;

/// Area codes of rule ids (`FG-<AREA>-NNN`), from ARCHITECTURE.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Area {
    Iam,
    Trig,
    Sec,
    Dep,
    Sup,
    Sast,
    Sign,
    Net,
    Api,
    Log,
    Mon,
    Rt,
    Path,
}

impl Area {
    pub fn code(self) -> &'static str {
        match self {
            Area::Iam => "IAM",
            Area::Trig => "TRIG",
            Area::Sec => "SEC",
            Area::Dep => "DEP",
            Area::Sup => "SUP",
            Area::Sast => "SAST",
            Area::Sign => "SIGN",
            Area::Net => "NET",
            Area::Api => "API",
            Area::Log => "LOG",
            Area::Mon => "MON",
            Area::Rt => "RT",
            Area::Path => "PATH",
        }
    }
}

/// Everything a user needs to understand and fix what a rule reports, in
/// both languages. Rule metadata is static data compiled into the binary;
/// a test in each rule crate checks it is complete and ids are unique.
#[derive(Debug, Clone, Serialize)]
pub struct RuleMeta {
    /// Stable id such as `FG-IAM-001`; never reused.
    pub id: &'static str,
    pub area: Area,
    pub severity: Severity,
    /// Guide section(s), e.g. `3.1.1`.
    pub guide: &'static [&'static str],
    /// MITRE ATT&CK technique ids, e.g. `T1078.004`.
    pub attack: &'static [&'static str],
    pub title_en: &'static str,
    pub title_zh: &'static str,
    pub description_en: &'static str,
    pub description_zh: &'static str,
    pub risk_en: &'static str,
    pub risk_zh: &'static str,
    pub remediation_en: &'static str,
    pub remediation_zh: &'static str,
    pub references: &'static [&'static str],
}

impl RuleMeta {
    pub fn title(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.title_en,
            Lang::Zh => self.title_zh,
        }
    }

    pub fn description(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.description_en,
            Lang::Zh => self.description_zh,
        }
    }

    pub fn risk(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.risk_en,
            Lang::Zh => self.risk_zh,
        }
    }

    pub fn remediation(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.remediation_en,
            Lang::Zh => self.remediation_zh,
        }
    }

    /// Problems with this rule's metadata (empty text, malformed id, id not
    /// matching the area). Used by the registry tests of every rule crate.
    pub fn lint(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let expected_prefix = format!("FG-{}-", self.area.code());
        let digits = self.id.strip_prefix(&expected_prefix);
        if !digits.is_some_and(|d| d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit())) {
            problems.push(format!(
                "{}: id must look like {expected_prefix}NNN",
                self.id
            ));
        }
        for (name, value) in [
            ("title_en", self.title_en),
            ("title_zh", self.title_zh),
            ("description_en", self.description_en),
            ("description_zh", self.description_zh),
            ("risk_en", self.risk_en),
            ("risk_zh", self.risk_zh),
            ("remediation_en", self.remediation_en),
            ("remediation_zh", self.remediation_zh),
        ] {
            if value.trim().is_empty() {
                problems.push(format!("{}: {name} is empty", self.id));
            }
        }
        for (name, value) in [
            ("title_zh", self.title_zh),
            ("description_zh", self.description_zh),
            ("remediation_zh", self.remediation_zh),
        ] {
            if !value
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            {
                problems.push(format!("{}: {name} has no Chinese text", self.id));
            }
        }
        if self.guide.is_empty() {
            problems.push(format!("{}: no guide section", self.id));
        }
        if self.attack.is_empty() {
            problems.push(format!("{}: no ATT&CK technique", self.id));
        }
        for technique in self.attack {
            let valid = technique.strip_prefix('T').is_some_and(|rest| {
                let (base, sub) = rest.split_once('.').unwrap_or((rest, "000"));
                base.len() == 4
                    && sub.len() == 3
                    && base.bytes().chain(sub.bytes()).all(|b| b.is_ascii_digit())
            });
            if !valid {
                problems.push(format!("{}: bad ATT&CK id {technique}", self.id));
            }
        }
        if self.references.is_empty() {
            problems.push(format!("{}: no reference", self.id));
        }
        problems
    }
}
