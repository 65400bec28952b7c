//! Tri-state values of the normalized model.

use crate::location::Loc;

/// A setting as the scanned input determines it.
///
/// * `Absent`: the input does not set it (the platform default applies).
/// * `Unknown`: the input sets it to something fnguard cannot evaluate
///   offline (an import, an external variable, `${env:...}`). Checks must not
///   report a finding that depends on an unknown value.
/// * `Known`: the value and where it was written.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Field<T> {
    #[default]
    Absent,
    Unknown(Loc),
    Known(T, Loc),
}

impl<T> Field<T> {
    pub fn known(value: T, loc: Loc) -> Self {
        Field::Known(value, loc)
    }

    pub fn value(&self) -> Option<&T> {
        match self {
            Field::Known(v, _) => Some(v),
            _ => None,
        }
    }

    pub fn loc(&self) -> Option<Loc> {
        match self {
            Field::Known(_, loc) | Field::Unknown(loc) => Some(*loc),
            Field::Absent => None,
        }
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Field::Unknown(_))
    }

    pub fn is_known(&self) -> bool {
        matches!(self, Field::Known(..))
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Field::Absent => Field::Absent,
            Field::Unknown(loc) => Field::Unknown(loc),
            Field::Known(v, loc) => Field::Known(f(v), loc),
        }
    }

    pub fn as_ref(&self) -> Field<&T> {
        match self {
            Field::Absent => Field::Absent,
            Field::Unknown(loc) => Field::Unknown(*loc),
            Field::Known(v, loc) => Field::Known(v, *loc),
        }
    }
}

impl Field<String> {
    pub fn as_deref(&self) -> Option<&str> {
        self.value().map(String::as_str)
    }

    /// True only when the value is known and equals `expected` ignoring
    /// ASCII case.
    pub fn eq_ignore_case(&self, expected: &str) -> bool {
        self.as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case(expected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tri_state() {
        let loc = Loc::new(0, 3, 5);
        let known = Field::known("NONE".to_string(), loc);
        assert!(known.eq_ignore_case("none"));
        assert_eq!(known.loc(), Some(loc));
        let unknown: Field<String> = Field::Unknown(loc);
        assert!(!unknown.eq_ignore_case("NONE"));
        assert!(Field::<String>::Absent.loc().is_none());
        assert_eq!(known.map(|s| s.len()).value(), Some(&4));
    }
}
