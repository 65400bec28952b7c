use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Output language. English is the default; Chinese comes from the same
/// rule metadata, so both are always complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "en" | "english" => Ok(Lang::En),
            "zh" | "zh-cn" | "cn" | "chinese" => Ok(Lang::Zh),
            _ => Err(format!("unknown language `{s}` (expected en or zh)")),
        }
    }
}

/// A message in both languages. Dynamic messages (naming a function or a
/// variable) are built in both at creation so that `--lang zh` never falls
/// back to English.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Text {
    pub en: String,
    pub zh: String,
}

impl Text {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Text {
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// Free the text in the language that will not be shown, and the slack
    /// `format!` left in the other (it sizes for twice the literal parts).
    pub fn keep_only(&mut self, lang: Lang) {
        let (kept, unused) = match lang {
            Lang::En => (&mut self.en, &mut self.zh),
            Lang::Zh => (&mut self.zh, &mut self.en),
        };
        *unused = String::new();
        kept.shrink_to_fit();
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}
