//! The `condition` expression: parsed once into a tree over selection indices.

use serde_json::Value;

use super::matcher::Selection;
use super::Problem;

#[derive(Debug)]
pub(crate) enum Condition {
    Selection(usize),
    Not(Box<Condition>),
    And(Vec<Condition>),
    Or(Vec<Condition>),
}

impl Condition {
    pub(crate) fn matches(&self, selections: &[Selection], event: &Value) -> bool {
        match self {
            Condition::Selection(index) => selections[*index].matches(event),
            Condition::Not(inner) => !inner.matches(selections, event),
            Condition::And(parts) => parts.iter().all(|p| p.matches(selections, event)),
            Condition::Or(parts) => parts.iter().any(|p| p.matches(selections, event)),
        }
    }

    /// Lowercased literals one of which `field` equals whenever this condition
    /// holds; `None` when some branch can match without such a literal.
    pub(crate) fn required_values(
        &self,
        selections: &[Selection],
        field: &str,
    ) -> Option<Vec<String>> {
        match self {
            Condition::Selection(index) => selections[*index].required_values(field),
            Condition::Not(_) => None,
            Condition::And(parts) => parts
                .iter()
                .filter_map(|p| p.required_values(selections, field))
                .min_by_key(Vec::len),
            Condition::Or(parts) => {
                let mut values = Vec::new();
                for part in parts {
                    values.extend(part.required_values(selections, field)?);
                }
                Some(values)
            }
        }
    }
}

#[derive(Debug, PartialEq)]
enum Token<'a> {
    Open,
    Close,
    And,
    Or,
    Not,
    OneOf,
    AllOf,
    Name(&'a str),
}

fn tokenize(text: &str) -> Result<Vec<Token<'_>>, Problem> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c == '(' || c == ')' || c.is_whitespace() {
            if let Some(s) = start.take() {
                words.push(&text[s..i]);
            }
            if !c.is_whitespace() {
                words.push(&text[i..i + 1]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        words.push(&text[s..]);
    }
    let mut tokens = Vec::new();
    let mut words = words.into_iter().peekable();
    while let Some(word) = words.next() {
        let token = match word.to_ascii_lowercase().as_str() {
            "(" => Token::Open,
            ")" => Token::Close,
            "and" => Token::And,
            "or" => Token::Or,
            "not" => Token::Not,
            "near" => return Err(Problem::unsupported("condition `near`")),
            quantifier @ ("1" | "all")
                if words.peek().is_some_and(|w| w.eq_ignore_ascii_case("of")) =>
            {
                words.next();
                if quantifier == "1" {
                    Token::OneOf
                } else {
                    Token::AllOf
                }
            }
            _ if word.contains('|') => {
                return Err(Problem::unsupported("aggregation `|` in the condition"))
            }
            _ if word.chars().all(|c| c.is_ascii_digit()) => {
                return Err(Problem::unsupported(format!("condition `{word} of`")))
            }
            _ => Token::Name(word),
        };
        tokens.push(token);
    }
    Ok(tokens)
}

pub(crate) fn parse(text: &str, names: &[String]) -> Result<Condition, Problem> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        names,
        depth: 0,
    };
    let condition = parser.or()?;
    if parser.at != tokens.len() {
        return Err(Problem::invalid(
            "condition",
            format!("unexpected token in `{text}`"),
        ));
    }
    Ok(condition)
}

struct Parser<'t, 'a> {
    tokens: &'t [Token<'a>],
    at: usize,
    names: &'t [String],
    /// Nesting of `not` and parentheses, bounded so that a hostile condition
    /// cannot exhaust the stack.
    depth: usize,
}

const MAX_DEPTH: usize = 64;

impl Parser<'_, '_> {
    fn next_is(&mut self, token: &Token) -> bool {
        let found = self.tokens.get(self.at) == Some(token);
        if found {
            self.at += 1;
        }
        found
    }

