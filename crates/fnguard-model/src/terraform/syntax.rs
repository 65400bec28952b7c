//! The HCL syntax tree the evaluator reads: only what evaluation needs
//! (no comments, whitespace or formatting), each node with the byte offset
//! where it starts for its location. The fast reader (`fast`) builds it
//! directly; anything else goes through hcl-edit and [`Body::from_hcl`].

use std::borrow::Cow;

use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{self, Structure};
use hcl_edit::template::{Element, Template};
use hcl_edit::Span;

/// Byte offset where a node starts; `None` where hcl-edit keeps no span (a
/// one-line block body), which locates it nowhere.
pub(crate) type Start = Option<usize>;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Body<'a> {
    pub start: Start,
    pub items: Vec<Item<'a>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item<'a> {
    Attr(Attr<'a>),
    Block(Block<'a>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attr<'a> {
    pub key: Cow<'a, str>,
    pub value: Expr<'a>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block<'a> {
    pub start: Start,
    pub ident: Cow<'a, str>,
    pub labels: Vec<Cow<'a, str>>,
    pub body: Body<'a>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr<'a> {
    pub start: Start,
    pub kind: ExprKind<'a>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprKind<'a> {
    Null,
    Bool(bool),
    /// As hcl-edit prints the number (`1`, `1.5`).
    Number(String),
    /// A quoted string without interpolation, escapes resolved.
    Str(Cow<'a, str>),
    Array(Vec<Expr<'a>>),
    Object(Vec<(ObjectKeyExpr<'a>, Expr<'a>)>),
    /// A quoted string template with interpolation.
    StringTemplate(Vec<Part<'a>>),
    Heredoc(Vec<Part<'a>>),
    Parenthesis(Box<Expr<'a>>),
    Variable(Cow<'a, str>),
    Conditional(Box<[Expr<'a>; 3]>),
    Call {
        name: Cow<'a, str>,
        namespaced: bool,
        args: Vec<Expr<'a>>,
    },
    Traversal {
        root: Box<Expr<'a>>,
        ops: Vec<Op<'a>>,
    },
    Binary(BinOp, Box<[Expr<'a>; 2]>),
    Not(Box<Expr<'a>>),
    /// Any other unary operation (`-x`).
    Unary(Box<Expr<'a>>),
    For,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum BinOp {
    Eq,
    NotEq,
    And,
    Or,
    /// Arithmetic and comparisons: never evaluated.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ObjectKeyExpr<'a> {
    Ident(Cow<'a, str>),
    Expr(Expr<'a>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part<'a> {
    Literal(Cow<'a, str>),
    Interpolation(Expr<'a>),
    Directive,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op<'a> {
    GetAttr(Cow<'a, str>),
    Index(Expr<'a>),
    LegacyIndex(u64),
    Splat,
}

impl<'a> Body<'a> {
    /// The first attribute named `key`.
    pub fn get_attribute(&self, key: &str) -> Option<&Attr<'a>> {
        self.attributes().find(|a| a.key == key)
    }

    pub fn attributes(&self) -> impl Iterator<Item = &Attr<'a>> {
        self.items.iter().filter_map(|item| match item {
            Item::Attr(a) => Some(a),
            Item::Block(_) => None,
        })
    }

    pub fn from_hcl(body: &structure::Body) -> Body<'static> {
        Body {
            start: start_of(body),
            items: body
                .iter()
                .map(|s| match s {
                    Structure::Attribute(a) => Item::Attr(Attr {
                        key: a.key.as_str().to_string().into(),
                        value: Expr::from_hcl(&a.value),
                    }),
                    Structure::Block(b) => Item::Block(Block {
                        start: start_of(b),
                        ident: b.ident.as_str().to_string().into(),
                        labels: b
                            .labels
                            .iter()
                            .map(|l| l.as_str().to_string().into())
                            .collect(),
                        body: Body::from_hcl(&b.body),
                    }),
                })
                .collect(),
        }
    }
}

impl Expr<'_> {
    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            ExprKind::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn from_hcl(e: &Expression) -> Expr<'static> {
        let kind = match e {
            Expression::Null(_) => ExprKind::Null,
            Expression::Bool(b) => ExprKind::Bool(*b.value()),
            Expression::Number(n) => ExprKind::Number(n.value().to_string()),
            Expression::String(s) => ExprKind::Str(s.value().to_string().into()),
            Expression::Array(items) => ExprKind::Array(items.iter().map(Expr::from_hcl).collect()),
            Expression::Object(obj) => ExprKind::Object(
                obj.iter()
                    .map(|(key, value)| {
                        let key = match key {
                            ObjectKey::Ident(ident) => {
                                ObjectKeyExpr::Ident(ident.as_str().to_string().into())
                            }
                            ObjectKey::Expression(k) => ObjectKeyExpr::Expr(Expr::from_hcl(k)),
                        };
                        (key, Expr::from_hcl(value.expr()))
                    })
                    .collect(),
            ),
            Expression::StringTemplate(t) => ExprKind::StringTemplate(parts(t)),
            Expression::HeredocTemplate(h) => ExprKind::Heredoc(parts(&h.template)),
            Expression::Parenthesis(p) => {
                ExprKind::Parenthesis(Box::new(Expr::from_hcl(p.inner())))
            }
            Expression::Variable(v) => ExprKind::Variable(v.as_str().to_string().into()),
            Expression::Conditional(c) => ExprKind::Conditional(Box::new([
                Expr::from_hcl(&c.cond_expr),
                Expr::from_hcl(&c.true_expr),
                Expr::from_hcl(&c.false_expr),
            ])),
            Expression::FuncCall(call) => ExprKind::Call {
                name: call.name.name.as_str().to_string().into(),
                namespaced: call.name.is_namespaced(),
                args: call.args.iter().map(Expr::from_hcl).collect(),
            },
            Expression::Traversal(t) => ExprKind::Traversal {
                root: Box::new(Expr::from_hcl(&t.expr)),
                ops: t
                    .operators
                    .iter()
                    .map(|op| match op.value() {
                        TraversalOperator::GetAttr(ident) => {
                            Op::GetAttr(ident.as_str().to_string().into())
                        }
                        TraversalOperator::Index(index) => Op::Index(Expr::from_hcl(index)),
                        TraversalOperator::LegacyIndex(i) => Op::LegacyIndex(*i.value()),
                        TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                            Op::Splat
                        }
                    })
                    .collect(),
            },
            Expression::BinaryOp(op) => ExprKind::Binary(
                match op.operator.value() {
                    BinaryOperator::Eq => BinOp::Eq,
                    BinaryOperator::NotEq => BinOp::NotEq,
                    BinaryOperator::And => BinOp::And,
                    BinaryOperator::Or => BinOp::Or,
                    _ => BinOp::Other,
                },
                Box::new([Expr::from_hcl(&op.lhs_expr), Expr::from_hcl(&op.rhs_expr)]),
            ),
            Expression::UnaryOp(op) => match op.operator.value() {
                UnaryOperator::Not => ExprKind::Not(Box::new(Expr::from_hcl(&op.expr))),
                UnaryOperator::Neg => ExprKind::Unary(Box::new(Expr::from_hcl(&op.expr))),
            },
            Expression::ForExpr(_) => ExprKind::For,
        };
        Expr {
            start: start_of(e),
            kind,
        }
    }
}

fn parts(t: &Template) -> Vec<Part<'static>> {
    t.iter()
        .map(|element| match element {
            Element::Literal(s) => Part::Literal(s.value().to_string().into()),
            Element::Interpolation(i) => Part::Interpolation(Expr::from_hcl(&i.expr)),
            Element::Directive(_) => Part::Directive,
        })
        .collect()
}

fn start_of(node: &impl Span) -> Start {
    node.span().map(|s| s.start)
}
