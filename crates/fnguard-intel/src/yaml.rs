//! A YAML tree that keeps each node's position. `yaml-rust2`'s own tree
//! drops positions, and an error in the knowledge base must name the line
//! and column of the bad value.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// `plain` is false for quoted and block scalars: only plain scalars
    /// may be booleans.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    /// 1-based line and column.
    pub line: usize,
    pub col: usize,
}

impl Node {
    /// The value under `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.value, Value::Scalar { text, .. } if text == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// A syntax or structure error: position and message.
#[derive(Debug)]
pub(crate) struct YamlError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

struct Frame {
    node: Node,
    pending_key: Option<Node>,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    documents: Vec<Node>,
    error: Option<YamlError>,
}

impl Builder {
    fn attach(&mut self, node: Node) {
        let Some(frame) = self.stack.last_mut() else {
            self.documents.push(node);
            return;
        };
        match &mut frame.node.value {
            Value::Seq(items) => items.push(node),
            Value::Map(entries) => match frame.pending_key.take() {
                Some(key) => entries.push((key, node)),
                None => {
                    if !matches!(node.value, Value::Scalar { .. }) && self.error.is_none() {
                        self.error = Some(YamlError {
                            line: node.line,
                            col: node.col,
                            message: "mapping keys must be plain strings".into(),
                        });
                    }
                    frame.pending_key = Some(node);
                }
            },
            Value::Scalar { .. } => {}
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let (line, col) = (mark.line(), mark.col() + 1);
        let open = |value| Frame {
            node: Node { value, line, col },
            pending_key: None,
        };
        match event {
            Event::Scalar(text, style, _, _) => self.attach(Node {
                value: Value::Scalar {
                    text,
                    plain: style == TScalarStyle::Plain,
                },
                line,
                col,
            }),
            Event::SequenceStart(..) => self.stack.push(open(Value::Seq(Vec::new()))),
            Event::MappingStart(..) => self.stack.push(open(Value::Map(Vec::new()))),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(frame) = self.stack.pop() {
                    self.attach(frame.node);
                }
            }
            Event::Alias(_) if self.error.is_none() => {
                self.error = Some(YamlError {
                    line,
                    col,
                    message: "aliases are not supported".into(),
                });
            }
            _ => {}
        }
    }
}

/// Parse the first document of `text`.
pub(crate) fn parse(text: &str) -> Result<Option<Node>, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| YamlError {
        line: e.marker().line(),
        col: e.marker().col() + 1,
        message: e.info().to_string(),
    })?;
    if let Some(error) = builder.error {
        return Err(error);
    }
    Ok(builder.documents.into_iter().next())
}