    fn or(&mut self) -> Result<Condition, Problem> {
        let mut parts = vec![self.and()?];
        while self.next_is(&Token::Or) {
            parts.push(self.and()?);
        }
        Ok(flatten(parts, Condition::Or))
    }

    fn and(&mut self) -> Result<Condition, Problem> {
        let mut parts = vec![self.not()?];
        while self.next_is(&Token::And) {
            parts.push(self.not()?);
        }
        Ok(flatten(parts, Condition::And))
    }

    fn not(&mut self) -> Result<Condition, Problem> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Problem::invalid(
                "condition",
                format!("nested deeper than {MAX_DEPTH}"),
            ));
        }
        let result = if self.next_is(&Token::Not) {
            self.not().map(|inner| Condition::Not(Box::new(inner)))
        } else {
            self.primary()
        };
        self.depth -= 1;
        result
    }

    fn primary(&mut self) -> Result<Condition, Problem> {
        let token = self.tokens.get(self.at);
        self.at += 1;
        match token {
            Some(Token::Open) => {
                let inner = self.or()?;
                if !self.next_is(&Token::Close) {
                    return Err(Problem::invalid("condition", "missing `)`".to_string()));
                }
                Ok(inner)
            }
            Some(quantifier @ (Token::OneOf | Token::AllOf)) => {
                let Some(Token::Name(pattern)) = self.tokens.get(self.at) else {
                    return Err(Problem::invalid(
                        "condition",
                        "`of` needs a name pattern or `them`".to_string(),
                    ));
                };
                self.at += 1;
                let chosen: Vec<Condition> = self
                    .names
                    .iter()
                    .enumerate()
                    .filter(|(_, name)| {
                        if *pattern == "them" {
                            !name.starts_with('_')
                        } else {
                            glob_matches(pattern, name)
                        }
                    })
                    .map(|(index, _)| Condition::Selection(index))
                    .collect();
                if chosen.is_empty() {
                    return Err(Problem::invalid(
                        "condition",
                        format!("no selection matches `{pattern}`"),
                    ));
                }
                Ok(match quantifier {
                    Token::OneOf => flatten(chosen, Condition::Or),
                    _ => flatten(chosen, Condition::And),
                })
            }
            Some(Token::Name(name)) => self
                .names
                .iter()
                .position(|known| known == name)
                .map(Condition::Selection)
                .ok_or_else(|| {
                    Problem::invalid("condition", format!("unknown selection `{name}`"))
                }),
            _ => Err(Problem::invalid(
                "condition",
                "incomplete expression".to_string(),
            )),
        }
    }
}

fn flatten(mut parts: Vec<Condition>, combine: fn(Vec<Condition>) -> Condition) -> Condition {
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        combine(parts)
    }
}

/// `*` in a selection-name pattern stands for any run of characters.
/// Greedy with one backtrack point, so linear in practice whatever the pattern.
fn glob_matches(pattern: &str, name: &str) -> bool {
    let (pattern, name): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), name.chars().collect());
    let (mut p, mut n) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() && pattern[p] == '*' {
            backtrack = Some((p, n));
            p += 1;
        } else if p < pattern.len() && pattern[p] == name[n] {
            p += 1;
            n += 1;
        } else if let Some((star, matched)) = backtrack {
            p = star + 1;
            n = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches("filter_*", "filter_main_x"));
        assert!(glob_matches("*_main_*", "filter_main_x"));
        assert!(glob_matches("a*b*c", "aXXbYYbc"));
        assert!(!glob_matches("a*b*c", "aXXbYYb"));
        assert!(glob_matches("sel", "sel"));
        assert!(!glob_matches("sel", "sel2"));
        assert!(glob_matches("*", ""));
        assert!(!glob_matches(&"*a".repeat(50), &"a".repeat(40)));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let names = ["a".to_string()];
        let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse(&deep, &names).is_err());
        assert!(parse(&"not ".repeat(100_000), &names).is_err());
        assert!(parse("((not a))", &names).is_ok());
    }
}
